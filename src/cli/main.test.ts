import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PNG } from 'pngjs';
import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { writeSyntheticSeries } from '../core/samples/synthetic-series.js';
import { runCli as run } from './test-support.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'lunglens-cli-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

describe('lunglens inspect', () => {
  let expectedSha: string;
  beforeAll(async () => {
    const series = await writeSyntheticSeries(path.join(root, 'study'), { columns: 64, rows: 48, slices: 6, seed: 'cli', fileNames: 'shuffled' });
    expectedSha = series.valueSha256;
    writeFileSync(path.join(root, 'study', 'notes.txt'), 'not an image');
    writeFileSync(path.join(root, 'study', 'export.bin'), 'not an image either');
    writeFileSync(path.join(root, 'junk.bin'), 'nothing here');
  });

  it('prints the DESIGN.md §3 JSON and exits 0 when a series is found', async () => {
    const { code, stdout } = await run('inspect', path.join(root, 'study'), '--json', '--checksum');
    expect(code).toBe(0);
    const out = JSON.parse(stdout) as { series: Record<string, unknown>[]; rejected: Record<string, unknown>[] };
    expect(out.series).toHaveLength(1);
    const s = out.series[0]!;
    for (const key of ['id', 'source', 'path', 'seriesInstanceUid', 'studyInstanceUid', 'modality', 'seriesDescription', 'dimensions', 'spacingMm', 'originLps', 'direction', 'units', 'valueRange', 'valueMean', 'transferSyntaxUids', 'warnings']) {
      expect(s, key).toHaveProperty(key);
    }
    expect(s.dimensions).toEqual([64, 48, 6]);
    expect(s.valueSha256).toBe(expectedSha);
    expect(out.rejected).toEqual([{ path: path.join(root, 'study', 'export.bin'), code: 'not-dicom', message: expect.stringMatching(/not a DICOM file/) }]);
    // A stray note is counted, not rejected.
    expect(out).toMatchObject({ ignored: 1 });
    expect(s).toMatchObject({ spacingSource: 'header', contiguous: true });
  });

  it('prints a readable table with the rejection and its reason', async () => {
    const { code, stdout } = await run('inspect', path.join(root, 'study'));
    expect(code).toBe(0);
    expect(stdout).toMatch(/64×48×6/);
    expect(stdout).toMatch(/not-dicom: This is not a DICOM file/);
    expect(stdout).toMatch(/1 series, 1 rejected, 1 non-image file ignored \(notes\.txt\)\./);
  });

  it('exits 2 when nothing usable is found', async () => {
    const { code, stdout } = await run('inspect', path.join(root, 'junk.bin'), '--json');
    expect(code).toBe(2);
    expect(JSON.parse(stdout)).toMatchObject({ series: [], rejected: [{ code: 'not-dicom' }] });
  });

  it('exits 2 for a path that does not exist, saying so', async () => {
    const { code, stdout } = await run('inspect', path.join(root, 'missing'), '--json');
    expect(code).toBe(2);
    expect(JSON.parse(stdout).rejected[0]).toMatchObject({ code: 'unreadable', message: expect.stringMatching(/does not exist/) });
  });

  it.each([[['inspect']], [['inspect', root, '--workers', 'zero']], [['no-such-command']]])('exits 1 on a usage error: %j', async (argv) => {
    const { code, stderr } = await run(...argv);
    expect(code).toBe(1);
    expect(stderr.length).toBeGreaterThan(0);
  });
});

describe('lunglens enhance', () => {
  beforeAll(async () => {
    await writeSyntheticSeries(path.join(root, 'enhance'), { columns: 40, rows: 32, slices: 5, seed: 'enhance' });
  });

  it.each([
    ['tonemap', 2],
    ['both', 3],
  ])('writes the original beside the %s enhancement as one PNG', async (method, panels) => {
    const out = path.join(root, `enhance-${method}.png`);
    const { code } = await run('enhance', path.join(root, 'enhance'), '--slice', '2', '--method', method, '--chains', '1', '--samples', '20', '--out', out);
    expect(code).toBe(0);
    const png = PNG.sync.read(readFileSync(out));
    expect(png.height).toBe(32);
    expect(png.width).toBe(40 * panels + 4 * (panels - 1));
  });

  it('refuses a slice beyond the last one with a usage exit code', async () => {
    const { code, stderr } = await run('enhance', path.join(root, 'enhance'), '--slice', '5', '--out', path.join(root, 'x.png'));
    expect(code).toBe(1);
    expect(stderr).toMatch(/beyond the last slice/);
  });
});
