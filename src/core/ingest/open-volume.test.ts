import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeSyntheticSeries } from '../samples/synthetic-series.js';
import { valueSha256 } from './checksum.js';
import { openLargestVolume } from './open-volume.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'lunglens-open-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('openLargestVolume', () => {
  it('returns the largest series of a folder with its voxels, and lists the others and the rejections', async () => {
    const small = await writeSyntheticSeries(path.join(root, 'a'), { columns: 32, rows: 32, slices: 4, seed: 'small', fileNamePrefix: 'S' });
    const large = await writeSyntheticSeries(path.join(root, 'a'), { columns: 48, rows: 40, slices: 9, seed: 'large', fileNamePrefix: 'L' });
    writeFileSync(path.join(root, 'a', 'export.bin'), 'not an image');
    const opened = await openLargestVolume([root], { workers: 1 });
    expect(opened.found.map((s) => s.seriesInstanceUid).sort()).toEqual([small.seriesInstanceUid, large.seriesInstanceUid].sort());
    expect(opened.series?.summary.seriesInstanceUid).toBe(large.seriesInstanceUid);
    expect(opened.series?.volume.dimensions).toEqual([48, 40, 9]);
    expect(await valueSha256(opened.series!.volume.voxels)).toBe(large.valueSha256);
    expect(opened.rejected.map((r) => r.code)).toEqual(['not-dicom']);
  });

  it('returns no series, with the reasons, when nothing usable is found', async () => {
    writeFileSync(path.join(root, 'junk.bin'), 'nothing');
    const opened = await openLargestVolume([path.join(root, 'junk.bin')], { workers: 1 });
    expect(opened.series).toBeNull();
    expect(opened.rejected).toEqual([expect.objectContaining({ code: 'not-dicom' })]);
  });
});
