// Stopping a scan (Ctrl-C in the CLI) leaves valid partial results that say so; resuming completes them.
import { mkdtempSync, readFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InferenceEngine } from '../inference/engine.js';
import { writePhantoms } from '../phantom/index.js';
import { scanPaths } from './scan.js';
import type { ScanResults } from './results-schema.js';

let studies: string;
let engine: InferenceEngine;

beforeAll(async () => {
  studies = mkdtempSync(path.join(tmpdir(), 'lunglens-stop-'));
  await writePhantoms({ out: studies, count: 3, seed: 'stop-test', size: 96, slices: [30, 40], format: 'nifti' });
  renameSync(path.join(studies, 'labels.json'), `${studies}-labels.json`);
  engine = await InferenceEngine.open({ provider: 'cpu', threads: 2 });
}, 120_000);
afterAll(async () => engine.close());

describe('scanPaths', () => {
  it('stops after the series in flight when aborted, writes valid partial results, and --resume completes them', async () => {
    const out = mkdtempSync(path.join(tmpdir(), 'lunglens-stop-out-'));
    const stop = new AbortController();
    const partial = await scanPaths([studies], { out, engine, signal: stop.signal, onProgress: (e) => e.item && stop.abort() });
    expect(partial.complete).toBe(false);
    expect(partial.items).toHaveLength(1);
    const written = JSON.parse(readFileSync(path.join(out, 'results.json'), 'utf8')) as ScanResults;
    expect(written.complete).toBe(false);
    expect(readFileSync(path.join(out, 'report.html'), 'utf8')).toContain('did not finish');
    const reused: boolean[] = [];
    const resumed = await scanPaths([studies], { out, engine, resume: true, onProgress: (e) => e.item && reused.push(Boolean(e.reused)) });
    expect(resumed.complete).toBe(true);
    expect(resumed.items.filter((i) => i.status === 'ok')).toHaveLength(3);
    expect(reused).toEqual([true, false, false]);
  }, 120_000);

  it('leaves out its own output when --out lies inside a scanned folder', async () => {
    const out = path.join(studies, 'scan-output');
    await scanPaths([studies], { out, engine });
    const again = await scanPaths([studies], { out, engine }); // now the thumbnails and results files exist there
    expect(again.items.map((i) => i.status)).toEqual(['ok', 'ok', 'ok']);
  }, 120_000);
});
