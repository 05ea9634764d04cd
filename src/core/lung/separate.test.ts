import { describe, expect, it } from 'vitest';
import { mainPart, separateLungs } from './separate.js';
import { runsFromDense, runsToDense, unionRuns, voxelCount } from './runs.js';
import { lungSimdAvailable } from './lung-simd.js';
import { randomMask } from './test-volumes.js';

const OPTIONS = { maxErosionMm: 22, maxRatio: 4.8, gridSpacingMm: 1.5 };

/** Two 12 × 16 × 10 boxes, 4 voxels apart, joined by a 2 × 2 bridge (1 mm voxels). */
function twoBoxes(): { mask: Uint8Array; dims: [number, number, number] } {
  const dims: [number, number, number] = [36, 24, 14];
  const mask = new Uint8Array(dims[0] * dims[1] * dims[2]);
  const set = (x: number, y: number, z: number) => (mask[(z * dims[1] + y) * dims[0] + x] = 1);
  for (let z = 2; z < 12; z++) {
    for (let y = 4; y < 20; y++) {
      for (let x = 2; x < 14; x++) set(x, y, z);
      for (let x = 18; x < 30; x++) set(x, y, z);
    }
  }
  for (let z = 6; z < 8; z++) for (let y = 10; y < 12; y++) for (let x = 14; x < 18; x++) set(x, y, z);
  return { mask, dims };
}

describe('separateLungs', () => {
  it('erodes until two comparable parts appear, then gives every voxel to the nearer one', () => {
    const { mask, dims } = twoBoxes();
    const runs = runsFromDense(mask, ...dims);
    const split = separateLungs(runs, [1, 1, 1], OPTIONS);
    expect(split.lungs).toHaveLength(2);
    expect(split.erosionMm).toBeGreaterThan(0);
    const [a, b] = split.lungs.map((l) => runsToDense(l));
    // Disjoint, and together the input.
    for (let i = 0; i < mask.length; i++) expect(a![i]! + b![i]!).toBe(mask[i]);
    // Each box goes whole to one lung.
    const at = (m: Uint8Array, x: number) => m[(7 * dims[1] + 12) * dims[0] + x];
    expect(at(a!, 5) !== at(a!, 25)).toBe(true);
    expect(voxelCount(unionRuns(split.lungs[0]!, split.lungs[1]!))).toBe(voxelCount(runs));
  });

  it('splits the same with the WebAssembly kernel as in JavaScript (distances and growth)', (ctx) => {
    if (!lungSimdAvailable()) ctx.skip();
    // Two lumpy ellipsoids joined by a thick, ragged bridge, on an anisotropic grid that the
    // separation coarsens (f = 2 × 2 × 1): the growth decides who owns the bridge, voxel by voxel.
    const dims: [number, number, number] = [96, 64, 40];
    const noise = randomMask(...dims, 0.3, 7);
    const mask = new Uint8Array(dims[0] * dims[1] * dims[2]);
    for (let z = 0; z < dims[2]; z++) {
      for (let y = 0; y < dims[1]; y++) {
        for (let x = 0; x < dims[0]; x++) {
          const i = (z * dims[1] + y) * dims[0] + x;
          const lung = (cx: number) => ((x - cx) / 22) ** 2 + ((y - 32) / 26) ** 2 + ((z - 20) / 18) ** 2 <= 1 + 0.15 * noise[i]!;
          const bridge = x > 30 && x < 66 && Math.abs(y - 30) < 6 + 3 * noise[i]! && Math.abs(z - 18) < 5;
          if (lung(24) || lung(72) || bridge) mask[i] = 1;
        }
      }
    }
    const runs = runsFromDense(mask, ...dims);
    const spacing: [number, number, number] = [0.7, 0.75, 1.25];
    const simd = separateLungs(runs, spacing, OPTIONS);
    const js = separateLungs(runs, spacing, { ...OPTIONS, simd: false });
    expect(simd.lungs).toHaveLength(2);
    expect(simd.erosionMm).toBeGreaterThan(0);
    expect(simd.erosionMm).toBe(js.erosionMm);
    for (const l of [0, 1]) expect(Buffer.from(runsToDense(simd.lungs[l]!)).equals(Buffer.from(runsToDense(js.lungs[l]!)))).toBe(true);
  });

  it('keeps one part when no erosion within the limit splits it', () => {
    const dims: [number, number, number] = [20, 20, 20];
    const mask = new Uint8Array(8000);
    for (let z = 3; z < 17; z++) for (let y = 3; y < 17; y++) for (let x = 3; x < 17; x++) mask[(z * 20 + y) * 20 + x] = 1;
    const split = separateLungs(runsFromDense(mask, ...dims), [1, 1, 1], OPTIONS);
    expect(split.lungs).toHaveLength(1);
    expect(split.erosionMm).toBeNull();
  });

  it('mainPart keeps per slice the largest parts covering 95 % and then the largest 3-D piece', () => {
    const dims: [number, number, number] = [30, 10, 3];
    const mask = new Uint8Array(900);
    for (let z = 0; z < 3; z++) {
      for (let y = 1; y < 9; y++) for (let x = 1; x < 21; x++) mask[(z * 10 + y) * 30 + x] = 1; // 160 voxels
      mask[(z * 10 + 5) * 30 + 25] = 1; // a stray voxel (< 5 %)
    }
    const kept = runsToDense(mainPart(runsFromDense(mask, ...dims)));
    expect(kept.reduce((s, v) => s + v, 0)).toBe(480);
    expect(kept[(1 * 10 + 5) * 30 + 25]).toBe(0);
  });
});
