/**
 * readNifti against nibabel on the real CT volumes in ../shared/data. The expectations are in
 * reference/nifti-reference.json, written by reference/nifti_reference.py (see its docstring for
 * the rules it mirrors); this test never runs Python.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { hasSharedData, sharedData, sharedDataSkipReason } from '../testing/shared-data.js';
import { readNifti } from './nifti.js';

interface Reference {
  path: string;
  dimensions: [number, number, number];
  spacingMm: number[];
  originLps: number[];
  direction: number[];
  orientation: string;
  reverseSlices: boolean;
  valueRange: [number, number];
  valueMean: number;
  valueSha256: string;
  probes: { fileIjk: [number, number, number]; ras: [number, number, number]; value: number }[];
}

const here = path.dirname(fileURLToPath(import.meta.url));
const reference = JSON.parse(readFileSync(path.join(here, 'reference', 'nifti-reference.json'), 'utf8')) as { files: Reference[] };

/** SHA-256 of the values as little-endian Int32 in voxel memory order (DESIGN.md §3 valueSha256). */
function valueSha256(voxels: Int16Array): string {
  const bytes = Buffer.alloc(voxels.length * 4);
  for (let n = 0; n < voxels.length; n++) bytes.writeInt32LE(voxels[n]!, n * 4);
  return createHash('sha256').update(bytes).digest('hex');
}

function findNifti(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.nii.gz'))
    .map((e) => path.relative(sharedData(), path.join(e.parentPath ?? e.path, e.name)));
}

describe.skipIf(!hasSharedData)(`readNifti against nibabel on the shared CT volumes (skipped when absent: ${sharedDataSkipReason})`, () => {
  it('the reference covers every NIfTI file of chest-ct/totalsegmentator', () => {
    const found = findNifti(sharedData('chest-ct', 'totalsegmentator')).sort();
    expect(reference.files.map((f) => f.path).sort()).toEqual(found);
  });

  for (const ref of reference.files) {
    it(`${ref.path.replace(/^.*reference_files\//, '')}: geometry, every voxel value, nibabel's world positions`, async () => {
      const r = await readNifti(sharedData(ref.path));
      const v = r.volume;
      expect(v.dimensions).toEqual(ref.dimensions);
      v.spacingMm.forEach((s, a) => expect(s).toBeCloseTo(ref.spacingMm[a]!, 6));
      v.originLps.forEach((o, a) => expect(o).toBeCloseTo(ref.originLps[a]!, 4));
      v.direction.forEach((d, a) => expect(d).toBeCloseTo(ref.direction[a]!, 9));
      expect(r.description).toContain(`voxel axes ${ref.orientation}`);
      expect(r.description.includes('slice order reversed')).toBe(ref.reverseSlices);
      expect(v.units).toBe('HU');

      const stats = v.statistics();
      expect([stats.min, stats.max]).toEqual(ref.valueRange);
      expect(stats.mean).toBeCloseTo(ref.valueMean, 9);
      expect(valueSha256(v.voxels)).toBe(ref.valueSha256);

      // Probes: a file voxel, placed by nibabel in RAS, is at the same LPS point in our volume.
      const [nx, ny, nz] = v.dimensions;
      for (const probe of ref.probes) {
        const [i, j, k] = probe.fileIjk;
        const ours = ref.reverseSlices ? nz - 1 - k : k;
        const p = v.voxelToLps(i, j, ours);
        expect(p[0]).toBeCloseTo(-probe.ras[0], 3);
        expect(p[1]).toBeCloseTo(-probe.ras[1], 3);
        expect(p[2]).toBeCloseTo(probe.ras[2], 3);
        expect(v.voxels[i + nx * (j + ny * ours)]).toBe(Math.round(probe.value));
      }
      expect(nz).toBeGreaterThan(1);
    });
  }
});
