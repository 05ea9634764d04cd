import type { StoredPixels } from '../dicom/pixels/types.js';

/** The HU value given to padding pixels (outside the reconstruction field of view): air. */
export const PADDING_HU = -1024;

export interface HuTransform {
  slope: number;
  intercept: number;
  /** Stored values in [value, rangeLimit] (or equal to value) are padding. */
  padding: { value: number; rangeLimit: number | null } | null;
}

/** What the conversion of one slice found, for statistics and warnings. */
export interface SliceStats {
  min: number;
  max: number;
  sum: number;
  clamped: number;
  padded: number;
}

/**
 * Stored pixel values → HU = round(stored · slope + intercept) into `out`, per slice
 * (DESIGN.md §2). Rounding is floor(x + 0.5); values beyond Int16 are clamped and counted;
 * padding values become air (−1024 HU) and are counted.
 */
export function storedToHu(stored: StoredPixels, out: Int16Array, t: HuTransform): SliceStats {
  const n = out.length;
  const { slope, intercept } = t;
  let padLow = Infinity;
  let padHigh = -Infinity;
  if (t.padding) {
    const a = t.padding.value;
    const b = t.padding.rangeLimit ?? a;
    padLow = Math.min(a, b);
    padHigh = Math.max(a, b);
  }
  let min = 32767;
  let max = -32768;
  let sum = 0;
  let clamped = 0;
  let padded = 0;
  const integral = slope === 1 && Number.isInteger(intercept);
  for (let i = 0; i < n; i++) {
    const s = stored[i]!;
    let hu: number;
    if (s >= padLow && s <= padHigh) {
      hu = PADDING_HU;
      padded++;
    } else {
      hu = integral ? s + intercept : Math.floor(s * slope + intercept + 0.5);
      if (hu > 32767) {
        hu = 32767;
        clamped++;
      } else if (hu < -32768) {
        hu = -32768;
        clamped++;
      }
    }
    out[i] = hu;
    if (hu < min) min = hu;
    if (hu > max) max = hu;
    sum += hu;
  }
  return { min, max, sum, clamped, padded };
}
