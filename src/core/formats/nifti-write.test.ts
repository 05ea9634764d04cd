import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Volume } from '../volume/volume.js';
import type { Direction } from '../geometry/vec3.js';
import { readNifti } from './nifti.js';
import { writeNifti } from './nifti-write.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'lunglens-niiw-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const c = Math.cos(0.3);
const s = Math.sin(0.3);
const directions: [string, Direction][] = [
  ['axial', [1, 0, 0, 0, 1, 0, 0, 0, 1]],
  ['coronal', [1, 0, 0, 0, 0, -1, 0, 1, 0]],
  ['oblique', [c, s, 0, -s, c, 0, 0, 0, 1]],
];

describe('writeNifti', () => {
  it.each(directions)('a %s volume reads back with the same LPS geometry and every value', async (name, direction) => {
    const voxels = new Int16Array(9 * 7 * 5).map((_, i) => -1024 + ((i * 131) % 4000));
    const volume = Volume.create({ dimensions: [9, 7, 5], spacingMm: [0.75, 0.8, 2.5], originLps: [12.5, -40, 300.25], direction, voxels, units: 'HU' });
    const file = path.join(root, `${name}.nii.gz`);
    await writeNifti(file, { geometry: volume, data: volume.voxels });
    const back = (await readNifti(file)).volume;
    expect(back.dimensions).toEqual([9, 7, 5]);
    back.spacingMm.forEach((v, i) => expect(v).toBeCloseTo(volume.spacingMm[i]!, 5));
    back.originLps.forEach((v, i) => expect(v).toBeCloseTo(volume.originLps[i]!, 3));
    back.direction.forEach((v, i) => expect(v).toBeCloseTo(direction[i]!, 5));
    expect(Array.from(back.voxels)).toEqual(Array.from(voxels));
  });

  it('writes uint8 masks readable as 0/1 values', async () => {
    const mask = new Uint8Array(4 * 4 * 2).map((_, i) => i % 3 === 0 ? 1 : 0);
    const geometry = { dimensions: [4, 4, 2] as [number, number, number], spacingMm: [1, 1, 1] as [number, number, number], originLps: [0, 0, 0] as [number, number, number], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1] as Direction };
    const file = path.join(root, 'mask.nii');
    await writeNifti(file, { geometry, data: mask });
    expect(Array.from((await readNifti(file)).volume.voxels)).toEqual(Array.from(mask));
  });
});
