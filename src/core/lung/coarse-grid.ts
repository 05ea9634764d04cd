import { Volume } from '../volume/volume.js';
import { lungKernel } from './lung-simd.js';
import { RunBuilder, type RunVolume } from './runs.js';

/**
 * The grid the lung mask is decided on. A clinical 512² chest CT has 0.6–0.8 mm pixels; the lung
 * boundary does not need them (the model sees the mask at S = 128, ≈ 3 mm pixels, dilated by
 * 10 mm), and every stage of the mask costs per voxel or per row of runs. So where two pixels
 * side by side fit in `maxGridMm`, 2 × 2 blocks are averaged first (f = 2; slices are never
 * grouped), the mask is decided on the block means and spread back to the volume's grid. With
 * 1.8 mm: pixels up to 0.9 mm → f = 2 (a 1.0–1.8 mm grid), coarser → f = 1, unchanged — which
 * includes the 1.1–1.7 mm phantoms the shipped model was trained on, so its training masks are
 * the same with or without this step.
 */
export function gridFactor([sx, sy]: readonly [number, number, number], maxGridMm: number): 1 | 2 {
  return 2 * Math.min(sx, sy) <= maxGridMm + 1e-9 ? 2 : 1;
}

/**
 * The volume with each 2 × 2 block of a slice replaced by its mean, rounded half up (blocks cut
 * by an odd right or bottom edge average the pixels they hold). Same slices, spacing 2× in-plane,
 * origin at the centre of the first block: the same field of view. The whole blocks go through
 * the WebAssembly SIMD kernel where available (`simd: false`: JavaScript, the same values).
 */
export function blockMeanVolume(volume: Volume, options: { simd?: boolean } = {}): Volume {
  const [nx, ny, nz] = volume.dimensions;
  const cx = Math.ceil(nx / 2);
  const cy = Math.ceil(ny / 2);
  const src = volume.voxels;
  const out = new Int16Array(cx * cy * nz);
  const kernel = options.simd === false ? null : lungKernel();
  const plane = nx * ny;
  for (let k = 0; k < nz; k++) {
    const slice = src.subarray(k * plane, (k + 1) * plane);
    const o = k * cx * cy;
    if (kernel) kernel.blockMean2(slice, nx, ny, out, o, cx);
    for (let y = 0; y < cy; y++) {
      // With the kernel, only the blocks it leaves: a cut last column, a cut last row.
      const cut = kernel && 2 * y + 1 < ny;
      for (let c = cut ? nx >> 1 : 0; c < cx; c++) {
        let sum = 0;
        let n = 0;
        for (let yy = 2 * y; yy < Math.min(ny, 2 * y + 2); yy++) {
          for (let xx = 2 * c; xx < Math.min(nx, 2 * c + 2); xx++) {
            sum += slice[yy * nx + xx]!;
            n++;
          }
        }
        out[o + y * cx + c] = Math.floor((2 * sum + n) / (2 * n));
      }
    }
  }
  const [sx, sy, sz] = volume.spacingMm;
  const d = volume.direction;
  const origin = volume.originLps.map((p, i) => p + (d[i]! * sx + d[3 + i]! * sy) / 2) as [number, number, number];
  return Volume.create({
    dimensions: [cx, cy, nz],
    spacingMm: [sx * 2, sy * 2, sz],
    originLps: origin,
    direction: d,
    voxels: out,
    units: volume.units,
    ...(volume.assumedWindow ? { assumedWindow: volume.assumedWindow } : {}),
  });
}

/**
 * Runs on a grid f× coarser in-plane spread back to the fine grid of nx × ny: each coarse voxel
 * becomes its f × f block (cut at the fine grid's right and bottom edges).
 */
export function upsampleRuns(runs: RunVolume, f: number, nx: number, ny: number): RunVolume {
  const out = new RunBuilder(nx, ny, runs.nz, runs.count * f + 16);
  const { rowStart, x0, x1 } = runs;
  for (let k = 0; k < runs.nz; k++) {
    for (let y = 0; y < ny; y++) {
      const r = k * runs.ny + Math.floor(y / f);
      for (let i = rowStart[r]!; i < rowStart[r + 1]!; i++) {
        const a = x0[i]! * f;
        if (a < nx) out.push(a, Math.min(nx, x1[i]! * f));
      }
      out.endRow();
    }
  }
  return out.finish();
}
