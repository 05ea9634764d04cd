import { RunBuilder, type RunVolume } from './runs.js';

/** The filled convex hull of one slice's voxels: row y = ymin + j spans left[j] … right[j] (inclusive). */
export interface SliceHull {
  ymin: number;
  left: Int32Array;
  right: Int32Array;
  /** Voxels inside the hull. */
  area: number;
}

/**
 * Filled convex hull of slice k of `runs`: the voxels whose centres lie in the convex hull of the
 * slice's voxel centres (a digital hull that holds every voxel of the slice). Only the first and
 * last voxel of each row can be hull vertices, so the hull's left edge is the lower convex
 * envelope of the rows' first voxels and its right edge the upper concave envelope of their last
 * voxels (monotone chain on ≤ 2 points per row). Null for an empty slice.
 */
export function sliceHull(runs: RunVolume, k: number): SliceHull | null {
  const { ny, rowStart, x0, x1 } = runs;
  const ys: number[] = [];
  const ls: number[] = [];
  const rs: number[] = [];
  for (let y = 0; y < ny; y++) {
    const r = k * ny + y;
    if (rowStart[r] === rowStart[r + 1]) continue;
    ys.push(y);
    ls.push(x0[rowStart[r]!]!);
    rs.push(x1[rowStart[r + 1]! - 1]! - 1);
  }
  if (ys.length === 0) return null;
  const ymin = ys[0]!;
  const ymax = ys[ys.length - 1]!;
  const leftChain = envelope(ys, ls, -1);
  const rightChain = envelope(ys, rs, 1);
  const rows = ymax - ymin + 1;
  const left = new Int32Array(rows);
  const right = new Int32Array(rows);
  rasterise(ys, ls, leftChain, ymin, rows, left, (v) => Math.ceil(v - 1e-9));
  rasterise(ys, rs, rightChain, ymin, rows, right, (v) => Math.floor(v + 1e-9));
  let area = 0;
  for (let j = 0; j < rows; j++) area += right[j]! - left[j]! + 1;
  return { ymin, left, right, area };
}

/**
 * Indices of the points (ys[i], xs[i]) (ys increasing) on the lower (side −1: smallest x, convex)
 * or upper (side +1: largest x, concave) envelope of x as a function of y.
 */
function envelope(ys: number[], xs: number[], side: -1 | 1): number[] {
  const hull: number[] = [];
  for (let i = 0; i < ys.length; i++) {
    while (hull.length >= 2) {
      const a = hull[hull.length - 2]!;
      const b = hull[hull.length - 1]!;
      // > 0: b lies on the smaller-x side of the chord a→i.
      const cross = (ys[b]! - ys[a]!) * (xs[i]! - xs[a]!) - (xs[b]! - xs[a]!) * (ys[i]! - ys[a]!);
      if (side === -1 ? cross > 0 : cross < 0) break;
      hull.pop();
    }
    hull.push(i);
  }
  return hull;
}

function rasterise(ys: number[], xs: number[], chain: number[], ymin: number, rows: number, out: Int32Array, round: (v: number) => number): void {
  if (chain.length === 1) {
    out.fill(xs[chain[0]!]!);
    return;
  }
  let s = 0;
  for (let j = 0; j < rows; j++) {
    const y = ymin + j;
    while (s < chain.length - 2 && ys[chain[s + 1]!]! < y) s++;
    const a = chain[s]!;
    const b = chain[s + 1]!;
    const ya = ys[a]!;
    const yb = ys[b]!;
    out[j] = yb === ya ? xs[a]! : round(xs[a]! + ((xs[b]! - xs[a]!) * (y - ya)) / (yb - ya));
  }
}

/**
 * Each slice replaced by its filled convex hull, except where the hull holds more than
 * `maxRatio` times the slice's voxels (then the slice is kept as it is). Liao et al. use this on
 * each lung separately so that a hull never bridges the mediastinum; the lung mask uses the
 * whole hull (maxRatio = Infinity) only to bound what it adds (grow-in-hull.ts, outer-pockets.ts).
 */
export function convexHullPerSlice(runs: RunVolume, maxRatio: number): RunVolume {
  const { nx, ny, nz, rowStart, x0, x1 } = runs;
  const out = new RunBuilder(nx, ny, nz, runs.count);
  for (let k = 0; k < nz; k++) {
    let area = 0;
    for (let i = rowStart[k * ny]!; i < rowStart[(k + 1) * ny]!; i++) area += x1[i]! - x0[i]!;
    const hull = area > 0 ? sliceHull(runs, k) : null;
    const useHull = hull !== null && hull.area <= maxRatio * area;
    for (let y = 0; y < ny; y++) {
      const j = hull ? y - hull.ymin : -1;
      if (useHull && j >= 0 && j < hull.left.length) {
        out.push(hull.left[j]!, hull.right[j]! + 1);
      } else if (!useHull) {
        const r = k * ny + y;
        for (let i = rowStart[r]!; i < rowStart[r + 1]!; i++) out.push(x0[i]!, x1[i]!);
      }
      out.endRow();
    }
  }
  return out.finish();
}
