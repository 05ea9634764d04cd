/**
 * Review mode in Chromium against `lunglens serve`: three studies (two from a batch scan, one
 * opened) reviewed with the keyboard alone, exported with `lunglens review export`, imported into
 * an empty database, and exported again: the same data.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { BATCH, ROOT, SCREENS, STUDY } from './support/fixtures.js';
import { servedPage, type Served } from './support/serve.js';

test.describe.configure({ mode: 'serial' });

let served: Served;
let page: Page;
servedPage((s, p) => ([served, page] = [s, p]));

const lunglens = (dataDir: string, ...args: string[]) => execFileSync(process.execPath, [path.join(ROOT, 'bin', 'lunglens.js'), ...args], { env: { ...process.env, LUNGLENS_DATA_DIR: dataDir }, encoding: 'utf8' });

test('studies from a batch scan and from the reading room join the review queue', async () => {
  await page.goto(served.url);
  await page.getByTestId('nav-settings').click();
  await page.getByTestId('settings-reviewer').fill('Dr E2E');
  await page.getByTestId('settings-save').click();
  await page.getByTestId('nav-scan').click();
  await page.getByTestId('batch-scan').getByTestId('open-path').fill(BATCH.dir);
  await page.getByTestId('batch-scan').getByTestId('open-button').click();
  await expect(page.getByTestId('scan-status')).toHaveAttribute('data-state', 'done', { timeout: 120_000 });
  await page.getByTestId('nav-reading').click();
  await page.getByTestId('open-path').first().fill(STUDY.dir);
  await page.getByTestId('open-button').first().click();
  await expect(page.getByTestId('verdict')).toBeVisible({ timeout: 60_000 });
  await page.getByTestId('nav-review').click();
  await expect(page.getByTestId('queue-row')).toHaveCount(3);
  await expect(page.locator('[data-testid=queue-row][data-status=unreviewed]')).toHaveCount(3);
});

test('three studies reviewed with the keyboard alone', async () => {
  await page.getByTestId('queue-row').first().click();
  for (let study = 0; study < 3; study++) {
    await expect(page.getByTestId('review-panel')).toHaveAttribute('data-ready', 'true', { timeout: 60_000 });
    await expect(page.getByTestId('slice-viewer')).toBeVisible({ timeout: 60_000 });
    const panelKey = await page.getByTestId('review-status').textContent();
    expect(panelKey).toBe('unreviewed');
    // the top three slices by attention: lesion, clear, lesion — each key saves and moves on
    for (const key of ['l', 'x', 'l']) {
      const before = await page.getByTestId('slice-viewer').getAttribute('data-slice-index');
      await page.keyboard.press(key);
      await expect(page.getByTestId('slice-viewer')).not.toHaveAttribute('data-slice-index', before!);
    }
    await page.keyboard.press('k'); // back to the third slice: it shows its saved mark
    await expect(page.getByTestId('slice-mark')).toHaveText('lesion');
    if (study === 0) {
      await page.getByTestId('review-note').click();
      await page.keyboard.type('GGO, right lower lobe');
      await page.keyboard.press('Tab'); // leaves the field: saved (it is also saved while typing)
    }
    await page.keyboard.press(study === 1 ? 'n' : 'c');
    await expect(page.getByTestId('reader-verdict')).toHaveAttribute('data-verdict', study === 1 ? 'non-covid' : 'covid');
    await expect(page.getByTestId('review-status')).toHaveText('in-progress');
    await page.screenshot({ path: path.join(SCREENS, `review-${study + 1}.png`) });
    await page.keyboard.press('d');
    if (study < 2) await expect(page.getByTestId('review-status')).toHaveText('unreviewed', { timeout: 60_000 });
  }
  await expect(page.getByTestId('review-status')).toHaveText('done');
  await page.getByTestId('filter-status').selectOption('done');
  await expect(page.getByTestId('queue-row')).toHaveCount(3);
  await page.screenshot({ path: path.join(SCREENS, 'review-queue-done.png') });
});

test('export, re-import into an empty database, export again: identical', async () => {
  const work = mkdtempSync(path.join(tmpdir(), 'lunglens-review-e2e-'));
  const first = path.join(work, 'first.json'), second = path.join(work, 'second.json');
  lunglens(served.dataDir, 'review', 'export', '--format', 'json', '--out', first);
  const empty = mkdtempSync(path.join(tmpdir(), 'lunglens-review-empty-'));
  lunglens(empty, 'review', 'import', first);
  lunglens(empty, 'review', 'export', '--format', 'json', '--out', second);
  const body = (file: string) => readFileSync(file, 'utf8').replace(/"exportedAt":"[^"]+"/, '');
  expect(body(second)).toBe(body(first));
  const exported = JSON.parse(readFileSync(first, 'utf8')) as { cases: Array<{ review: { status: string; reviewer: string; note: string }; slicePositive: Array<boolean | null> }> };
  expect(exported.cases).toHaveLength(3);
  expect(exported.cases.filter((c) => c.review.note === 'GGO, right lower lobe')).toHaveLength(1);
  for (const c of exported.cases) {
    expect(c.review).toMatchObject({ status: 'done', reviewer: 'Dr E2E' });
    expect(c.slicePositive.filter((v) => v === true)).toHaveLength(2);
    expect(c.slicePositive.filter((v) => v === false)).toHaveLength(1);
  }
  const stats = JSON.parse(lunglens(empty, 'review', 'stats', '--json')) as { studies: number; status: { done: number } };
  expect(stats).toMatchObject({ studies: 3, status: { done: 3 } });
});
