/**
 * The lung mask (DESIGN.md §5): the only entry to this folder.
 *
 * Recipe (Liao et al., DSB 2017), in lung-mask.ts, with what had to be decided:
 * - the grid: pixels of 0.9 mm or less (a clinical 512² chest) are averaged 2 × 2 first and the
 *   mask decided on the block means, then spread back to the volume's grid and dilated there
 *   (coarse-grid.ts); the smoothing keeps σ at one pixel of the volume in mm. On five 512²
 *   phantoms of 0.55–0.85 mm: Dice 0.969–0.983 against 0.971–0.985 on the full grid, the lung
 *   volume within 0.3 %, in about half the time. Coarser pixels — the 1.0–1.8 mm phantoms the
 *   model was trained on among them — keep their own grid (`maxGridMm: 0` forces it always);
 * - in-plane Gaussian σ = 1 voxel (truncate 2, mirrored borders) and HU < −600, fused (gaussian.ts);
 * - per-slice 8-connected components kept when > 30 mm² and eccentricity < 0.99 (in mm) (select.ts);
 * - 3-D 6-connected components at the volume's corners and the edge midpoints of its first and
 *   last slices are outside air — unless their mean HU is lung-like (≥ −950), so that a tight
 *   crop whose corners fall in the lungs keeps them;
 * - central-axis test: per slice, the component's closest approach to the body's axis (the
 *   centroid of the non-air voxels of that slice, not the image centre), averaged over its slices
 *   of > 6,000 mm² or, when it has none (small or partial lungs), over its slices of at least half
 *   its largest area; kept below 62 mm;
 * - volume 0.68–7.5 L, the floor scaled by the covered length (× min(1, slices·spacing / 250 mm)),
 *   so partial scans keep their lungs; when no component reaches the floor alone, the two largest
 *   near-axis ones are kept as a pair if comparable (ratio < 4.8) and lung-sized together
 *   (small patients, lungs not joined by the airways);
 * - when one component alone reaches the floor, its partner is kept with it if it lies on the
 *   other side of the body's axis, is comparable in size (ratio < 4.8) and shares most of its
 *   slices (a lung largely filled by opacities, below the floor on its own; bowel gas lies lower);
 * - two lungs separated (separate.ts): erosion by t mm on a ≈ 1.5 mm grid until the two largest
 *   parts are comparable (ratio < 4.8, t ≤ 22 mm), geodesic growth back, applied to the
 *   full-resolution runs; per lung Liao's `extract_main`, 2-D holes filled;
 * - the convex hull per lung per slice — not as a replacement of the slice (Liao, DESIGN.md §5),
 *   which fills the concavities of the anatomy: the cardiac bay, the mediastinal side, the lung
 *   base around the dome of the diaphragm. Measured on phantoms against their lung truth, per
 *   step: Dice 0.95–0.975 after hole filling (without opacities), 0.89–0.91 after the hull with
 *   the 2× rule (≈ 15% of the lung volume added, nearly all of it there), 0.91–0.93 with the
 *   1.5× rule of Liao's code: the cardiac bay adds less than that. The hull exists so that
 *   opacities and nodules at the lung wall stay inside the mask; that is kept by three bounded
 *   uses of it instead:
 *   1. lung-like voxels of the hull — smoothed HU in [−600, −400), i.e. at least half lung at
 *      the lung's edge, and ground glass — that touch the lung join it (grow-in-hull.ts); the
 *      heart, fat and the liver are denser, and air < −600 that is not the selected lung
 *      (stomach, bowel) is never taken;
 *   2. hull pockets on the costal side are filled: those that do not open towards the
 *      mediastinum (more than 60° from the lung's medial direction), up to 25 mm deep
 *      (outer-pockets.ts) — a juxtapleural nodule or opacity against the chest wall, not the
 *      medial concavities, nor a layering effusion under the lung;
 *   3. a closing by a 10 mm disc (disc-closing.ts): notches narrower than ≈ 2 cm anywhere, e.g.
 *      (part of) a small nodule at the mediastinal pleura; the 10 mm dilation holds the rest.
 *   Dice is now 0.96–0.985 on phantoms of 0.5–2 mm pixels, 0.6–5 mm slices and 8–40 HU noise
 *   without opacities or with COVID-19 extent up to ≈ 0.55, ≥ 99.8% of the lung inside the
 *   dilated mask (lung-mask-phantoms.test.ts). Limit: opacities denser than −400 HU against the
 *   chest wall, deeper than 25 mm, are lost like the wall they touch: extent 0.6–0.75 gives
 *   0.92–0.97, severe consolidation (extent ≈ 0.9) 0.93 down to 0.76 (79% inside the dilated
 *   mask) — the known limit of a density threshold;
 * - dilation by 10 mm as an exact L1 (octahedral) distance in mm, which is what Liao's
 *   10 iterations of 6-connected dilation on a 1 mm grid are (distance.ts).
 *
 * How it is fast: the smoothing-and-threshold and the dilation's sweeps run in a WebAssembly SIMD
 * kernel (lung-kernel.wat); every other stage works on runs along x (a 512×512×300 chest holds
 * ≈ 4·10⁵ runs of air, not 8·10⁷ voxels): union-find labelling, moments, the body axis, the
 * central-axis test, hole filling, convex hulls, hull pockets and the disc closing all cost per
 * run. The second smoothing-and-threshold (−400 HU) covers only the selected lungs' box.
 */
export {
  computeLungMask,
  findLungs,
  hullOfLung,
  joinLungs,
  lungMeasures,
  type LungsFound,
  type LungsNotFound,
  DEFAULT_LUNG_MASK_OPTIONS,
  PRE_MASKED_WARNING,
  type LungMaskOptions,
  type LungMaskResult,
  type LungMaskStatus,
} from './lung-mask.js';
export type { CandidateReport } from './select.js';
export { preMaskedBackground } from './pre-masked.js';
export { boundingBox, dilateRunsL1 } from './distance.js';
export { runsToDense, sliceVoxelCounts, type RunVolume } from './runs.js';
export { maskOnThreads, lungsOf, lungHull, lungSlab, type LungTasks, type LungHullTask, type LungSlabTask, type MaskOnThreads, type SlabResult } from './thread-split.js';
export { syntheticChest, type ChestOptions, type SyntheticChest } from './synthetic-chest.js';
export { dice, fractionHeld } from './overlap.js';
