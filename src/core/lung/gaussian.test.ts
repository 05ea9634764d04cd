import { describe, expect, it } from 'vitest';
import { lungSimdAvailable } from './lung-simd.js';
import { GAUSSIAN_WEIGHTS, reflectIndex, smoothedBelowRuns, smoothSlice } from './gaussian.js';
import { runsToDense } from './runs.js';

/** scipy.ndimage.gaussian_filter(slice, 1, truncate=2, mode='reflect'), written out as a 5×5 sum. */
function reference(slice: Int16Array, nx: number, ny: number): Float64Array {
  const out = new Float64Array(nx * ny);
  for (let y = 0; y < ny; y++) {
    for (let x = 0; x < nx; x++) {
      let v = 0;
      for (let dy = -2; dy <= 2; dy++) {
        for (let dx = -2; dx <= 2; dx++) {
          v += GAUSSIAN_WEIGHTS[dy + 2]! * GAUSSIAN_WEIGHTS[dx + 2]! * slice[reflectIndex(y + dy, ny) * nx + reflectIndex(x + dx, nx)]!;
        }
      }
      out[y * nx + x] = v;
    }
  }
  return out;
}

function randomHu(n: number, seed: number): Int16Array {
  let s = seed;
  return Int16Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    // Mostly air or tissue, so that the threshold has edges to find.
    return s % 3 === 0 ? -1000 + (s % 97) : s % 3 === 1 ? 40 - (s % 51) : -850 + (s % 301);
  });
}

describe('Gaussian smoothing (σ = 1 voxel, truncate 2, mirrored borders)', () => {
  it('has normalised weights e^(−x²/2) for x = −2…2', () => {
    expect(GAUSSIAN_WEIGHTS.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(GAUSSIAN_WEIGHTS[1]! / GAUSSIAN_WEIGHTS[2]!).toBeCloseTo(Math.exp(-0.5), 12);
    expect(reflectIndex(-1, 5)).toBe(0);
    expect(reflectIndex(-2, 5)).toBe(1);
    expect(reflectIndex(5, 5)).toBe(4);
    expect(reflectIndex(6, 5)).toBe(3);
    expect(reflectIndex(-3, 1)).toBe(0);
  });

  it('smooths like the 5×5 reference, borders included, on any slice size', () => {
    for (const [nx, ny] of [[1, 1], [2, 3], [7, 4], [16, 9], [21, 13]] as const) {
      const slice = randomHu(nx * ny, nx * 31 + ny);
      const ours = smoothSlice(slice, nx, ny);
      const ref = reference(slice, nx, ny);
      for (let i = 0; i < ours.length; i++) expect(ours[i]).toBeCloseTo(ref[i]!, 2);
    }
  });

  it('thresholds to the same runs with the SIMD kernel and in JavaScript, up to float32 rounding', (ctx) => {
    if (!lungSimdAvailable()) ctx.skip('no WebAssembly SIMD in this runtime');
    for (const [nx, ny, nz] of [[8, 3, 2], [17, 5, 3], [33, 40, 2], [64, 64, 3]] as const) {
      const voxels = randomHu(nx * ny * nz, nx + ny);
      const simd = runsToDense(smoothedBelowRuns(voxels, nx, ny, nz, -600));
      const js = runsToDense(smoothedBelowRuns(voxels, nx, ny, nz, -600, { simd: false }));
      for (let k = 0; k < nz; k++) {
        const ref = reference(voxels.subarray(k * nx * ny, (k + 1) * nx * ny), nx, ny);
        for (let i = 0; i < nx * ny; i++) {
          const expected = ref[i]! < -600 ? 1 : 0;
          // Only values within rounding of the threshold may disagree.
          if (Math.abs(ref[i]! + 600) > 1e-3) {
            expect(simd[k * nx * ny + i], `simd ${nx}×${ny} k=${k} i=${i}`).toBe(expected);
            expect(js[k * nx * ny + i], `js ${nx}×${ny} k=${k} i=${i}`).toBe(expected);
          }
        }
      }
    }
  });

  it('within a region of slices and rows, gives exactly the whole volume\'s runs there and nothing elsewhere', () => {
    const [nx, ny, nz] = [24, 30, 5];
    const voxels = randomHu(nx * ny * nz, 77);
    for (const simd of [true, false]) {
      const whole = runsToDense(smoothedBelowRuns(voxels, nx, ny, nz, -500, { simd }));
      for (const region of [{ k0: 1, k1: 3, y0: 4, y1: 20 }, { k0: 0, k1: 4, y0: 0, y1: 1 }, { k0: 2, k1: 2, y0: 27, y1: 40 }, { k0: 3, k1: 1, y0: 0, y1: 29 }]) {
        const part = runsToDense(smoothedBelowRuns(voxels, nx, ny, nz, -500, { simd, region }));
        for (let i = 0; i < part.length; i++) {
          const k = Math.floor(i / (nx * ny));
          const y = Math.floor(i / nx) % ny;
          const inside = k >= region.k0 && k <= region.k1 && y >= region.y0 && y <= region.y1;
          expect(part[i], `${JSON.stringify(region)} simd ${simd} voxel ${i}`).toBe(inside ? whole[i] : 0);
        }
      }
    }
  });

  it('thresholds tiny slices (below the kernel minimum) in JavaScript', () => {
    const voxels = Int16Array.from([-1000, -1000, 40, 40, -1000, -1000]);
    expect(Array.from(runsToDense(smoothedBelowRuns(voxels, 1, 1, 6, -600)))).toEqual([1, 1, 0, 0, 1, 1]);
  });
});

