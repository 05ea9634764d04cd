import type { Volume } from '../volume/volume.js';

/** About this many voxels are sampled (evenly, by stride) to judge the value distribution. */
const SAMPLES = 1 << 18;

/**
 * Why the volume's values cannot be used as HU, or null when they can. The lung mask thresholds
 * at −600 HU, so values on another scale would give a silently empty or absurd mask.
 * Uncalibrated volumes (`units: 'unknown'`: image stacks) hold approximate HU — the reader undid
 * the display window it recognised, and `assumedWindow` says how — and are judged like the rest:
 * - a median below −1,100 or above 2,000: no CT is mostly below air or mostly bone and metal;
 * - no air or fat (1st percentile ≥ −50) yet the 99th percentile above 900: stored values whose
 *   rescale (intercept −1024) was never applied, where air reads ≈ 0 and soft tissue ≈ 1,000. (A
 *   crop of soft tissue alone has no such bright tail and is judged on its lungs instead.)
 * Low percentiles below −1,024 alone are fine: padding outside the field of view (−2,000,
 * −3,024) is common.
 */
export function checkHu(volume: Volume): string | null {
  const v = volume.voxels;
  const stride = Math.max(1, Math.floor(v.length / SAMPLES));
  const counts = new Uint32Array(65536);
  let n = 0;
  for (let i = 0; i < v.length; i += stride) {
    counts[v[i]! + 32768]!++;
    n++;
  }
  const percentile = (p: number) => {
    const target = p * n;
    let seen = 0;
    for (let j = 0; j < counts.length; j++) {
      seen += counts[j]!;
      if (seen > target) return j - 32768;
    }
    return 32767;
  };
  const p01 = percentile(0.01);
  const median = percentile(0.5);
  if (median < -1100 || median > 2000) {
    return `The values do not look like Hounsfield units (median ${median}), so lungs cannot be found by their density.`;
  }
  const p99 = percentile(0.99);
  if (p01 >= -50 && p99 > 900) {
    return `The values do not look like Hounsfield units (no air or fat, yet values up to ${p99}): they may be stored values whose rescale intercept was never applied.`;
  }
  return null;
}
