import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { ROOT } from './fixtures.js';

export interface Served {
  url: string;
  dataDir: string;
  /** What the server wrote to stderr, and its log (`<data>/logs/lunglens.log`): what a failed test shows. */
  diagnostics(): string;
  stop(): Promise<void>;
}

/** Starts `lunglens serve` with a fresh data folder and resolves to the URL it prints. */
export async function serve(): Promise<Served> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'lunglens-e2e-data-'));
  const child: ChildProcess = spawn(process.execPath, [path.join(ROOT, 'bin', 'lunglens.js'), 'serve'], { env: { ...process.env, LUNGLENS_DATA_DIR: dataDir, LUNGLENS_CHECK_REPLIES: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('http://127.0.0.1:'));
      if (line) resolve(line.trim());
    });
    child.once('exit', (code) => reject(new Error(`lunglens serve exited with ${code}: ${stderr}`)));
  });
  return {
    url,
    dataDir,
    diagnostics: () => {
      const log = path.join(dataDir, 'logs', 'lunglens.log');
      return [`lunglens serve stderr:\n${stderr || '(nothing)'}`, `${log}:\n${existsSync(log) ? readFileSync(log, 'utf8').split('\n').slice(-60).join('\n') : '(none)'}`].join('\n');
    },
    stop: () => new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    }),
  };
}

/** What the page wrote to its console as errors (and errors it threw), since the test began. */
const consoleErrors: string[] = [];
let allowed: RegExp[] = [];

/** In the test that calls it: console errors matching `pattern` are expected (the test provokes them). */
export function expectConsoleErrors(pattern: RegExp): void {
  allowed.push(pattern);
}

/**
 * A serial spec's server and page: started before its first test, stopped after its last. After
 * each test, the page's console holds no error the test did not expect, and a failed test prints
 * the server's stderr and log.
 */
export function servedPage(use: (served: Served, page: Page) => void): void {
  let served: Served | undefined;
  let page: Page | undefined;
  test.beforeAll(async ({ browser }) => {
    served = await serve();
    page = await browser.newPage();
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(`${message.text()} (${message.location().url})`);
    });
    page.on('pageerror', (error) => consoleErrors.push(`uncaught: ${error.message}`));
    use(served, page);
  });
  test.beforeEach(() => {
    consoleErrors.length = 0;
    allowed = [];
  });
  test.afterEach(async () => {
    const testInfo = test.info();
    if (testInfo.status !== testInfo.expectedStatus && served) {
      // The server's side of a failure: printed, as CI keeps only the output.
      const text = served.diagnostics();
      console.log(text);
      await testInfo.attach('lunglens serve', { body: text, contentType: 'text/plain' });
    }
    expect(consoleErrors.filter((e) => !allowed.some((p) => p.test(e))), 'console errors on the page').toEqual([]);
  });
  test.afterAll(async () => {
    await page?.close();
    await served?.stop();
  });
}
