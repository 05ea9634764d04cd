import type { RunLabels } from './components.js';
import type { RunVolume } from './runs.js';

/**
 * Per-component raw moments of a slice-wise (2-D) labelling, in voxel coordinates: m[6c …]
 * = count, Σx, Σy, Σx², Σy², Σxy of component c. Each run adds its share in closed form.
 */
export function componentMoments2d(runs: RunVolume, labels: RunLabels): Float64Array {
  const m = new Float64Array(labels.count * 6);
  const { ny, rowStart, x0, x1 } = runs;
  for (let r = 0; r < rowStart.length - 1; r++) {
    const y = r % ny;
    for (let i = rowStart[r]!; i < rowStart[r + 1]!; i++) {
      const a = x0[i]!;
      const b = x1[i]! - 1;
      const n = b - a + 1;
      const sx = (n * (a + b)) / 2;
      const sxx = squareSum(b) - squareSum(a - 1);
      const o = labels.label[i]! * 6;
      m[o] = m[o]! + n;
      m[o + 1] = m[o + 1]! + sx;
      m[o + 2] = m[o + 2]! + n * y;
      m[o + 3] = m[o + 3]! + sxx;
      m[o + 4] = m[o + 4]! + n * y * y;
      m[o + 5] = m[o + 5]! + sx * y;
    }
  }
  return m;
}

/** Σ_{x=0}^{b} x² (0 for b < 1). */
const squareSum = (b: number) => (b < 1 ? 0 : (b * (b + 1) * (2 * b + 1)) / 6);

/**
 * Eccentricity of the ellipse with the same second moments as the region (scikit-image's
 * `regionprops.eccentricity`: √(1 − λ₂/λ₁) of the covariance of the pixel centres), here in
 * millimetres so that non-square pixels count right. 0 for a point, 1 for a line.
 * `m` holds count, Σx, Σy, Σx², Σy², Σxy from offset `o`.
 */
export function eccentricity(m: Float64Array, o: number, spacingXMm: number, spacingYMm: number): number {
  const n = m[o]!;
  if (!(n > 0)) return 0;
  const mx = m[o + 1]! / n;
  const my = m[o + 2]! / n;
  const cxx = Math.max(0, m[o + 3]! / n - mx * mx) * spacingXMm * spacingXMm;
  const cyy = Math.max(0, m[o + 4]! / n - my * my) * spacingYMm * spacingYMm;
  const cxy = (m[o + 5]! / n - mx * my) * spacingXMm * spacingYMm;
  const half = (cxx + cyy) / 2;
  const root = Math.sqrt(((cxx - cyy) / 2) ** 2 + cxy * cxy);
  const l1 = half + root;
  const l2 = Math.max(0, half - root);
  if (!(l1 > 1e-12 * (spacingXMm * spacingYMm))) return 0;
  return Math.sqrt(Math.max(0, 1 - l2 / l1));
}
