import { componentSizes, labelAt, labelRuns } from './components.js';
import { eccentricity, componentMoments2d } from './region-props.js';
import { keepComponents, type RunVolume } from './runs.js';

type Vec3 = readonly [number, number, number];

/**
 * Liao et al.'s per-slice filter: 2-D components (8-connected) kept when their area exceeds
 * `minAreaMm2` and their eccentricity is below `maxEccentricity` (thin streaks are dropped).
 */
export function filterSliceComponents(air: RunVolume, [sx, sy]: Vec3, minAreaMm2: number, maxEccentricity: number): RunVolume {
  const labels = labelRuns(air, '2d-8');
  const m = componentMoments2d(air, labels);
  const keep = new Uint8Array(labels.count);
  for (let c = 0; c < labels.count; c++) {
    const area = m[c * 6]! * sx * sy;
    keep[c] = area > minAreaMm2 && eccentricity(m, c * 6, sx, sy) < maxEccentricity ? 1 : 0;
  }
  return keepComponents(air, labels.label, keep);
}

/**
 * The body's axis: per slice, the centroid (voxel coordinates x, y) of everything that is not
 * air. Slices with less than `minBodyAreaMm2` of non-air (no body in them) use the image centre.
 * Returns [x0, y0, x1, y1, …], one pair per slice.
 */
export function bodyAxis(air: RunVolume, [sx, sy]: Vec3, minBodyAreaMm2 = 2000): Float64Array {
  const { nx, ny, nz, rowStart, x0, x1 } = air;
  const out = new Float64Array(2 * nz);
  // Sums over the whole slice, from which the air's sums are subtracted.
  const allX = (ny * nx * (nx - 1)) / 2;
  const allY = (nx * ny * (ny - 1)) / 2;
  for (let k = 0; k < nz; k++) {
    let n = nx * ny;
    let sumX = allX;
    let sumY = allY;
    for (let y = 0; y < ny; y++) {
      const r = k * ny + y;
      for (let i = rowStart[r]!; i < rowStart[r + 1]!; i++) {
        const len = x1[i]! - x0[i]!;
        n -= len;
        sumX -= (len * (x0[i]! + x1[i]! - 1)) / 2;
        sumY -= len * y;
      }
    }
    const body = n * sx * sy >= minBodyAreaMm2;
    out[2 * k] = body ? sumX / n : (nx - 1) / 2;
    out[2 * k + 1] = body ? sumY / n : (ny - 1) / 2;
  }
  return out;
}

export interface SelectionOptions {
  /** Component volume bounds in mL (the floor already scaled for partial scans). */
  minVolumeMl: number;
  /**
   * When no component reaches the floor alone, two near-axis components that together reach it
   * are kept as a pair of lungs if the larger is less than this many times the smaller (4.8, the
   * separation's "comparable size"): small patients' lungs, and lungs not joined by the airways.
   * When one alone reaches it, a comparable near-axis component on the other side of the body's
   * axis, with most of its slices among the first one's, is kept as its partner.
   */
  pairMaxRatio: number;
  maxVolumeMl: number;
  /** A component is kept when its mean distance to the body axis is below this. */
  axisDistanceMm: number;
  /** … measured over its slices with more than this area (see `selectLungComponents`). */
  axisSliceAreaMm2: number;
  /**
   * A component at the corners is outside air only when its mean HU is below this (−950): air
   * around a patient reads ≈ −1,000 HU, lung ≈ −850, so a tight crop whose corners fall in the
   * lungs keeps them.
   */
  outsideAirMaxMeanHu: number;
}

/** Why each 3-D component larger than a few millilitres was kept or dropped (for reasons and tests). */
export interface CandidateReport {
  volumeMl: number;
  outcome: 'kept' | 'kept-pair' | 'outside-air' | 'too-small' | 'too-large' | 'off-axis';
  /** Mean distance to the body axis over the measured slices (mm), when measured. */
  axisDistanceMm?: number;
}

export interface Selection {
  runs: RunVolume;
  kept: number;
  candidates: CandidateReport[];
}

const REPORT_MIN_ML = 5;

/**
 * Liao et al.'s 3-D selection on the filtered air: 6-connected components, minus those at the
 * volume's corners and edge midpoints of its first and last slices (outside air: unless their
 * mean HU is lung-like, see `outsideAirMaxMeanHu`), minus those
 * outside the volume bounds (or, when none is lung-sized alone, a comparable near-axis pair that
 * is: see `pairMaxRatio`), minus those away from the body's axis. The axis test: per slice,
 * the component's closest approach to the axis; averaged over the slices where its area exceeds
 * `axisSliceAreaMm2` (Liao: 6,000 mm²) or, for a component that has no such slice (small or
 * partial lungs), over its slices with at least half its largest area.
 */
export function selectLungComponents(
  filtered: RunVolume,
  voxels: Int16Array,
  spacingMm: Vec3,
  axis: Float64Array,
  options: SelectionOptions,
): Selection {
  const { nx, ny, nz, rowStart, x0, x1 } = filtered;
  const [sx, sy, sz] = spacingMm;
  const labels = labelRuns(filtered, '3d-6');
  const sizes = componentSizes(filtered, labels);
  const voxelMl = (sx * sy * sz) / 1000;

  const background = new Set<number>();
  const mid = Math.floor(nx / 2);
  for (const k of [0, nz - 1]) {
    for (const [x, y] of [[0, 0], [nx - 1, 0], [0, ny - 1], [nx - 1, ny - 1], [mid, 0], [mid, ny - 1]] as const) {
      const c = labelAt(filtered, labels, x, y, k);
      if (c >= 0) background.add(c);
    }
  }
  for (const c of background) {
    if (meanHu(filtered, labels.label, c, voxels) >= options.outsideAirMaxMeanHu) background.delete(c);
  }

  // Candidates by volume; each gets a slot in the per-slice tables.
  const slot = new Int32Array(labels.count).fill(-1);
  const reports: CandidateReport[] = [];
  const slotReport: CandidateReport[] = [];
  for (let c = 0; c < labels.count; c++) {
    const volumeMl = sizes[c]! * voxelMl;
    let outcome: CandidateReport['outcome'] | null = null;
    if (background.has(c)) outcome = 'outside-air';
    else if (volumeMl < options.minVolumeMl / options.pairMaxRatio) outcome = 'too-small';
    else if (volumeMl > options.maxVolumeMl) outcome = 'too-large';
    if (outcome === null) {
      const report: CandidateReport = { volumeMl, outcome: 'off-axis' };
      slot[c] = slotReport.length;
      slotReport.push(report);
      reports.push(report);
    } else if (volumeMl >= REPORT_MIN_ML) {
      reports.push({ volumeMl, outcome });
    }
  }

  const n = slotReport.length;
  const area = new Float64Array(n * nz);
  const closest = new Float64Array(n * nz).fill(Infinity);
  // Per candidate: Σ (x − axis x) over its voxels, whose sign says on which side of the body it lies.
  const side = new Float64Array(n);
  for (let k = 0; k < nz; k++) {
    const cx = axis[2 * k]!;
    const cy = axis[2 * k + 1]!;
    for (let y = 0; y < ny; y++) {
      const r = k * ny + y;
      const dy = (y - cy) * sy;
      for (let i = rowStart[r]!; i < rowStart[r + 1]!; i++) {
        const s = slot[labels.label[i]!]!;
        if (s < 0) continue;
        const t = s * nz + k;
        const len = x1[i]! - x0[i]!;
        area[t] = area[t]! + len * sx * sy;
        side[s] = side[s]! + len * ((x0[i]! + x1[i]! - 1) / 2 - cx);
        const nearestX = Math.min(Math.max(cx, x0[i]!), x1[i]! - 1);
        const d = Math.hypot((nearestX - cx) * sx, dy);
        if (d < closest[t]!) closest[t] = d;
      }
    }
  }
  const keepSlot = new Uint8Array(n);
  for (let s = 0; s < n; s++) {
    let maxArea = 0;
    for (let k = 0; k < nz; k++) maxArea = Math.max(maxArea, area[s * nz + k]!);
    const useLiao = maxArea > options.axisSliceAreaMm2;
    let sum = 0;
    let count = 0;
    for (let k = 0; k < nz; k++) {
      const a = area[s * nz + k]!;
      if (useLiao ? a > options.axisSliceAreaMm2 : a >= maxArea / 2) {
        sum += closest[s * nz + k]!;
        count++;
      }
    }
    const mean = count > 0 ? sum / count : Infinity;
    const report = slotReport[s]!;
    report.axisDistanceMm = mean;
    if (mean < options.axisDistanceMm) {
      if (report.volumeMl >= options.minVolumeMl) {
        keepSlot[s] = 1;
        report.outcome = 'kept';
      } else {
        report.outcome = 'too-small';
      }
    }
  }
  if (!keepSlot.includes(1)) {
    // No lung alone: the two largest near-axis components, if comparable and together lung-sized.
    const near = slotReport
      .map((r, s) => ({ r, s }))
      .filter(({ r }) => r.outcome === 'too-small')
      .sort((a, b) => b.r.volumeMl - a.r.volumeMl);
    const [a, b] = near;
    if (a && b && a.r.volumeMl + b.r.volumeMl >= options.minVolumeMl && a.r.volumeMl < options.pairMaxRatio * b.r.volumeMl) {
      for (const { r, s } of [a, b]) {
        keepSlot[s] = 1;
        r.outcome = 'kept-pair';
      }
    }
  } else if (keepSlot.reduce((a, b) => a + b, 0) === 1) {
    // One lung kept alone: its partner can fall below the floor on its own (a small lung, or one
    // full of opacities, not joined to the other through the airways at this resolution). The
    // largest near-axis candidate on the other side of the body's axis, comparable in size, with
    // most of its slices among the kept lung's, is that partner (bowel gas lies below the lungs).
    const kept = keepSlot.indexOf(1);
    const [k0, k1] = sliceRange(area, kept, nz);
    let best = -1;
    for (let s = 0; s < n; s++) {
      const r = slotReport[s]!;
      if (r.outcome !== 'too-small' || side[s]! * side[kept]! >= 0) continue;
      if (slotReport[kept]!.volumeMl >= options.pairMaxRatio * r.volumeMl) continue;
      const [c0, c1] = sliceRange(area, s, nz);
      const overlap = Math.max(0, Math.min(c1, k1) - Math.max(c0, k0) + 1) / (c1 - c0 + 1);
      if (overlap >= 0.5 && (best < 0 || r.volumeMl > slotReport[best]!.volumeMl)) best = s;
    }
    if (best >= 0) {
      keepSlot[best] = 1;
      slotReport[best]!.outcome = 'kept-pair';
    }
  }
  const keep = Uint8Array.from(slot, (s) => (s >= 0 && keepSlot[s] === 1 ? 1 : 0));
  const runs = keepComponents(filtered, labels.label, keep);
  return { runs, kept: keepSlot.reduce((a, b) => a + b, 0), candidates: reports.sort((a, b) => b.volumeMl - a.volumeMl) };
}

/** Mean HU of component c, from every 8th row of it (all rows when that samples nothing). */
function meanHu(runs: RunVolume, label: Int32Array, c: number, voxels: Int16Array): number {
  const { nx, ny, rowStart, x0, x1 } = runs;
  for (const step of [8, 1]) {
    let sum = 0;
    let n = 0;
    for (let r = 0; r < rowStart.length - 1; r++) {
      if ((r % ny) % step !== 0) continue;
      for (let i = rowStart[r]!; i < rowStart[r + 1]!; i++) {
        if (label[i] !== c) continue;
        const base = r * nx;
        for (let x = base + x0[i]!; x < base + x1[i]!; x++) sum += voxels[x]!;
        n += x1[i]! - x0[i]!;
      }
    }
    if (n > 0) return sum / n;
  }
  return -1000;
}

/** First and last slice where candidate `s` has voxels (its rows of the per-slice area table). */
function sliceRange(area: Float64Array, s: number, nz: number): [number, number] {
  let first = -1;
  let last = -1;
  for (let k = 0; k < nz; k++) {
    if (area[s * nz + k]! > 0) {
      if (first < 0) first = k;
      last = k;
    }
  }
  return [first, last];
}
