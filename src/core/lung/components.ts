import { lungKernel } from './lung-simd.js';
import type { RunVolume } from './runs.js';

/**
 * Which voxels touch:
 * - `2d-4`, `2d-8`: within a slice, by edge / by edge or corner (slices never connect);
 * - `3d-6`: by face; `3d-26`: by face, edge or corner.
 */
export type Connectivity = '2d-4' | '2d-8' | '3d-6' | '3d-26';

export interface RunLabels {
  /** Component of each run, 0 … count − 1, numbered in order of first appearance (row order). */
  label: Int32Array;
  count: number;
}

/**
 * Connected components of a RunVolume by union-find over runs: each run is joined with the runs
 * it touches in the neighbouring rows already visited (previous row; and for 3-D the rows of the
 * previous slice), found with one merge-like sweep per pair of rows. Cost: O(runs), never per voxel.
 * The labels do not depend on how the union-find is done (each component is numbered by its first
 * run), so the WebAssembly kernel gives the same where available (`simd: false`: JavaScript):
 * compiled before first use, it is as fast in a new thread as in a warm one.
 */
export function labelRuns(runs: RunVolume, connectivity: Connectivity, options: { simd?: boolean } = {}): RunLabels {
  const grow = connectivity === '2d-8' || connectivity === '3d-26' ? 1 : 0;
  const threeD = connectivity === '3d-6' || connectivity === '3d-26';
  const kernel = options.simd === false ? null : lungKernel();
  if (kernel) return kernel.labelRuns(runs, grow, threeD, connectivity === '3d-26');
  return labelRunsJs(runs, grow, threeD, connectivity === '3d-26');
}

function labelRunsJs(runs: RunVolume, grow: 0 | 1, threeD: boolean, corners: boolean): RunLabels {
  const { ny, nz, rowStart, x0, x1, count } = runs;
  const parent = new Int32Array(count);
  for (let i = 0; i < count; i++) parent[i] = i;

  const find = (i: number): number => {
    while (parent[i]! !== i) {
      const p = parent[parent[i]!]!;
      parent[i] = p;
      i = p;
    }
    return i;
  };
  /** Joins the runs of rows a and b that overlap, when widened by `grow` voxels. */
  const joinRows = (a: number, b: number, grow: number) => {
    let i = rowStart[a]!;
    let j = rowStart[b]!;
    const ie = rowStart[a + 1]!;
    const je = rowStart[b + 1]!;
    while (i < ie && j < je) {
      if (x0[i]! < x1[j]! + grow && x0[j]! < x1[i]! + grow) {
        const ri = find(i);
        const rj = find(j);
        // The smaller index becomes the root, so roots are each component's first run.
        if (ri < rj) parent[rj] = ri;
        else if (rj < ri) parent[ri] = rj;
      }
      if (x1[i]! < x1[j]!) i++;
      else j++;
    }
  };

  for (let k = 0; k < nz; k++) {
    for (let y = 0; y < ny; y++) {
      const r = k * ny + y;
      if (rowStart[r] === rowStart[r + 1]) continue;
      if (y > 0) joinRows(r, r - 1, grow);
      if (threeD && k > 0) {
        const below = r - ny;
        joinRows(r, below, grow);
        if (corners) {
          if (y > 0) joinRows(r, below - 1, 1);
          if (y < ny - 1) joinRows(r, below + 1, 1);
        }
      }
    }
  }

  const label = new Int32Array(count);
  let n = 0;
  for (let i = 0; i < count; i++) {
    const root = find(i);
    label[i] = root === i ? n++ : label[root]!;
  }
  return { label, count: n };
}

/** Voxel count of each component. */
export function componentSizes(runs: RunVolume, labels: RunLabels): Float64Array {
  const sizes = new Float64Array(labels.count);
  for (let i = 0; i < runs.count; i++) sizes[labels.label[i]!]! += runs.x1[i]! - runs.x0[i]!;
  return sizes;
}

/** Row index (k·ny + y) of every run. */
export function runRows(runs: RunVolume): Int32Array {
  const rows = new Int32Array(runs.count);
  for (let r = 0; r < runs.rowStart.length - 1; r++) rows.fill(r, runs.rowStart[r]!, runs.rowStart[r + 1]!);
  return rows;
}

/** The component containing voxel (x, y, k), or −1 when the voxel is not in any run. */
export function labelAt(runs: RunVolume, labels: RunLabels, x: number, y: number, k: number): number {
  const r = k * runs.ny + y;
  for (let i = runs.rowStart[r]!; i < runs.rowStart[r + 1]!; i++) {
    if (runs.x0[i]! <= x && x < runs.x1[i]!) return labels.label[i]!;
  }
  return -1;
}
