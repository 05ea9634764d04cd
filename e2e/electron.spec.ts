/**
 * The desktop app itself (Playwright `_electron`): open a study through the bridge and see the
 * verdict. Runs where the Electron binary is installed; skips with the reason elsewhere (it cannot
 * be downloaded on the development machines: ELECTRON_SKIP_BINARY_DOWNLOAD).
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { _electron as electron, expect, test } from '@playwright/test';
import { ROOT, STUDY } from './support/fixtures.js';

function electronBinary(): string | null {
  try {
    const binary = createRequire(import.meta.url)('electron') as unknown as string;
    return typeof binary === 'string' && existsSync(binary) ? binary : null;
  } catch {
    return null;
  }
}

test('open a study in the desktop app and see the verdict', async () => {
  const binary = electronBinary();
  test.skip(!binary, 'The Electron binary is not installed here (npm install ran with ELECTRON_SKIP_BINARY_DOWNLOAD=1); this spec runs where it is.');
  const app = await electron.launch({
    executablePath: binary!,
    args: [path.join(ROOT, 'dist', 'main', 'index.js')],
    env: { ...process.env, LUNGLENS_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'lunglens-electron-')) },
  });
  try {
    const page = await app.firstWindow();
    await expect(page.getByTestId('empty-state')).toBeVisible();
    // the renderer has the bridge and nothing of Node
    expect(await page.evaluate(() => ({ require: typeof (globalThis as Record<string, unknown>)['require'], process: typeof (globalThis as Record<string, unknown>)['process'], bridge: Object.keys((globalThis as unknown as { lunglens: object }).lunglens).sort() })))
      .toEqual({ require: 'undefined', process: 'undefined', bridge: ['call', 'chooseFolder', 'onEvent', 'pathForFile'] });
    await page.getByTestId('open-path').fill(STUDY.dir);
    await page.getByTestId('open-button').click();
    await expect(page.getByTestId('verdict')).toBeVisible({ timeout: 60_000 });
    await expect(page.getByTestId('intended-use')).toBeVisible();
  } finally {
    await app.close();
  }
});
