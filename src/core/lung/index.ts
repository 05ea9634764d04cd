/**
 * The lung mask (DESIGN.md §5): the only entry to this folder.
 *
 * Recipe (Liao et al., DSB 2017), in lung-mask.ts, with what had to be decided:
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
 * - two lungs separated (separate.ts): erosion by t mm on a ≈ 1.5 mm grid until the two largest
 *   parts are comparable (ratio < 4.8, t ≤ 22 mm), geodesic growth back, applied to the
 *   full-resolution runs; per lung Liao's `extract_main`, 2-D holes filled, convex hull per slice
 *   unless it is more than twice the slice's area (convex-hull.ts);
 * - dilation by 10 mm as an exact L1 (octahedral) distance in mm, which is what Liao's
 *   10 iterations of 6-connected dilation on a 1 mm grid are (distance.ts).
 *
 * How it is fast: the smoothing-and-threshold and the dilation's sweeps run in a WebAssembly SIMD
 * kernel (lung-kernel.wat); every other stage works on runs along x (a 512×512×300 chest holds
 * ≈ 4·10⁵ runs of air, not 8·10⁷ voxels): union-find labelling, moments, the body axis, the
 * central-axis test, hole filling and convex hulls all cost per run.
 */
export {
  computeLungMask,
  DEFAULT_LUNG_MASK_OPTIONS,
  type LungMaskOptions,
  type LungMaskResult,
  type LungMaskStatus,
} from './lung-mask.js';
export type { CandidateReport } from './select.js';
