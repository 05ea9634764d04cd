/**
 * The reading room on an uncalibrated input (issue 18): a phantom written as an 8-bit PNG stack
 * in a lung window opens, is analysed, and its verdict comes with the "uncalibrated input" band
 * saying what was assumed; the lung mask overlay and the timeline work as on DICOM; the page logs
 * no console errors.
 */
import path from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { PNG_STUDY, SCREENS } from './support/fixtures.js';
import { servedPage, type Served } from './support/serve.js';
import { countPixels } from './support/canvas.js';

test.describe.configure({ mode: 'serial' });

let served: Served;
let page: Page;
const errors: string[] = [];
servedPage((s, p) => {
  [served, page] = [s, p];
  page.on('console', (m) => m.type() === 'error' && errors.push(`${m.text()} (${m.location().url})`));
  page.on('pageerror', (e) => errors.push(e.message));
});

const shot = (name: string) => page.screenshot({ path: path.join(SCREENS, `${name}.png`) });

test('a PNG stack opens with its verdict, the uncalibrated band, the mask overlay and the timeline; no console errors', async () => {
  await page.goto(served.url);
  await page.getByTestId('open-path').fill(path.join(PNG_STUDY.dir, 'case-0001'));
  await page.getByTestId('open-button').click();
  await expect(page.getByTestId('series-card')).toHaveCount(1);
  await expect(page.getByTestId('verdict')).toBeVisible({ timeout: 60_000 });
  const band = page.getByTestId('uncalibrated-band');
  await expect(band).toBeVisible();
  await expect(band).toContainText('Uncalibrated input');
  await expect(band).toContainText(/not Hounsfield units/);
  await expect(band).toContainText(/lung window/);
  await expect(band).toContainText(/Pixel size [\d.]+ mm estimated/);
  await expect(page.getByTestId('lung-volume')).toHaveText(/≈ [\d,]+ mL \(estimated\)/);
  await expect(page.getByTestId('attention-timeline').locator('rect.bar')).toHaveCount(80);
  await expect(page.getByTestId('timeline-axis')).toContainText('inferior');

  // The mask overlay, on a slice with lung.
  await page.getByTestId('viewer-stage').focus();
  await page.keyboard.press('Home');
  await page.keyboard.press('n');
  const greenish = () => countPixels(page, '[data-testid=slice-viewer] canvas', 'green');
  const toggle = page.getByTestId('mask-toggle');
  await expect(toggle).toBeChecked();
  await expect.poll(greenish).toBeGreaterThan(1000);
  await shot('20-png-stack-uncalibrated');
  await toggle.uncheck();
  await expect.poll(greenish).toBeLessThan(50);
  await toggle.check();

  // The timeline moves the viewer.
  const svg = page.getByTestId('attention-timeline').locator('svg');
  const box = (await svg.boundingBox())!;
  await svg.click({ position: { x: (20 + 0.5) * (box.width / 80), y: box.height / 2 } });
  await expect(page.getByTestId('slice-viewer')).toHaveAttribute('data-slice-index', '20');
  expect(errors).toEqual([]);
});
