/**
 * The DICOM node in the reading room, against a real PACS (Debian's Orthanc on a temporary
 * configuration, LungLens registered as a modality): Settings → add a PACS node and a destination
 * → Find on PACS → retrieve → verdict → Send to PACS → Orthanc has the SR.
 */
import { existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { mkdtempSync } from 'node:fs';
import { expect, test, type Page } from '@playwright/test';
import { ROOT, SCREENS, STUDY } from './support/fixtures.js';
import { servedPage, type Served } from './support/serve.js';

type Harness = typeof import('../src/core/testing/dicom-peers.js');

test.describe.configure({ mode: 'serial' });
test.skip(!existsSync('/usr/sbin/Orthanc'), 'Debian orthanc is not installed');

let served: Served;
let page: Page;
servedPage((s, p) => ([served, page] = [s, p]));

let orthanc: Awaited<ReturnType<Harness['startOrthanc']>>;
let lunglensPort: number;

test.beforeAll(async () => {
  const h = (await import(path.join(ROOT, 'dist', 'core', 'testing', 'dicom-peers.js'))) as Harness;
  lunglensPort = await h.freePort();
  orthanc = await h.startOrthanc(mkdtempSync(path.join(tmpdir(), 'lunglens-e2e-orthanc-')), { lunglens: { aeTitle: 'LUNGLENS', port: lunglensPort } });
  const caseDir = path.join(STUDY.dir, readdirSync(STUDY.dir).find((d) => !d.startsWith('.'))!);
  await h.uploadToOrthanc(orthanc, readdirSync(caseDir).filter((f) => f.endsWith('.dcm')).map((f) => path.join(caseDir, f)));
});
test.afterAll(async () => {
  await orthanc?.stop();
});

async function addPeer(form: string, values: Record<string, string>): Promise<void> {
  for (const [field, value] of Object.entries(values)) await page.getByTestId(form).locator(`[data-field=${field}]`).fill(value);
  await page.getByTestId(form).locator('[data-field=add]').click();
}

test('Settings → a PACS node and a destination', async () => {
  await page.goto(served.url);
  await page.getByTestId('nav-settings').click();
  await page.getByTestId('net-aet').fill('LUNGLENS');
  await page.getByTestId('net-port').fill(String(lunglensPort));
  await addPeer('net-pacs-form', { name: 'orthanc', aet: 'ORTHANC', host: '127.0.0.1', port: String(orthanc.dicomPort) });
  await addPeer('net-dest-form', { name: 'archive', aet: 'ORTHANC', host: '127.0.0.1', port: String(orthanc.dicomPort) });
  await page.getByTestId('net-save').click();
  await expect(page.getByTestId('notice')).toHaveCount(0);
  await expect(page.getByTestId('net-pacs-list')).toContainText(`orthanc: ORTHANC@127.0.0.1:${orthanc.dicomPort}`);
  await expect(page.getByTestId('net-dest-list')).toContainText('archive');
  await expect(page.getByTestId('net-status')).toContainText('not listening');
  await page.screenshot({ path: path.join(SCREENS, 'pacs-settings.png'), fullPage: true });
});

test('Find on PACS → retrieve → verdict → Send to PACS → Orthanc has the SR', async () => {
  await page.getByTestId('nav-pacs').click();
  await page.getByTestId('pacs-find').click();
  await expect(page.getByTestId('pacs-results').locator('tbody tr')).toHaveCount(1);
  await page.screenshot({ path: path.join(SCREENS, 'pacs-find.png') });
  await page.getByTestId('pacs-retrieve').click();
  await expect(page.getByTestId('verdict')).toBeVisible({ timeout: 120_000 });
  await page.getByTestId('send-results').click();
  await expect(page.getByTestId('send-outcome')).toHaveAttribute('data-ok', 'true', { timeout: 60_000 });
  await expect(page.getByTestId('send-outcome')).toContainText('4 of 4 objects sent to archive');
  await page.screenshot({ path: path.join(SCREENS, 'pacs-sent.png') });
  const sr = await (await fetch(`${orthanc.url}/tools/find`, { method: 'POST', body: JSON.stringify({ Level: 'Series', Query: { Modality: 'SR' } }) })).json() as string[];
  expect(sr).toHaveLength(1);
  const series = await (await fetch(`${orthanc.url}/series/${sr[0]}`)).json() as { MainDicomTags: { SeriesDescription: string } };
  expect(series.MainDicomTags.SeriesDescription).toBe('LungLens COVID-19 report - not for diagnostic use');
});
