import { describe, expect, it } from 'vitest';
import { computeLungMask, syntheticChest } from '../lung/index.js';
import { lungWidthFraction } from './abstention.js';
import { DEFAULT_LUNG_CROP, DEFAULT_PREPROCESSING } from './defaults.js';
import { inPlaneBounds, inputRegion, lungCropRegion } from './lung-crop.js';
import { volumeTensors } from './volume-tensors.js';

/** A 20×10×3 mask with the given voxels set ([x, y, k]). */
function mask(voxels: Array<[number, number, number]>): Uint8Array {
  const m = new Uint8Array(20 * 10 * 3);
  for (const [x, y, k] of voxels) m[k * 200 + y * 20 + x] = 1;
  return m;
}

describe('the square around the lungs', () => {
  it('bounds the lungs over all slices, in pixels (end exclusive)', () => {
    expect(inPlaneBounds([20, 10, 3], mask([[4, 2, 0], [15, 3, 2], [9, 8, 1]]))).toEqual([4, 2, 16, 9]);
    expect(inPlaneBounds([20, 10, 3], mask([]))).toBeNull();
    expect(() => inPlaneBounds([20, 10, 3], new Uint8Array(7))).toThrow(/whole 20×10 slices/);
  });

  it('is centred on the lungs, the longer side plus the margin on each side, in millimetres', () => {
    const grid = { dimensions: [20, 10, 3], spacingMm: [2, 4, 5] };
    // box x 4…16 (24 mm), y 2…9 (28 mm): side 28 + 2 × 3 = 34 mm → 17 × 8.5 pixels around (10, 5.5)
    const r = lungCropRegion(grid, mask([[4, 2, 0], [15, 3, 2], [9, 8, 1]]), { to: 'lungs', marginMm: 3, minSideMm: 10 });
    expect(r).toEqual({ origin: [10 - 8.5, 5.5 - 4.25], size: [17, 8.5] });
    // never under minSideMm
    expect(lungCropRegion(grid, mask([[4, 2, 0]]), { to: 'lungs', marginMm: 3, minSideMm: 40 })!.size).toEqual([20, 10]);
    expect(lungCropRegion(grid, mask([]), DEFAULT_LUNG_CROP)).toBeNull();
    expect(inputRegion(grid, mask([[4, 2, 0]]), DEFAULT_PREPROCESSING)).toBeUndefined();
  });

  it('shows a chest in a wide field of view with its lungs filling the input, where the whole image leaves them small', () => {
    // a 500 mm reconstruction around a small chest: the lungs span under half the width
    const { volume } = syntheticChest({ dimensions: [256, 256, 16], spacingMm: [500 / 256, 500 / 256, 5], z0Mm: 0, bodyMm: [135, 100], lungScale: 0.75, airways: false });
    const lung = computeLungMask(volume);
    const whole = volumeTensors(volume, lung.dilatedMask, DEFAULT_PREPROCESSING);
    const cropped = volumeTensors(volume, lung.dilatedMask, { ...DEFAULT_PREPROCESSING, crop: { ...DEFAULT_LUNG_CROP, minSideMm: 100 } });
    const S = DEFAULT_PREPROCESSING.size;
    expect(lungWidthFraction(whole.masks, S)).toBeLessThan(0.5);
    expect(lungWidthFraction(cropped.masks, S)).toBeGreaterThan(0.8);
    // the lungs' mean grey level is the same anatomy, only larger
    const lungMean = (t: typeof whole) => {
      let sum = 0;
      let n = 0;
      for (let i = 0; i < t.masks.length; i++) if (t.masks[i]) { sum += t.slices[i]!; n++; }
      return sum / n;
    };
    expect(Math.abs(lungMean(cropped) - lungMean(whole))).toBeLessThan(0.05);
  });
});
