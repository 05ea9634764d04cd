import { describe, expect, it } from 'vitest';
import { Volume } from '../volume/volume.js';
import { blockMeanVolume, gridFactor, upsampleRuns } from './coarse-grid.js';
import { lungSimdAvailable } from './lung-simd.js';
import { runsFromDense, runsToDense } from './runs.js';

function volumeOf(nx: number, ny: number, nz: number, value: (x: number, y: number, k: number) => number, spacing: [number, number, number] = [0.7, 0.7, 2]): Volume {
  const voxels = new Int16Array(nx * ny * nz);
  for (let k = 0; k < nz; k++) for (let y = 0; y < ny; y++) for (let x = 0; x < nx; x++) voxels[(k * ny + y) * nx + x] = value(x, y, k);
  // An oblique grid, so that the origin's shift must follow the direction cosines.
  const c = Math.cos(0.3);
  const s = Math.sin(0.3);
  return Volume.create({
    dimensions: [nx, ny, nz], spacingMm: spacing, originLps: [-120, 30, 7],
    direction: [c, s, 0, -s, c, 0, 0, 0, 1], voxels, units: 'HU',
  });
}

describe('the lung mask\'s grid', () => {
  it('groups pixels 2 × 2 where two fit in the limit, never otherwise, and never slices', () => {
    expect(gridFactor([0.7, 0.7, 1], 1.8)).toBe(2);
    expect(gridFactor([0.9, 0.9, 0.5], 1.8)).toBe(2);
    expect(gridFactor([0.5, 0.5, 5], 1.8)).toBe(2);
    // The phantoms the model was trained on (1.0–1.8 mm pixels) keep their own grid.
    expect(gridFactor([1.0009, 1.0009, 2], 1.8)).toBe(1);
    expect(gridFactor([0.7, 0.7, 1], 0)).toBe(1);
  });

  it('averages each block, rounding half up, the same with and without the SIMD kernel, odd edges included', () => {
    // Odd width and height (cut blocks), negative values, and a width past the kernel's 8-block chunks.
    const v = volumeOf(37, 23, 3, (x, y, k) => ((x * 131 + y * 71 + k * 29) % 2001) - 1024);
    const js = blockMeanVolume(v, { simd: false });
    expect(js.dimensions).toEqual([19, 12, 3]);
    expect(js.spacingMm).toEqual([1.4, 1.4, 2]);
    for (const [cx, cy, k] of [[0, 0, 0], [5, 7, 1], [18, 3, 2], [4, 11, 2], [18, 11, 0]] as const) {
      const pixels: number[] = [];
      for (let y = 2 * cy; y < Math.min(23, 2 * cy + 2); y++) for (let x = 2 * cx; x < Math.min(37, 2 * cx + 2); x++) pixels.push(v.voxels[(k * 23 + y) * 37 + x]!);
      const mean = pixels.reduce((a, b) => a + b, 0) / pixels.length;
      expect(js.voxels[(k * 12 + cy) * 19 + cx], `block ${cx},${cy},${k}`).toBe(Math.floor(mean + 0.5));
    }
    if (lungSimdAvailable()) expect(Array.from(blockMeanVolume(v).voxels)).toEqual(Array.from(js.voxels));
  });

  it('rounds −1.5 to −1 and −1.75 to −2 (half up, not towards zero)', () => {
    const v = volumeOf(2, 2, 2, (x, y, k) => (k === 0 ? [-1, -2, -1, -2][y * 2 + x]! : [-1, -2, -2, -2][y * 2 + x]!));
    expect(Array.from(blockMeanVolume(v, { simd: false }).voxels)).toEqual([-1, -2]);
  });

  it('keeps the field of view: the first block\'s centre is the mean of its four pixels\' positions', () => {
    const v = volumeOf(8, 6, 2, () => 0);
    const coarse = blockMeanVolume(v);
    const corners = [[0, 0], [1, 0], [0, 1], [1, 1]].map(([i, j]) => v.voxelToLps(i!, j!, 1));
    const centre = [0, 1, 2].map((a) => corners.reduce((sum, p) => sum + p[a]!, 0) / 4);
    const got = coarse.voxelToLps(0, 0, 1);
    for (let a = 0; a < 3; a++) expect(got[a]).toBeCloseTo(centre[a]!, 9);
  });

  it('spreads runs back block by block, cut at an odd edge', () => {
    const cx = 5;
    const cy = 3;
    const coarse = new Uint8Array(cx * cy * 2);
    for (const i of [0, 4, 6, 7, 14, 15 + 3, 15 + 9, 15 + 14]) coarse[i] = 1;
    const fine = runsToDense(upsampleRuns(runsFromDense(coarse, cx, cy, 2), 2, 9, 5));
    for (let k = 0; k < 2; k++) {
      for (let y = 0; y < 5; y++) {
        for (let x = 0; x < 9; x++) expect(fine[(k * 5 + y) * 9 + x], `${x},${y},${k}`).toBe(coarse[(k * cy + (y >> 1)) * cx + (x >> 1)]);
      }
    }
  });
});
