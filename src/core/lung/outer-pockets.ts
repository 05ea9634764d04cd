import { componentSizes, labelRuns } from './components.js';
import { sliceHull, type SliceHull } from './convex-hull.js';
import { RunBuilder, subtractRuns, unionRuns, type RunVolume } from './runs.js';

type Vec3 = readonly [number, number, number];

/** A pocket opening within 60° of the lung's medial direction faces the mediastinum. */
const COS_MEDIAL = Math.cos(Math.PI / 3);
/** Below this distance between a lung's centroid and the body's axis (one mask holding both lungs), "medial" is undefined. */
const MIN_MEDIAL_MM = 20;

/**
 * One lung with the pockets of its per-slice convex hull filled where they indent the lung's
 * outer surface: Liao et al.'s hull (DESIGN.md §5), kept for what it is for — a nodule or an
 * opacity against the costal pleura stays inside the mask — without the concavities of the
 * anatomy, which the whole hull fills (the cardiac bay, the mediastinal side, the lung base around
 * the dome of the diaphragm; measured on phantoms: ≈ 15% of the lung volume added, Dice 0.89–0.91
 * against their truth, the main error of the mask).
 *
 * A pocket is a 2-D component of hull ∖ lung in one slice. Its mouth is where it meets the hull's
 * edge; it opens along o = mouth centroid − pocket centroid. It is filled when
 * - it does not open towards the mediastinum: o is more than 60° away from the lung's medial
 *   direction (from the lung's centroid in that slice to the body's axis). The costal surface
 *   (lateral, anterior, posterior) is convex, so an indentation there opens outwards; the
 *   mediastinal side, the hilum and the cardiac bay open medially, and the pocket over the dome
 *   of the diaphragm anteromedially and deep. (When one mask holds both lungs, so that its
 *   centroid lies on the axis, the test is o · (mouth − axis) > 0: opening away from the axis.)
 *   Paravertebral pockets opening more medially than posteriorly are left to the closing; and
 * - it is at most `maxDepthMm` deep along o (25 mm: a juxtapleural nodule of 3 cm): a layering
 *   effusion under the lung, deeper, is not lung.
 * Stats are summed per run in closed form (centroids, mouth, depth), so the cost is per run.
 */
export function fillOuterPockets(lung: RunVolume, axis: Float64Array, [sx, sy]: Vec3, maxDepthMm: number): RunVolume {
  const { nx, ny, nz } = lung;
  // Each slice's hull, once: as spans for the mouths, as runs for the pockets.
  const hulls: (SliceHull | null)[] = [];
  const hullRuns = new RunBuilder(nx, ny, nz, lung.count);
  for (let k = 0; k < nz; k++) {
    const hull = lung.rowStart[k * ny] === lung.rowStart[(k + 1) * ny] ? null : sliceHull(lung, k);
    hulls.push(hull);
    for (let y = 0; y < ny; y++) {
      const j = hull ? y - hull.ymin : -1;
      if (hull && j >= 0 && j < hull.left.length) hullRuns.push(hull.left[j]!, hull.right[j]! + 1);
      hullRuns.endRow();
    }
  }
  const pockets = subtractRuns(hullRuns.finish(), lung);
  if (pockets.count === 0) return lung;
  const labels = labelRuns(pockets, '2d-8');
  const n = labels.count;
  const size = componentSizes(pockets, labels);
  // Σx, Σy of each pocket; count, Σx, Σy of its mouth voxels; its slice.
  const sumX = new Float64Array(n);
  const sumY = new Float64Array(n);
  const mouth = new Float64Array(3 * n);
  const sliceOf = new Int32Array(n);
  const { rowStart, x0, x1 } = pockets;
  for (let k = 0; k < nz; k++) {
    if (rowStart[k * ny] === rowStart[(k + 1) * ny]) continue;
    const hull = hulls[k]!;
    for (let y = 0; y < ny; y++) {
      const row = k * ny + y;
      for (let i = rowStart[row]!; i < rowStart[row + 1]!; i++) {
        const c = labels.label[i]!;
        const a = x0[i]!;
        const b = x1[i]!;
        sliceOf[c] = k;
        sumX[c] = sumX[c]! + ((b - a) * (a + b - 1)) / 2;
        sumY[c] = sumY[c]! + (b - a) * y;
        addMouth(mouth, c, hull, a, b, y);
      }
    }
  }

  // The lung's centroid per slice (mm), for its medial direction.
  const lungSum = new Float64Array(3 * nz);
  for (let row = 0; row < ny * nz; row++) {
    const y = row % ny;
    const k = (row - y) / ny;
    for (let i = lung.rowStart[row]!; i < lung.rowStart[row + 1]!; i++) {
      const a = lung.x0[i]!;
      const b = lung.x1[i]!;
      lungSum[3 * k] = lungSum[3 * k]! + (b - a);
      lungSum[3 * k + 1] = lungSum[3 * k + 1]! + ((b - a) * (a + b - 1)) / 2;
      lungSum[3 * k + 2] = lungSum[3 * k + 2]! + (b - a) * y;
    }
  }
  // Which pockets face outwards, and their opening direction (unit, in mm).
  const dirX = new Float64Array(n);
  const dirY = new Float64Array(n);
  const open = new Uint8Array(n);
  for (let c = 0; c < n; c++) {
    const m = mouth[3 * c]!;
    if (m === 0) continue;
    const mx = (mouth[3 * c + 1]! / m) * sx;
    const my = (mouth[3 * c + 2]! / m) * sy;
    const ox = mx - (sumX[c]! / size[c]!) * sx;
    const oy = my - (sumY[c]! / size[c]!) * sy;
    const len = Math.hypot(ox, oy);
    if (len === 0) continue;
    dirX[c] = ox / len;
    dirY[c] = oy / len;
    const k = sliceOf[c]!;
    const ax = axis[2 * k]! * sx;
    const ay = axis[2 * k + 1]! * sy;
    // Medial: from the lung's centroid towards the body's axis.
    const ux = ax - (lungSum[3 * k + 1]! / lungSum[3 * k]!) * sx;
    const uy = ay - (lungSum[3 * k + 2]! / lungSum[3 * k]!) * sy;
    const ul = Math.hypot(ux, uy);
    const outward = ul >= MIN_MEDIAL_MM
      ? (dirX[c]! * ux + dirY[c]! * uy) / ul < COS_MEDIAL
      : ox * (mx - ax) + oy * (my - ay) > 0;
    if (outward) open[c] = 1;
  }
  // Depth: the largest (mouth − p) · o over the pocket; linear in x, so a run's ends bound it.
  const depth = new Float64Array(n);
  for (let row = 0; row < ny * nz; row++) {
    const y = row % ny;
    for (let i = rowStart[row]!; i < rowStart[row + 1]!; i++) {
      const c = labels.label[i]!;
      if (!open[c]) continue;
      const m = mouth[3 * c]!;
      const mx = (mouth[3 * c + 1]! / m) * sx;
      const my = (mouth[3 * c + 2]! / m) * sy;
      for (const x of [x0[i]!, x1[i]! - 1]) {
        const d = (mx - x * sx) * dirX[c]! + (my - y * sy) * dirY[c]!;
        if (d > depth[c]!) depth[c] = d;
      }
    }
  }
  const fill = new RunBuilder(nx, ny, nz, pockets.count);
  for (let row = 0; row < ny * nz; row++) {
    for (let i = rowStart[row]!; i < rowStart[row + 1]!; i++) {
      const c = labels.label[i]!;
      if (open[c] && depth[c]! <= maxDepthMm) fill.push(x0[i]!, x1[i]!);
    }
    fill.endRow();
  }
  return unionRuns(lung, fill.finish());
}

/**
 * Adds to pocket c's mouth the voxels of the run [a, b) on row y that lie on the hull's edge: a
 * 4-neighbour outside the hull (the row's own ends, the hull's first and last rows, or beyond the
 * span of the row above or below).
 */
function addMouth(mouth: Float64Array, c: number, hull: SliceHull, a: number, b: number, y: number): void {
  const j = y - hull.ymin;
  const rows = hull.left.length;
  let count = 0;
  let sum = 0;
  const add = (from: number, to: number) => {
    if (to < from) return;
    count += to - from + 1;
    sum += ((to - from + 1) * (from + to)) / 2;
  };
  const lo = j > 0 && j < rows - 1 ? Math.max(hull.left[j - 1]!, hull.left[j + 1]!) : Infinity;
  const hi = j > 0 && j < rows - 1 ? Math.min(hull.right[j - 1]!, hull.right[j + 1]!) : -Infinity;
  if (lo > hi) {
    add(a, b - 1);
  } else {
    // x < lo or x > hi; then the row's ends where they lie within [lo, hi].
    add(a, Math.min(b - 1, lo - 1));
    add(Math.max(a, hi + 1), b - 1);
    const ends = hull.left[j] === hull.right[j] ? [hull.left[j]!] : [hull.left[j]!, hull.right[j]!];
    for (const x of ends) if (x >= a && x < b && x >= lo && x <= hi) add(x, x);
  }
  mouth[3 * c] = mouth[3 * c]! + count;
  mouth[3 * c + 1] = mouth[3 * c + 1]! + sum;
  mouth[3 * c + 2] = mouth[3 * c + 2]! + count * y;
}
