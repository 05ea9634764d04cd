import { describe, expect, it } from 'vitest';
import { dilateRunsL1, l1DistanceTransform } from './distance.js';
import { lungSimdAvailable } from './lung-simd.js';
import { runsFromDense } from './runs.js';
import { randomMask } from './test-volumes.js';

type Vec3 = [number, number, number];

function bruteDistance(source: Uint8Array, [nx, ny]: Vec3, [sx, sy, sz]: Vec3): Float64Array {
  const out = new Float64Array(source.length).fill(Infinity);
  for (let i = 0; i < source.length; i++) {
    const [x, y, z] = [i % nx, Math.floor(i / nx) % ny, Math.floor(i / (nx * ny))];
    for (let j = 0; j < source.length; j++) {
      if (!source[j]) continue;
      const [a, b, c] = [j % nx, Math.floor(j / nx) % ny, Math.floor(j / (nx * ny))];
      out[i] = Math.min(out[i]!, Math.abs(x - a) * sx + Math.abs(y - b) * sy + Math.abs(z - c) * sz);
    }
  }
  return out;
}

describe('L1 distances in millimetres', () => {
  it('the separable transform equals brute force, with anisotropic spacing', () => {
    const dims: Vec3 = [9, 7, 5];
    const spacing: Vec3 = [0.7, 1.3, 2.5];
    const source = randomMask(...dims, 0.05, 5);
    const d = l1DistanceTransform(source, dims, spacing);
    const ref = bruteDistance(source, dims, spacing);
    for (let i = 0; i < d.length; i++) expect(d[i]).toBeCloseTo(ref[i]!, 4);
    expect(l1DistanceTransform(new Uint8Array(4), [2, 2, 1], spacing).every((v) => v === Infinity)).toBe(true);
  });

  it('gives the same distances to the bit with the SIMD kernel and in JavaScript', (ctx) => {
    if (!lungSimdAvailable()) ctx.skip();
    // Row lengths that are and are not a multiple of the kernel's 4 lanes; coarse and fine
    // spacings whose sums round differently in float32; sparse and dense sources; none at all.
    const cases: Array<[Vec3, Vec3, number]> = [
      [[4, 3, 2], [0.7, 1.3, 2.5], 0.2],
      [[9, 7, 5], [0.7, 1.3, 2.5], 0.05],
      [[37, 23, 11], [1.2462, 1.2462, 1.25], 0.6],
      [[64, 48, 30], [1.5, 1.5, 3], 0.01],
      [[13, 5, 3], [0.1, 0.3, 0.7], 0],
    ];
    for (const [dims, spacing, density] of cases) {
      const source = randomMask(...dims, density, 11);
      const simd = l1DistanceTransform(source, dims, spacing);
      const js = l1DistanceTransform(source, dims, spacing, { simd: false });
      expect(Buffer.from(simd.buffer).equals(Buffer.from(js.buffer)), `${dims.join('×')}`).toBe(true);
    }
  });

  it('dilates one voxel to reach exactly the radius along each axis (anisotropic)', () => {
    const dims: Vec3 = [41, 31, 21];
    const spacing: Vec3 = [0.7, 0.9, 2.5];
    const mask = new Uint8Array(dims[0] * dims[1] * dims[2]);
    const [cx, cy, cz] = [20, 15, 10];
    mask[(cz * dims[1] + cy) * dims[0] + cx] = 1;
    const radius = 10;
    const out = dilateRunsL1(runsFromDense(mask, ...dims), spacing, radius);
    const at = (x: number, y: number, z: number) => out[(z * dims[1] + y) * dims[0] + x];
    // Along x: 14 voxels (9.8 mm) in, 15 (10.5 mm) out; along y: 11 (9.9 mm) in, 12 out; z: 4 (10 mm, exactly) in, 5 out.
    expect([at(cx + 14, cy, cz), at(cx - 14, cy, cz), at(cx + 15, cy, cz), at(cx - 15, cy, cz)]).toEqual([1, 1, 0, 0]);
    expect([at(cx, cy + 11, cz), at(cx, cy - 11, cz), at(cx, cy + 12, cz), at(cx, cy - 12, cz)]).toEqual([1, 1, 0, 0]);
    expect([at(cx, cy, cz + 4), at(cx, cy, cz - 4), at(cx, cy, cz + 5), at(cx, cy, cz - 5)]).toEqual([1, 1, 0, 0]);
    // Everywhere: inside iff the L1 distance in mm is ≤ the radius.
    for (let z = 0; z < dims[2]; z++) {
      for (let y = 0; y < dims[1]; y++) {
        for (let x = 0; x < dims[0]; x++) {
          const d = Math.abs(x - cx) * spacing[0] + Math.abs(y - cy) * spacing[1] + Math.abs(z - cz) * spacing[2];
          expect(at(x, y, z), `${x},${y},${z}`).toBe(d <= radius + 1e-9 ? 1 : 0);
        }
      }
    }
  });

  it('gives the same voxels with the SIMD sweeps and in JavaScript', (ctx) => {
    if (!lungSimdAvailable()) ctx.skip('no WebAssembly SIMD in this runtime');
    for (const [dims, spacing, radius, density] of [
      [[40, 30, 25], [0.76, 0.76, 1], 10, 0.002],
      [[23, 17, 9], [1.37, 1.37, 4], 10, 0.01],
      [[33, 29, 40], [0.5, 0.6, 0.35], 4, 0.001],
      [[17, 16, 3], [2, 2, 5], 3, 0.05],
    ] as [Vec3, Vec3, number, number][]) {
      const mask = randomMask(...dims, density, dims[0]);
      const runs = runsFromDense(mask, ...dims);
      const simd = dilateRunsL1(runs, spacing, radius);
      const js = dilateRunsL1(runs, spacing, radius, undefined, { simd: false });
      expect(Buffer.from(simd).equals(Buffer.from(js)), `${dims.join('×')}`).toBe(true);
    }
  });

  it('makes any slab of slices alone exactly as within the whole volume, with and without SIMD', () => {
    const dims: Vec3 = [40, 30, 25];
    const plane = dims[0] * dims[1];
    const runs = runsFromDense(randomMask(...dims, 0.002, 7), ...dims);
    for (const simd of [true, false]) {
      const whole = dilateRunsL1(runs, [0.76, 0.76, 1], 6, undefined, { simd });
      for (const [k0, k1] of [[0, 12], [12, 25], [3, 4], [0, 25]] as const) {
        const slab = dilateRunsL1(runs, [0.76, 0.76, 1], 6, undefined, { simd, slices: [k0, k1] });
        expect(slab.length).toBe((k1 - k0) * plane);
        expect(Buffer.from(slab).equals(Buffer.from(whole.subarray(k0 * plane, k1 * plane))), `${k0}–${k1} simd ${simd}`).toBe(true);
      }
    }
  });

  it('dilates random masks like brute force, clipped at the volume border', () => {
    const dims: Vec3 = [12, 10, 8];
    const spacing: Vec3 = [0.8, 0.8, 1.5];
    const mask = randomMask(...dims, 0.01, 11);
    const out = dilateRunsL1(runsFromDense(mask, ...dims), spacing, 3);
    const ref = bruteDistance(mask, dims, spacing);
    for (let i = 0; i < out.length; i++) expect(out[i]).toBe(ref[i]! <= 3 + 1e-9 ? 1 : 0);
    expect(dilateRunsL1(runsFromDense(new Uint8Array(out.length), ...dims), spacing, 3).every((v) => v === 0)).toBe(true);
  });
});
