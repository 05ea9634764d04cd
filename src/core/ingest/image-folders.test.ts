/**
 * Folders of slice images as users bring them: a stack beside pictures that are not CT, a stray
 * image of another size, labels and thumbnails — each refusal a code and a sentence, the rest of
 * the batch read; a spacing the user gives replaces the file's or the estimate.
 */
import { promises as fs, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCase, planCases, renderSlicePng, writePngStack, type PhantomCase } from '../phantom/index.js';
import { writeSyntheticSeries } from '../samples/synthetic-series.js';
import { pngBytes } from '../testing/png-bytes.js';
import { chartGrey, photoRgba, projectionOf } from '../testing/renderings.js';
import { readSeries } from './read-series.js';
import type { InspectResult } from './types.js';
import { IngestPool } from './ingest-pool.js';

const root = mkdtempSync(path.join(tmpdir(), 'lunglens-image-folders-'));
const pool = new IngestPool(2);
afterAll(async () => {
  await pool.close();
  rmSync(root, { recursive: true, force: true });
});

let phantom: PhantomCase;
beforeAll(() => {
  const [spec] = planCases({ count: 1, seed: 'image-folders', size: 192, slices: [40, 40] });
  phantom = generateCase(spec!);
});

const codeOf = (result: InspectResult, name: string) => result.rejected.filter((r) => path.basename(r.path) === name).map((r) => r.code);

describe('a batch of image folders', () => {
  it('refuses each picture that is not a CT rendering with its own code, and reads the stack beside them', async () => {
    const dir = path.join(root, 'batch');
    await writePngStack(phantom.volume, path.join(dir, 'series'), { window: 'lung' });
    // A stray slice of another size in the series' folder, named like its slices.
    await fs.writeFile(path.join(dir, 'series', 'slice-0041.png'), pngBytes(64, 64, new Array(64 * 64).fill(40)));
    const other = path.join(dir, 'other');
    await fs.mkdir(other, { recursive: true });
    await fs.writeFile(path.join(other, 'blank.png'), pngBytes(128, 128, new Array(128 * 128).fill(0)));
    await fs.writeFile(path.join(other, 'holiday.png'), pngBytes(160, 120, photoRgba(160, 120), { channels: 4 }));
    await fs.writeFile(path.join(other, 'chart.png'), pngBytes(160, 120, chartGrey(160, 120)));
    const xray = projectionOf(phantom);
    await fs.writeFile(path.join(other, 'xray.png'), pngBytes(xray.width, xray.height, xray.grey));
    const ramp = Array.from({ length: 100 * 90 }, (_, p) => Math.round(((p % 100) / 100) * 50000 + (Math.floor(p / 100) / 90) * 15000));
    await fs.writeFile(path.join(other, 'depth16.png'), pngBytes(100, 90, ramp, { bitDepth: 16 }));
    await fs.writeFile(path.join(dir, 'labels.json'), '{"cases": []}');
    await fs.writeFile(path.join(dir, 'series', 'Thumbs.db'), Buffer.alloc(100, 7));

    const result = await readSeries([dir], pool);
    expect(result.series).toHaveLength(1);
    const s = result.series[0]!;
    expect(s.source).toBe('image-stack');
    expect(s.dimensions).toEqual([192, 192, 40]);
    expect(s.units).toBe('unknown');
    expect(s.spacingSource).toBe('estimated');
    expect(s.assumedWindow?.basis?.rendering).toBe('lung');
    expect(s.contiguous).toBe(true);

    expect(codeOf(result, 'slice-0041.png')).toEqual(['mixed-image-sizes']);
    expect(codeOf(result, 'blank.png')).toEqual(['blank-image']);
    expect(codeOf(result, 'holiday.png')).toEqual(['not-ct-colour']);
    expect(codeOf(result, 'chart.png')).toEqual(['not-ct-graphics']);
    expect(codeOf(result, 'xray.png')).toEqual(['not-ct-projection']);
    expect(codeOf(result, 'depth16.png')).toEqual(['not-ct-values']);
    for (const r of result.rejected) expect(r.message, r.code).toMatch(/\w+ \w+ \w+.*\./);
    expect(result.rejected).toHaveLength(6);
    expect(result.ignored.map((f) => path.basename(f)).sort()).toEqual(['Thumbs.db', 'labels.json']);
  });

  it('keeps single slices of different sizes as stacks of their own (no size dominates their family)', async () => {
    const dir = path.join(root, 'singles');
    await fs.mkdir(dir, { recursive: true });
    await fs.writeFile(path.join(dir, 'Case (1).png'), renderSlicePng(phantom.volume, 20, { window: 'lung' }));
    await fs.writeFile(path.join(dir, 'Case (2).png'), pngBytes(150, 120, new Array(150 * 120).fill(0)));
    const result = await readSeries([dir], pool);
    expect(result.series.map((s) => s.dimensions)).toEqual([[192, 192, 1]]);
    expect(result.series[0]!.contiguous).toBe(false);
    expect(result.rejected.map((r) => r.code)).toEqual(['blank-image']);
  });
});

describe('a spacing given by the user', () => {
  it('replaces an image stack\'s estimate and a DICOM header\'s spacing, with a warning for the latter', async () => {
    const dir = path.join(root, 'given');
    await writePngStack(phantom.volume, path.join(dir, 'stack'), { window: 'lung' });
    await writeSyntheticSeries(path.join(dir, 'dicom'), { columns: 40, rows: 32, slices: 8, pixelSpacingMm: [0.9, 0.7], sliceSpacingMm: 2.5 });
    const result = await readSeries([dir], pool, { spacingMm: [0.75, 0.75, 3] });
    expect(result.series).toHaveLength(2);
    for (const s of result.series) {
      expect(s.spacingMm).toEqual([0.75, 0.75, 3]);
      expect(s.spacingSource).toBe('given');
    }
    const dicom = result.series.find((s) => s.source === 'dicom')!;
    expect(dicom.warnings.find((w) => w.code === 'spacing-given')?.message).toMatch(/replaced the file's 0\.9 × 0\.7 × 2\.5 mm/);
  });
});
