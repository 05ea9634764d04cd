import type { FrameInfo, StoredPixels } from '../dicom/pixels/index.js';

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

function paddingRange(t: HuTransform): [number, number] {
  if (!t.padding) return [Infinity, -Infinity];
  const a = t.padding.value;
  const b = t.padding.rangeLimit ?? a;
  return [Math.min(a, b), Math.max(a, b)];
}

/**
 * Stored pixel values → HU = round(stored · slope + intercept) into `out`, per slice
 * (DESIGN.md §2). Rounding is floor(x + 0.5); values beyond Int16 are clamped and counted;
 * padding values become air (−1024 HU) and are counted.
 */
export function storedToHu(stored: StoredPixels, out: Int16Array, t: HuTransform): SliceStats {
  const n = out.length;
  const { slope, intercept } = t;
  const [padLow, padHigh] = paddingRange(t);
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

/**
 * The fast path for the commonest CT pixel data — native little-endian 16-bit samples with an
 * integer intercept and unit slope: bits, sign, padding and HU in one pass over the file's bytes,
 * with no intermediate array. Returns null when the data is not of that kind (use the decoder and
 * `storedToHu` then); the results are identical (tested against that path).
 */
export function nativeLittleEndian16ToHu(bytes: Uint8Array, info: FrameInfo, out: Int16Array, t: HuTransform): SliceStats | null {
  const n = out.length;
  if (info.bitsAllocated !== 16 || bytes.byteOffset % 2 !== 0 || bytes.length < n * 2) return null;
  if (t.slope !== 1 || !Number.isInteger(t.intercept)) return null;
  const shift = info.highBit + 1 - info.bitsStored;
  const bits = info.bitsStored;
  if (shift < 0 || bits < 1 || bits > 16) return null;
  const raw = new Uint16Array(bytes.buffer, bytes.byteOffset, n);
  const signed = info.pixelRepresentation === 1;
  const signShift = 32 - bits;
  const mask = 2 ** bits - 1;
  const intercept = t.intercept;
  // No clamping needed when every storable value lands inside Int16 after the intercept.
  const lowest = (signed ? -(2 ** (bits - 1)) : 0) + intercept;
  const highest = (signed ? 2 ** (bits - 1) - 1 : mask) + intercept;
  if (lowest < -32768 || highest > 32767) return null;
  const [padLow, padHigh] = paddingRange(t);
  let min = 32767;
  let max = -32768;
  let sum = 0;
  let padded = 0;
  for (let i = 0; i < n; i++) {
    const s = signed ? ((raw[i]! >>> shift) << signShift) >> signShift : (raw[i]! >>> shift) & mask;
    let hu = s + intercept;
    if (s >= padLow && s <= padHigh) {
      hu = PADDING_HU;
      padded++;
    }
    out[i] = hu;
    if (hu < min) min = hu;
    if (hu > max) max = hu;
    sum += hu;
  }
  return { min, max, sum, clamped: 0, padded };
}
