import { describe, expect, it } from 'vitest';
import { closeSlicesWithDisc } from './disc-closing.js';
import { runsFromDense, runsToDense } from './runs.js';
import { randomMask } from './test-volumes.js';
import { lungSimdAvailable } from './lung-simd.js';

/** Closing by brute force on an unbounded plane: dilate, then erode, with the disc's offsets. */
function bruteClosing(mask: Uint8Array, nx: number, ny: number, sx: number, sy: number, radius: number): Uint8Array {
  const pad = Math.ceil((2 * radius) / Math.min(sx, sy)) + 2;
  const w = nx + 2 * pad;
  const h = ny + 2 * pad;
  const offsets: [number, number][] = [];
  for (let dy = -pad; dy <= pad; dy++) {
    for (let dx = -pad; dx <= pad; dx++) if ((dx * sx) ** 2 + (dy * sy) ** 2 <= radius ** 2 + 1e-9) offsets.push([dx, dy]);
  }
  const at = (m: Uint8Array, x: number, y: number) => (x >= 0 && y >= 0 && x < w && y < h ? m[y * w + x]! : 0);
  const a = new Uint8Array(w * h);
  for (let y = 0; y < ny; y++) for (let x = 0; x < nx; x++) a[(y + pad) * w + x + pad] = mask[y * nx + x]!;
  const d = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) d[y * w + x] = offsets.some(([dx, dy]) => at(a, x + dx, y + dy)) ? 1 : 0;
  const out = new Uint8Array(nx * ny);
  for (let y = 0; y < ny; y++) {
    for (let x = 0; x < nx; x++) out[y * nx + x] = offsets.every(([dx, dy]) => at(d, x + pad + dx, y + pad + dy)) ? 1 : 0;
  }
  return out;
}

describe('closeSlicesWithDisc', () => {
  it('is the closing by a disc in millimetres, voxel for voxel (random shapes, anisotropic pixels; kernel and JavaScript)', () => {
    for (const seed of [1, 2, 3]) {
      for (const [sx, sy, radius] of [[1, 1, 3], [0.7, 1.3, 4], [1.5, 0.8, 2.5], [1, 1, 0.5]] as const) {
        const [nx, ny] = [24, 20];
        const mask = randomMask(nx, ny, 1, 0.25, seed);
        const ours = runsToDense(closeSlicesWithDisc(runsFromDense(mask, nx, ny, 1), [sx, sy, 1], radius, { simd: seed !== 3 }));
        expect(Array.from(ours), `seed ${seed}, ${sx}×${sy} mm, r ${radius}`).toEqual(Array.from(bruteClosing(mask, nx, ny, sx, sy, radius)));
      }
    }
  });

  it('closes the same with the WebAssembly kernel as in JavaScript (many slices, lung-sized shapes)', (ctx) => {
    if (!lungSimdAvailable()) ctx.skip();
    const dims: [number, number, number] = [90, 70, 12];
    const noise = randomMask(...dims, 0.5, 4);
    const mask = new Uint8Array(dims[0] * dims[1] * dims[2]);
    // A ragged lung with notches, holes and stray bits, touching the image's left border.
    for (let k = 0; k < dims[2]; k++) {
      for (let y = 0; y < dims[1]; y++) {
        for (let x = 0; x < dims[0]; x++) {
          const i = (k * dims[1] + y) * dims[0] + x;
          const e = ((x - 30) / 32) ** 2 + ((y - 35) / (22 + k)) ** 2;
          mask[i] = (e < 1 && noise[i]! + (x % 9 === 0 ? 1 : 0) < 2 && !(Math.abs(y - 35) < 3 && x > 40)) || (noise[i]! && x > 80 && y % 7 === 0) ? 1 : 0;
        }
      }
    }
    const runs = runsFromDense(mask, ...dims);
    for (const [sx, sy, radius] of [[0.7, 0.7, 10], [1.3, 1.1, 6], [0.8, 1.4, 3]] as const) {
      const simd = runsToDense(closeSlicesWithDisc(runs, [sx, sy, 2], radius));
      const js = runsToDense(closeSlicesWithDisc(runs, [sx, sy, 2], radius, { simd: false }));
      expect(Buffer.from(simd).equals(Buffer.from(js)), `${sx}×${sy} mm, r ${radius}`).toBe(true);
    }
  });

  it('fills a notch narrower than the disc but not a bay wider than it, and never erodes at the image border', () => {
    const n = 40;
    const mask = new Uint8Array(n * n * 2);
    for (let y = 0; y < n; y++) {
      for (let x = 0; x < n; x++) {
        // Slice 0: a block with a 4-voxel notch and a 20-voxel bay cut into its top.
        const notch = x >= 8 && x < 12 && y < 14;
        const bay = x >= 18 && x < 38 && y < 14;
        if (y >= 4 && !notch && !bay) mask[y * n + x] = 1;
        // Slice 1: the whole slice (the lung of a tight crop).
        mask[n * n + y * n + x] = 1;
      }
    }
    const out = runsToDense(closeSlicesWithDisc(runsFromDense(mask, n, n, 2), [1, 1, 1], 5));
    expect(out[10 * n + 10]).toBe(1); // the notch is filled
    expect(out[8 * n + 28]).toBe(0); // the middle of the bay is not
    expect(out.subarray(n * n).every((v) => v === 1)).toBe(true);
    // Radius 0: the input unchanged.
    expect(Array.from(runsToDense(closeSlicesWithDisc(runsFromDense(mask, n, n, 2), [1, 1, 1], 0)))).toEqual(Array.from(mask));
  });
});
