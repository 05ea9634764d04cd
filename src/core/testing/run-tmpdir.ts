/**
 * One temporary folder per test run. The runners' global setup (vitest.config.ts, e2e/global-setup.ts)
 * points TMPDIR at a fresh folder before any test file or child process starts, so every
 * `os.tmpdir()` / `mkdtemp` of a test, of the CLI it spawns and of the Orthanc it starts lands
 * inside it; the teardown removes the folder whole. A run leaves nothing in the system's temporary
 * folder, however its tests end (each leaving its files behind would fill the disk run by run).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Points TMPDIR at a new folder `<tmp>/<name>-XXXXXX`; returns the teardown that removes it. */
export function useRunTmpdir(name: string): () => void {
  const previous = process.env['TMPDIR'];
  const dir = mkdtempSync(path.join(os.tmpdir(), `${name}-`));
  process.env['TMPDIR'] = dir;
  return () => {
    if (previous === undefined) delete process.env['TMPDIR'];
    else process.env['TMPDIR'] = previous;
    rmSync(dir, { recursive: true, force: true });
  };
}

/** vitest's `globalSetup` entry: the returned function is its teardown. */
export default function setup(): () => void {
  return useRunTmpdir('lunglens-unit-run');
}
