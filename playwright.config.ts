import { defineConfig } from '@playwright/test';

/**
 * End-to-end tests: the reading room in Debian's Chromium against `lunglens serve` (never a
 * downloaded browser; CHROMIUM_PATH overrides where it is), and the Electron spec, which runs only
 * where the Electron binary is installed. Screenshots of every state land in test-results/screens.
 */
export default defineConfig({
  testDir: 'e2e',
  workers: 1,
  timeout: 180_000,
  expect: { timeout: 30_000 },
  reporter: [['list']],
  outputDir: 'test-results/e2e',
  globalSetup: './e2e/global-setup.ts',
  projects: [
    {
      name: 'chromium',
      testIgnore: /electron\.spec\.ts/,
      use: {
        browserName: 'chromium',
        viewport: { width: 1480, height: 920 },
        launchOptions: {
          executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium',
          args: [
            '--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-default-apps',
            '--no-first-run', '--disable-domain-reliability', '--metrics-recording-only', '--use-angle=swiftshader', '--enable-unsafe-swiftshader',
          ],
        },
      },
    },
    { name: 'electron', testMatch: /electron\.spec\.ts/ },
  ],
});
