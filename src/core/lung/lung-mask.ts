import type { Warning } from '../errors.js';
import type { Volume } from '../volume/volume.js';
import { blockMeanVolume, gridFactor, upsampleRuns } from './coarse-grid.js';
import { closeSlicesWithDisc } from './disc-closing.js';
import { boundingBox, dilateRunsL1 } from './distance.js';
import { fillHoles2d } from './fill-holes.js';
import { smoothedBelowRuns } from './gaussian.js';
import { growWithinHull } from './grow-in-hull.js';
import { checkHu } from './hu-check.js';
import { fillOuterPockets } from './outer-pockets.js';
import { preMaskedLungs } from './pre-masked.js';
import { runsToDense, sliceVoxelCounts, subtractRuns, unionRuns, type RunVolume } from './runs.js';
import { bodyAxis, filterSliceComponents, selectLungComponents, type CandidateReport } from './select.js';
import { mainPart, separateLungs } from './separate.js';
import { lungMaskPerSlice } from './sparse-slices.js';

/** Every constant of the recipe (DESIGN.md §5), with Liao et al.'s values as defaults. */
export interface LungMaskOptions {
  /** Air threshold on the smoothed slice, HU (−600). */
  thresholdHu: number;
  /** Per-slice components: kept above this area (30 mm²) … */
  minSliceAreaMm2: number;
  /** … and below this eccentricity (0.99). */
  maxEccentricity: number;
  /** Lung volume bounds for a whole chest, litres ([0.68, 7.5]). */
  volumeRangeL: [number, number];
  /**
   * Craniocaudal coverage (mm) at and above which the full volume floor applies (250 mm, an
   * adult lung's height plus margin); a shorter scan scales the floor by coverage / this.
   */
  fullCoverageMm: number;
  /** Central-axis test: mean closest distance to the body axis below this (62 mm) … */
  axisDistanceMm: number;
  /** … over slices where the component exceeds this area (6,000 mm²). */
  axisSliceAreaMm2: number;
  /** Corner components with a mean HU at or above this are not outside air (−950; see select.ts). */
  outsideAirMaxMeanHu: number;
  /** Lung separation: deepest erosion (22 mm) and size ratio of comparable parts (4.8). */
  separationMaxErosionMm: number;
  separationMaxRatio: number;
  /** Spacing of the grid on which the separation is decided (≈ 1.5 mm). */
  separationGridMm: number;
  /**
   * Lung-like voxels: smoothed HU in [thresholdHu, this) (−400: at least half lung against soft
   * tissue, ground glass). Each lung grows into those of its per-slice convex hull.
   */
  lungLikeMaxHu: number;
  /**
   * Pockets of a lung's per-slice convex hull on its costal side (not opening towards the
   * mediastinum) are filled up to this depth, mm (25: a juxtapleural nodule of 3 cm). Negative: none.
   */
  pocketMaxDepthMm: number;
  /** In-plane closing by a disc of this radius, per lung, mm (10: nodules up to ≈ 2 cm at any wall; 0 = none). */
  closingMm: number;
  /** Final 3-D dilation, mm along each axis (10; Liao: 10 voxels of 1 mm). */
  dilationMm: number;
  /**
   * The coarsest in-plane spacing, mm, of the grid the mask is decided on (1.8): where two pixels
   * fit in it, 2 × 2 blocks are averaged first and the mask spread back (coarse-grid.ts). 0: the
   * volume's own grid always.
   */
  maxGridMm: number;
  /**
   * Use the WebAssembly SIMD kernel when available (true) for the block means, the smoothing and
   * the separation's distances and growth; false: their JavaScript, the same mask. (The components
   * of runs, the disc closing and the dilation take the kernel where there is one; each has its own
   * `simd: false` for tests.)
   */
  simd: boolean;
}

export const DEFAULT_LUNG_MASK_OPTIONS: Readonly<LungMaskOptions> = Object.freeze({
  thresholdHu: -600,
  minSliceAreaMm2: 30,
  maxEccentricity: 0.99,
  volumeRangeL: [0.68, 7.5] as [number, number],
  fullCoverageMm: 250,
  axisDistanceMm: 62,
  axisSliceAreaMm2: 6000,
  outsideAirMaxMeanHu: -950,
  separationMaxErosionMm: 22,
  separationMaxRatio: 4.8,
  separationGridMm: 1.5,
  lungLikeMaxHu: -400,
  pocketMaxDepthMm: 25,
  closingMm: 10,
  dilationMm: 10,
  maxGridMm: 1.8,
  simd: true,
});

export type LungMaskStatus = 'ok' | 'no-lung-found' | 'not-hu';

export interface LungMaskResult {
  status: LungMaskStatus;
  /** A sentence for the user when the status is not `ok`. */
  reason?: string;
  /** 1 inside the lungs (before the dilation), on the volume's grid. */
  mask: Uint8Array;
  /** `mask` dilated by `dilationMm` (what the model sees). */
  dilatedMask: Uint8Array;
  /** Volume of `mask`, mL. */
  lungVolumeMl: number;
  /** Area of `mask` per slice, mm², in slice-index order. */
  sliceAreaMm2: Float64Array;
  /** Slices where `mask` is not empty. */
  slicesWithLung: number;
  /** Pixels grouped per side on the grid the mask was decided on (1: the volume's own grid). */
  gridFactor: number;
  /** Number of lungs the mask was split into for the hull (2 normally; 1 when no split was found). */
  lungCount: number;
  /** Every 3-D air component of at least 5 mL that reached the selection, and what became of it. */
  candidates: CandidateReport[];
  timingsMs: Record<string, number>;
  /** What the mask assumed beyond the recipe (a pre-masked export). */
  warnings?: Warning[];
}

/** Said of every mask taken from a pre-masked export (pre-masked.ts). */
export const PRE_MASKED_WARNING: Warning = {
  code: 'pre-masked',
  message: 'The images were already masked (black outside the lungs): the lungs were taken as what the export kept, without the body rules of the lung mask.',
};

/**
 * The lung mask of a CT volume in HU, by the recipe of Liao et al. (DSB 2017) that the paper
 * adopts (DESIGN.md §5), spacing-aware and run-length based (the choices are listed in index.ts).
 * Never throws for odd input: a volume without HU gives `not-hu`, one without a lung-sized air
 * component near the body's axis `no-lung-found`, each with a sentence. A sparse set (not
 * contiguous) is masked slice by slice (sparse-slices.ts); a pre-masked export keeps what it
 * kept (pre-masked.ts), with a warning.
 *
 * It runs in three parts, which a caller with two threads may also run apart (thread-split.ts):
 * `findLungs` (the stages that see the whole volume), `hullOfLung` (each lung on its own) and
 * `joinLungs` with `dilateRunsL1` (the mask on the volume's grid, slab by slab if wanted).
 */
export function computeLungMask(volume: Volume, options: Partial<LungMaskOptions> = {}): LungMaskResult {
  const [nx, ny, nz] = volume.dimensions;
  if (!volume.contiguous && nz > 1) return lungMaskPerSlice(volume, (slice) => computeLungMask(slice, options));
  const o: LungMaskOptions = { ...DEFAULT_LUNG_MASK_OPTIONS, ...options };
  const found = findLungs(volume, o);
  const timingsMs = found.timingsMs;
  if (found.status !== 'ok') {
    return {
      status: found.status,
      reason: found.reason,
      mask: new Uint8Array(nx * ny * nz),
      dilatedMask: new Uint8Array(nx * ny * nz),
      lungVolumeMl: 0,
      sliceAreaMm2: new Float64Array(nz),
      slicesWithLung: 0,
      gridFactor: found.gridFactor,
      lungCount: 0,
      candidates: found.candidates,
      timingsMs,
    };
  }
  const lap = stopwatch(timingsMs);
  const hulls = found.lungs.map((_, i) => hullOfLung(found, i, o));
  lap('hullAndClose');
  const lungs = joinLungs(hulls, found.gridFactor, nx, ny);
  const mask = runsToDense(lungs);
  const measures = lungMeasures(sliceVoxelCounts(lungs), volume.spacingMm);
  lap('writeMask');
  const dilatedMask = dilateRunsL1(lungs, volume.spacingMm, o.dilationMm);
  lap('dilate');
  return {
    status: 'ok',
    mask,
    dilatedMask,
    ...measures,
    gridFactor: found.gridFactor,
    lungCount: found.lungs.length,
    candidates: found.candidates,
    timingsMs,
    ...(found.preMasked ? { warnings: [PRE_MASKED_WARNING] } : {}),
  };
}

/** The stages before the per-lung hull: each lung found, on the grid the mask is decided on. */
export interface LungsFound {
  status: 'ok';
  /** One run volume per lung (two normally; one when no split was found), on the decision grid. */
  lungs: RunVolume[];
  /** Lung-like voxels (smoothed HU in [thresholdHu, lungLikeMaxHu)) within the lungs' box. */
  lungLike: RunVolume;
  /** The body's axis per slice (select.ts `bodyAxis`). */
  axis: Float64Array;
  /** Spacing of the decision grid, mm. */
  gridSpacingMm: Vec3;
  /** Pixels grouped per side on the decision grid (1: the volume's own grid). */
  gridFactor: 1 | 2;
  candidates: CandidateReport[];
  timingsMs: Record<string, number>;
  /** The volume was a pre-masked export: the lungs are what it kept (pre-masked.ts). */
  preMasked?: boolean;
}

export interface LungsNotFound {
  status: Exclude<LungMaskStatus, 'ok'>;
  reason: string;
  gridFactor: 1 | 2;
  candidates: CandidateReport[];
  timingsMs: Record<string, number>;
}

/**
 * The recipe up to the two lungs apart (the grid, HU check, smoothing and threshold, per-slice
 * and 3-D selection, separation, lung-like voxels): every stage that needs the whole volume.
 */
export function findLungs(volume: Volume, options: Partial<LungMaskOptions> = {}): LungsFound | LungsNotFound {
  const o: LungMaskOptions = { ...DEFAULT_LUNG_MASK_OPTIONS, ...options };
  const timingsMs: Record<string, number> = {};
  const lap = stopwatch(timingsMs);
  const f = gridFactor(volume.spacingMm, o.maxGridMm);
  const grid = f > 1 ? blockMeanVolume(volume, { simd: o.simd }) : volume;
  if (f > 1) lap('downsample');
  const found = lungRuns(grid, o, 1 / f, lap);
  return { ...found, gridFactor: f, timingsMs };
}

/**
 * One lung of `findLungs` made whole, in place of Liao's whole per-slice convex hull (which fills
 * the cardiac bay, the mediastinal side and the lung base around the liver dome: ≈ 15% of the lung
 * volume on phantoms, Dice 0.89–0.91 against their truth), three bounded uses of it (index.ts):
 * lung-like voxels of the hull (partial volume, ground glass), the hull's pockets on the costal
 * side (nodules and opacities at the chest wall), a 10 mm disc closing (small notches anywhere).
 * On the decision grid; independent of the other lung.
 */
export function hullOfLung(found: Pick<LungsFound, 'lungs' | 'lungLike' | 'axis' | 'gridSpacingMm' | 'preMasked'>, index: number, options: Partial<LungMaskOptions> = {}): RunVolume {
  const o: LungMaskOptions = { ...DEFAULT_LUNG_MASK_OPTIONS, ...options };
  const lung = found.lungs[index]!;
  // A pre-masked export's lungs are what it kept: nothing of the hull is added to them.
  if (found.preMasked) return fillHoles2d(lung);
  const spacing = found.gridSpacingMm;
  const filled = fillHoles2d(found.lungs.length > 1 ? mainPart(lung) : lung);
  const grown = fillHoles2d(growWithinHull(filled, found.lungLike));
  const pockets = o.pocketMaxDepthMm >= 0 ? fillOuterPockets(grown, found.axis, spacing, o.pocketMaxDepthMm) : grown;
  return closeSlicesWithDisc(pockets, spacing, o.closingMm);
}

/** The hulls of `hullOfLung` as one mask on the volume's grid (nx × ny), spread back from the decision grid. */
export function joinLungs(hulls: RunVolume[], gridFactor: number, nx: number, ny: number): RunVolume {
  const lungs = hulls.reduce((a, b) => unionRuns(a, b));
  return gridFactor > 1 ? upsampleRuns(lungs, gridFactor, nx, ny) : lungs;
}

/** Lung volume, area per slice and slices with lung from the mask's voxel count per slice. */
export function lungMeasures(counts: Float64Array, [sx, sy, sz]: Vec3): Pick<LungMaskResult, 'lungVolumeMl' | 'sliceAreaMm2' | 'slicesWithLung'> {
  let voxels = 0;
  let slicesWithLung = 0;
  for (const c of counts) {
    voxels += c;
    if (c > 0) slicesWithLung++;
  }
  return { lungVolumeMl: (voxels * sx * sy * sz) / 1000, sliceAreaMm2: counts.map((c) => c * sx * sy), slicesWithLung };
}

type Vec3 = readonly [number, number, number];

function stopwatch(timingsMs: Record<string, number>): (stage: string) => void {
  let clock = performance.now();
  return (name: string) => {
    const now = performance.now();
    timingsMs[name] = Math.round((now - clock) * 10) / 10;
    clock = now;
  };
}

type LungRuns =
  | { status: 'ok'; lungs: RunVolume[]; lungLike: RunVolume; axis: Float64Array; gridSpacingMm: Vec3; candidates: CandidateReport[]; preMasked?: boolean }
  | { status: Exclude<LungMaskStatus, 'ok'>; reason: string; candidates: CandidateReport[] };

/**
 * The recipe itself on the grid given (the volume's or its block means), up to the lungs apart,
 * or why none were found. `sigmaVoxels`: the smoothing's σ in voxels of this grid (one pixel of
 * the volume's own grid, so that a coarse grid does not blur more).
 */
function lungRuns(volume: Volume, o: LungMaskOptions, sigmaVoxels: number, lap: (stage: string) => void): LungRuns {
  const [nx, ny, nz] = volume.dimensions;
  const spacing = volume.spacingMm;
  const separation = { maxErosionMm: o.separationMaxErosionMm, maxRatio: o.separationMaxRatio, gridSpacingMm: o.separationGridMm, simd: o.simd };
  const preMasked = preMaskedLungs(volume, separation);
  if (preMasked) {
    lap('preMasked');
    return { status: 'ok', lungs: preMasked.lungs, lungLike: preMasked.lungLike, axis: preMasked.axis, gridSpacingMm: spacing, candidates: [], preMasked: true };
  }
  const hu = checkHu(volume);
  lap('huCheck');
  if (hu) return { status: 'not-hu', reason: hu, candidates: [] };

  const air = smoothedBelowRuns(volume.voxels, nx, ny, nz, o.thresholdHu, { simd: o.simd, sigmaVoxels });
  lap('smoothThreshold');
  const axis = bodyAxis(air, spacing);
  const filtered = filterSliceComponents(air, spacing, o.minSliceAreaMm2, o.maxEccentricity);
  lap('sliceComponents');

  const coverageMm = nz * spacing[2];
  const floorScale = Math.min(1, coverageMm / o.fullCoverageMm);
  const minVolumeMl = o.volumeRangeL[0] * 1000 * floorScale;
  const selection = selectLungComponents(filtered, volume.voxels, spacing, axis, {
    minVolumeMl,
    pairMaxRatio: o.separationMaxRatio,
    maxVolumeMl: o.volumeRangeL[1] * 1000,
    axisDistanceMm: o.axisDistanceMm,
    axisSliceAreaMm2: o.axisSliceAreaMm2,
    outsideAirMaxMeanHu: o.outsideAirMaxMeanHu,
  });
  lap('select3d');
  if (selection.kept === 0) {
    return { status: 'no-lung-found', reason: noLungReason(selection.candidates, minVolumeMl, coverageMm), candidates: selection.candidates };
  }

  const split = separateLungs(selection.runs, spacing, {
    maxErosionMm: o.separationMaxErosionMm,
    maxRatio: o.separationMaxRatio,
    gridSpacingMm: o.separationGridMm,
    simd: o.simd,
  });
  lap('separate');
  // The hulls lie within the selected air's box: lung-like voxels are only needed there.
  const box = boundingBox(selection.runs)!;
  const region = { k0: box.kmin, k1: box.kmax, y0: box.ymin, y1: box.ymax };
  const lungLike = subtractRuns(smoothedBelowRuns(volume.voxels, nx, ny, nz, o.lungLikeMaxHu, { simd: o.simd, region, sigmaVoxels }), air);
  lap('lungLike');
  return { status: 'ok', lungs: split.lungs, lungLike, axis, gridSpacingMm: spacing, candidates: selection.candidates };
}

function noLungReason(candidates: CandidateReport[], minVolumeMl: number, coverageMm: number): string {
  const base = `No lung was found: no air-filled structure of lung size (at least ${Math.round(minVolumeMl)} mL for ${Math.round(coverageMm)} mm of coverage) lies near the body's axis`;
  const offAxis = candidates.filter((c) => c.outcome === 'off-axis');
  const detail = offAxis.length > 0
    ? ` (${offAxis.length} large air region(s) lie away from it, e.g. ${Math.round(offAxis[0]!.volumeMl)} mL at ${Math.round(offAxis[0]!.axisDistanceMm ?? 0)} mm)`
    : '';
  return `${base}${detail}. The scan may not include the chest (abdomen or head only).`;
}
