import { componentSizes, labelRuns } from './components.js';
import { boundingBox, l1DistanceTransform } from './distance.js';
import { lungKernel, releaseLargeLungKernel } from './lung-simd.js';
import { keepComponents, RunBuilder, runsAbove, type RunVolume } from './runs.js';

type Vec3 = readonly [number, number, number];

export interface SeparationOptions {
  /** Deepest erosion tried, in mm (Liao: 22 iterations on a 1 mm grid). */
  maxErosionMm: number;
  /** The two largest parts are "comparable" when the larger is less than this many times the smaller (Liao: 4.8). */
  maxRatio: number;
  /** Spacing the decision grid aims at, in mm (each axis is downsampled by round(target / spacing), at least 1). */
  gridSpacingMm: number;
  /**
   * The distance transform and the growth through the WebAssembly SIMD kernel where available
   * (true; false: JavaScript, the same result).
   */
  simd?: boolean;
}

export interface Separation {
  /** One lung mask per part found: two when separated, else the input alone. */
  lungs: RunVolume[];
  /** Erosion depth (mm) at which the two parts appeared; null when no split was found. */
  erosionMm: number | null;
}

/**
 * Splits the lung mask into left and right lung (Liao et al.'s `two_lung_only`): erode until the
 * two largest parts are of comparable size, then give every voxel of the mask to the nearer part
 * (grow back), so that each lung can be convex-hulled on its own.
 *
 * The decision is made on a coarse grid (≈ 1.5 mm; a voxel is in the coarse mask when any of its
 * fine voxels is): erosion by t mm is {inside distance > t} with the exact L1 distance in mm
 * (Liao's 6-connected erosions), tried at t = 0, step, 2·step, … (step = the finest coarse
 * spacing). Growing back is geodesic: breadth-first from both parts at once through the coarse
 * mask, so a voxel goes to the part it is connected to (Liao: the nearer part in straight line).
 * The fine mask is then split by the coarse cell each voxel falls in, so every fine voxel keeps
 * its place: only the boundary between the two lungs (in the mediastinum) is coarse.
 */
export function separateLungs(mask: RunVolume, spacingMm: Vec3, options: SeparationOptions): Separation {
  const { nx, ny, nz, rowStart, x0, x1 } = mask;
  const f = spacingMm.map((s) => Math.max(1, Math.round(options.gridSpacingMm / s))) as unknown as Vec3;
  const [fx, fy, fz] = f;
  const coarseSpacing = [spacingMm[0] * fx, spacingMm[1] * fy, spacingMm[2] * fz] as const;

  // Coarse bounding box with a one-voxel background margin.
  const box = boundingBox(mask);
  if (!box) return { lungs: [mask], erosionMm: null };
  const { xmin, xmax, ymin, ymax, kmin, kmax } = box;
  const cx0 = Math.floor(xmin / fx) - 1;
  const cy0 = Math.floor(ymin / fy) - 1;
  const ck0 = Math.floor(kmin / fz) - 1;
  const cw = Math.floor(xmax / fx) - cx0 + 2;
  const ch = Math.floor(ymax / fy) - cy0 + 2;
  const cd = Math.floor(kmax / fz) - ck0 + 2;
  const dims = [cw, ch, cd] as const;
  // 1 = background, 0 = lung: the source of the inside distance below.
  const outside = new Uint8Array(cw * ch * cd).fill(1);
  const cellOf = (x: number, y: number, k: number) => ((Math.floor(k / fz) - ck0) * ch + Math.floor(y / fy) - cy0) * cw + Math.floor(x / fx) - cx0;
  for (let r = 0; r < rowStart.length - 1; r++) {
    const y = r % ny;
    const k = (r - y) / ny;
    for (let i = rowStart[r]!; i < rowStart[r + 1]!; i++) {
      const a = cellOf(x0[i]!, y, k);
      const b = cellOf(x1[i]! - 1, y, k);
      outside.fill(0, a, b + 1);
    }
  }

  // Inside distance: to the nearest coarse background voxel.
  const useKernel = options.simd !== false;
  const inside = l1DistanceTransform(outside, dims, coarseSpacing, { simd: useKernel });

  const step = Math.min(...coarseSpacing);
  let seeds: Uint8Array | null = null;
  let erosionMm: number | null = null;
  for (let t = 0; t <= options.maxErosionMm + 1e-9 && !seeds; t += step) {
    const core = runsAbove(inside, dims[0], dims[1], dims[2], t);
    if (core.count === 0) break;
    const labels = labelRuns(core, '3d-6');
    if (labels.count < 2) continue;
    const sizes = componentSizes(core, labels);
    let a = -1;
    let b = -1;
    for (let c = 0; c < labels.count; c++) {
      if (a < 0 || sizes[c]! > sizes[a]!) {
        b = a;
        a = c;
      } else if (b < 0 || sizes[c]! > sizes[b]!) {
        b = c;
      }
    }
    if (sizes[a]! / sizes[b]! < options.maxRatio) {
      seeds = seedsOf(core, labels.label, a, b);
      erosionMm = t;
    }
  }
  if (!seeds) return { lungs: [mask], erosionMm: null };

  // Grow back within the mask: each coarse mask voxel goes to the part it reaches first.
  const owner = seeds;
  const kernel = useKernel ? lungKernel() : null;
  if (kernel) {
    kernel.growWithin(owner, outside, cw, cw * ch);
    releaseLargeLungKernel();
  } else {
    growWithin(owner, outside, dims);
  }

  // Split the fine runs cell by cell.
  const one = new RunBuilder(nx, ny, nz, mask.count);
  const two = new RunBuilder(nx, ny, nz, mask.count);
  for (let r = 0; r < rowStart.length - 1; r++) {
    const y = r % ny;
    const k = (r - y) / ny;
    const rowCell = cellOf(0, y, k);
    for (let i = rowStart[r]!; i < rowStart[r + 1]!; i++) {
      const end = x1[i]!;
      for (let x = x0[i]!; x < end; ) {
        // The run's stretch of cells with the same owner, at once.
        let cx = Math.floor(x / fx);
        const second = owner[rowCell + cx] === 2;
        do cx++;
        while (cx * fx < end && (owner[rowCell + cx] === 2) === second);
        const next = Math.min(end, cx * fx);
        (second ? two : one).pushMerged(x, next);
        x = next;
      }
    }
    one.endRow();
    two.endRow();
  }
  return { lungs: [one.finish(), two.finish()], erosionMm };
}

/**
 * Breadth-first growth of the labels in `owner` (1, 2; 0 = none) through the voxels where
 * `outside` is 0, by face neighbours: a geodesic split of the mask between the two parts. The
 * grid's one-voxel background margin keeps every neighbour of a mask voxel inside the grid.
 * (The kernel's `growWithin` does the same in WebAssembly; this is its fallback and reference.)
 */
function growWithin(owner: Uint8Array, outside: Uint8Array, [w, h]: Vec3): void {
  const plane = w * h;
  const queue = new Int32Array(owner.length);
  let tail = 0;
  for (let i = 0; i < owner.length; i++) if (owner[i] !== 0) queue[tail++] = i;
  const visit = (j: number, label: number) => {
    if (outside[j] === 0 && owner[j] === 0) {
      owner[j] = label;
      queue[tail++] = j;
    }
  };
  for (let head = 0; head < tail; head++) {
    const i = queue[head]!;
    const label = owner[i]!;
    visit(i - 1, label);
    visit(i + 1, label);
    visit(i - w, label);
    visit(i + w, label);
    visit(i - plane, label);
    visit(i + plane, label);
  }
}


/** Dense labels: 1 on component a, 2 on component b, 0 elsewhere. */
function seedsOf(runs: RunVolume, label: Int32Array, a: number, b: number): Uint8Array {
  const out = new Uint8Array(runs.nx * runs.ny * runs.nz);
  for (let r = 0; r < runs.rowStart.length - 1; r++) {
    for (let i = runs.rowStart[r]!; i < runs.rowStart[r + 1]!; i++) {
      const which = label[i] === a ? 1 : label[i] === b ? 2 : 0;
      if (which) out.fill(which, r * runs.nx + runs.x0[i]!, r * runs.nx + runs.x1[i]!);
    }
  }
  return out;
}

/**
 * Liao et al.'s `extract_main` for one lung: per slice, the largest 2-D parts that together hold
 * `cover` of the slice's area (stray bits given to the wrong lung, a piece of trachea); then the
 * largest 3-D component.
 */
export function mainPart(lung: RunVolume, cover = 0.95): RunVolume {
  const labels = labelRuns(lung, '2d-8');
  const sizes = componentSizes(lung, labels);
  const keep = new Uint8Array(labels.count);
  // Labels are numbered in row order and 2-D components stay in their slice, so each slice's
  // labels form one contiguous range.
  const { ny, nz, rowStart } = lung;
  for (let k = 0; k < nz; k++) {
    const first = rowStart[k * ny]!;
    const last = rowStart[(k + 1) * ny]!;
    if (first === last) continue;
    let lo = Infinity;
    let hi = -1;
    for (let i = first; i < last; i++) {
      lo = Math.min(lo, labels.label[i]!);
      hi = Math.max(hi, labels.label[i]!);
    }
    const ids: number[] = [];
    let total = 0;
    for (let c = lo; c <= hi; c++) {
      ids.push(c);
      total += sizes[c]!;
    }
    ids.sort((a, b) => sizes[b]! - sizes[a]!);
    let sum = 0;
    for (const c of ids) {
      if (sum >= cover * total) break;
      keep[c] = 1;
      sum += sizes[c]!;
    }
  }
  const kept = keepComponents(lung, labels.label, keep);
  const labels3d = labelRuns(kept, '3d-6');
  if (labels3d.count <= 1) return kept;
  const sizes3d = componentSizes(kept, labels3d);
  let best = 0;
  for (let c = 1; c < labels3d.count; c++) if (sizes3d[c]! > sizes3d[best]!) best = c;
  const largest = new Uint8Array(labels3d.count);
  largest[best] = 1;
  return keepComponents(kept, labels3d.label, largest);
}
