import { chamferDistance, LungCells, type LungSamples } from './lung-samples.js';

/**
 * Which way a real scan's grid runs in the patient (LPS): +1 when the index increases toward the
 * patient's left (columns), back (rows) and head (slices), −1 the other way.
 */
export interface GridOrientation {
  leftSign: 1 | -1;
  posteriorSign: 1 | -1;
  superiorSign: 1 | -1;
}

/**
 * The lungs of a real scan sampled like a phantom's (`sampleLungs`), from its lung mask: one point
 * per ≈ 3 mm cell, each with its side, depth under the pleura in its axial plane, the direction to
 * that pleura and its height above the lowest lung slice. Coordinates are the scan's index frame
 * in mm (x = column · sx, y = row · sy, z = slice · sz), so that lesions planned on these samples
 * are painted straight onto the scan's grid; which end is anterior and which side is left come
 * from `orientation`.
 */
export function sampleMaskLungs(mask: Uint8Array, dimensions: readonly [number, number, number], spacingMm: readonly [number, number, number], orientation: GridOrientation, cellMm = 3): LungSamples {
  const [nx, ny, nz] = dimensions;
  const [sx, sy, sz] = spacingMm;
  const cx = Math.max(1, Math.round(cellMm / sx));
  const cy = Math.max(1, Math.round(cellMm / sy));
  const step = Math.max(1, Math.round(cellMm / sz));
  // One empty cell of border all round, so the chamfer sees the image edge as non-lung.
  const w = Math.ceil(nx / cx) + 2;
  const h = Math.ceil(ny / cy) + 2;
  const counts = new Uint16Array(w * h);
  const dist = new Float32Array(w * h);
  const area = nx * ny;
  const cellArea = cx * cy;
  const cellSizeMm = Math.sqrt(cx * sx * cy * sy);

  let lowest = -1;
  for (let k = 0; k < nz; k++) {
    const kk = orientation.superiorSign > 0 ? k : nz - 1 - k;
    const base = kk * area;
    let any = false;
    for (let q = base; q < base + area && !any; q++) any = mask[q] === 1;
    if (any) {
      lowest = kk;
      break;
    }
  }
  const cells = new LungCells(cellSizeMm);
  if (lowest >= 0) {
    for (let k = 0; k < nz; k += step) {
      const base = k * area;
      counts.fill(0);
      let sumI = 0;
      let voxels = 0;
      for (let j = 0; j < ny; j++) {
        const row = base + j * nx;
        const cj = (Math.floor(j / cy) + 1) * w;
        for (let i = 0; i < nx; i++) {
          if (mask[row + i] !== 1) continue;
          counts[cj + Math.floor(i / cx) + 1]!++;
          sumI += i;
          voxels++;
        }
      }
      if (voxels === 0) continue;
      for (let c = 0; c < counts.length; c++) dist[c] = counts[c]! * 2 >= cellArea ? 1e6 : 0;
      chamferDistance(dist, w, h);
      // The two lungs lie either side of the mask's centroid (the mediastinum between them).
      const midI = sumI / voxels;
      const zRef = (k - lowest) * sz * orientation.superiorSign;
      for (let j = 1; j < h - 1; j++) {
        for (let i = 1; i < w - 1; i++) {
          const q = j * w + i;
          if (dist[q] === 0) continue;
          const ci = (i - 1) * cx + (cx - 1) / 2;
          const cj = (j - 1) * cy + (cy - 1) / 2;
          cells.add(dist, w, q, ci * sx, cj * sy, k * sz, zRef, (ci < midI ? -1 : 1) * orientation.leftSign);
        }
      }
    }
  }
  return cells.samples(orientation.posteriorSign);
}

/**
 * The orientation of an axial grid from its direction cosines (row, column, normal); null when
 * the slices are not axial (the normal more than ≈ 35° from the patient's long axis).
 */
export function gridOrientation(direction: readonly number[]): GridOrientation | null {
  const [rx, , , , cy, , , , nz] = direction as [number, number, number, number, number, number, number, number, number];
  if (Math.abs(nz) < 0.8 || Math.abs(rx) < 0.8 || Math.abs(cy) < 0.8) return null;
  return { leftSign: rx > 0 ? 1 : -1, posteriorSign: cy > 0 ? 1 : -1, superiorSign: nz > 0 ? 1 : -1 };
}
