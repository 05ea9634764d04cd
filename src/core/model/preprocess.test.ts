import { describe, expect, it } from 'vitest';
import { inputSimdAvailable } from './input-simd.js';
import { maskInputMaker, placement, prepareMask, prepareSlice, sliceInputMaker, windowToUnit, type InputPreprocessing } from './preprocess.js';

const PRE: InputPreprocessing = { size: 4, huWindow: { lowHu: -1000, highHu: 0 }, normalization: { mean: 0, std: 1 } };

const at = (img: Float32Array, size: number, x: number, y: number) => img[y * size + x]!;

describe('windowToUnit', () => {
  it('clamps to the window and maps it linearly to [0, 1]', () => {
    expect(Array.from(windowToUnit(Int16Array.from([-2000, -1000, -500, 0, 3000]), PRE.huWindow))).toEqual([0, 0, 0.5, 1, 1]);
  });
});

describe('prepareSlice', () => {
  it('shrinks area-correctly: a 2× reduction is the mean of each 2×2 block', () => {
    // 8×8 slice of 1 mm pixels → 4×4: each output pixel averages four inputs.
    const hu = new Int16Array(64).map((_, i) => -1000 + ((i * 37) % 1000));
    const out = prepareSlice(hu, 8, 8, [1, 1], PRE);
    const unit = windowToUnit(hu, PRE.huWindow);
    for (let y = 0; y < 4; y++) {
      for (let x = 0; x < 4; x++) {
        const block = [0, 1].flatMap((dy) => [0, 1].map((dx) => unit[(2 * y + dy) * 8 + 2 * x + dx]!));
        expect(at(out, 4, x, y)).toBeCloseTo(block.reduce((a, b) => a + b) / 4, 5);
      }
    }
  });

  it('keeps the mean when shrinking by a non-integer factor', () => {
    const hu = new Int16Array(7 * 7).map((_, i) => -1000 + ((i * 53) % 1000));
    const out = prepareSlice(hu, 7, 7, [1, 1], { ...PRE, size: 3 });
    const unit = windowToUnit(hu, PRE.huWindow);
    const mean = (a: Float32Array) => a.reduce((s, v) => s + v, 0) / a.length;
    expect(mean(out)).toBeCloseTo(mean(unit), 5);
  });

  it('preserves the physical aspect ratio of non-square pixels, padding with air', () => {
    // 4 columns of 2 mm and 4 rows of 1 mm: 8 mm wide, 4 mm tall → rows 1..2 of a 4×4 output hold the image.
    const p = placement(4, 4, [2, 1], 4);
    expect(p.outputPixelMm).toBe(2);
    expect(p.extent).toEqual([4, 2]);
    expect(p.offset).toEqual([0, 1]);
    const out = prepareSlice(new Int16Array(16).fill(0), 4, 4, [2, 1], { ...PRE, normalization: { mean: 0.5, std: 0.5 } });
    for (let x = 0; x < 4; x++) {
      expect(at(out, 4, x, 0)).toBeCloseTo(-1); // padding: air (window low end) normalised
      expect(at(out, 4, x, 1)).toBeCloseTo(1); // tissue at 0 HU = window top
      expect(at(out, 4, x, 3)).toBeCloseTo(-1);
    }
  });

  it('enlarges a small slice by linear interpolation without overshoot', () => {
    const hu = Int16Array.from([-1000, 0, -1000, 0]); // 2×2
    const out = prepareSlice(hu, 2, 2, [1, 1], { ...PRE, size: 8 });
    expect(Math.min(...out)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...out)).toBeLessThanOrEqual(1);
    expect(at(out, 8, 0, 0)).toBeCloseTo(0);
    expect(at(out, 8, 7, 0)).toBeCloseTo(1);
  });
});

describe('prepareMask', () => {
  it('uses nearest neighbour (values stay 0/1) on the same placement as the slice', () => {
    const mask = Uint8Array.from([1, 0, 0, 1, 1, 0, 0, 1]); // 4 columns × 2 rows, square pixels
    const out = prepareMask(mask, 4, 2, [1, 1], 4);
    expect(new Set(out)).toEqual(new Set([0, 1]));
    expect(Array.from(out.subarray(0, 4))).toEqual([0, 0, 0, 0]); // padding row
    expect(Array.from(out.subarray(4, 8))).toEqual([1, 0, 0, 1]);
    expect(Array.from(out.subarray(8, 12))).toEqual([1, 0, 0, 1]);
    expect(Array.from(out.subarray(12, 16))).toEqual([0, 0, 0, 0]);
  });
});

describe('model input at the edges', () => {
  const finite = (a: Float32Array) => a.every((v) => Number.isFinite(v));

  it('constant slices give constant, finite tensors inside the image (and the padding outside it)', () => {
    for (const hu of [-3024, -1000, -500, 0, 3071]) {
      const out = prepareSlice(new Int16Array(6 * 3).fill(hu), 6, 3, [1, 1], { ...PRE, size: 6, normalization: { mean: 0.5, std: 0.25 } });
      expect(finite(out)).toBe(true);
      const expected = (Math.min(1, Math.max(0, (hu + 1000) / 1000)) - 0.5) / 0.25;
      // Rows 1.5…4.5 of the 6×6 square hold the 6×3 slice: rows 2 and 3 are wholly inside it.
      for (const y of [2, 3]) for (let x = 0; x < 6; x++) expect(at(out, 6, x, y)).toBeCloseTo(expected, 5);
      expect(at(out, 6, 0, 0)).toBeCloseTo(-2, 5); // padding: air
    }
  });

  it('handles one-pixel slices, one-pixel outputs and extreme aspect ratios without NaN', () => {
    expect(Array.from(prepareSlice(Int16Array.of(-500), 1, 1, [0.7, 0.7], { ...PRE, size: 5 }))).toEqual(new Array(25).fill(0.5));
    const one = prepareSlice(new Int16Array(64).fill(0), 8, 8, [1, 1], { ...PRE, size: 1 });
    expect(Array.from(one)).toEqual([1]);
    // 1 column of 512 rows: a sliver in the middle of the square, every value finite.
    const tall = prepareSlice(new Int16Array(512).fill(0), 1, 512, [0.8, 0.8], { ...PRE, size: 64 });
    expect(finite(tall)).toBe(true);
    expect(Math.max(...tall)).toBe(1);
    // The mask covers the same output pixels as the slice (nearest-pixel sampling alone would lose
    // it: no output pixel's centre falls inside the sliver).
    const mask = prepareMask(new Uint8Array(512).fill(1), 1, 512, [0.8, 0.8], 64);
    for (let i = 0; i < mask.length; i++) expect(mask[i], `pixel ${i}`).toBe(tall[i]! > 0 ? 1 : 0);
    expect(Array.from(prepareMask(Uint8Array.of(1), 1, 1, [1, 1], 3))).toEqual(new Array(9).fill(1));
  });

  it('rejects what could only give NaN, infinities or nothing, naming it', () => {
    const hu = new Int16Array(16);
    expect(() => prepareSlice(hu, 4, 4, [1, 1], { ...PRE, normalization: { mean: 0, std: 0 } })).toThrow(/std/);
    expect(() => prepareSlice(hu, 4, 4, [1, 1], { ...PRE, normalization: { mean: Number.NaN, std: 1 } })).toThrow(/mean/);
    expect(() => prepareSlice(hu, 4, 4, [1, 1], { ...PRE, huWindow: { lowHu: 0, highHu: 0 } })).toThrow(/window/);
    expect(() => prepareSlice(hu, 4, 4, [0, 1], PRE)).toThrow(/spacing/);
    expect(() => prepareSlice(hu, 4, 4, [1, Number.NaN], PRE)).toThrow(/spacing/);
    expect(() => prepareSlice(hu, 4, 4, [1, 1], { ...PRE, size: 0 })).toThrow(/size/);
    expect(() => prepareSlice(hu, 5, 4, [1, 1], PRE)).toThrow(/values/);
    expect(() => prepareSlice(new Int16Array(0), 0, 0, [1, 1], PRE)).toThrow(/column/);
    expect(() => prepareMask(new Uint8Array(3), 2, 2, [1, 1], 4)).toThrow(/mask values/);
  });
});

describe('a region of the slice (a model that crops)', () => {
  let seed = 17;
  const random = (n: number) => new Int16Array(n).map(() => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    return Math.round((seed / 2 ** 32) * 1400) - 1300;
  });
  const pre: InputPreprocessing = { size: 16, huWindow: { lowHu: -1350, highHu: 150 }, normalization: { mean: 0.5, std: 0.5 } };

  it('shows exactly what the same pixels cut out of the slice would give', () => {
    const hu = random(60 * 50);
    const [x0, y0, w, h] = [13, 7, 32, 32];
    const cut = new Int16Array(w * h);
    for (let y = 0; y < h; y++) cut.set(hu.subarray((y0 + y) * 60 + x0, (y0 + y) * 60 + x0 + w), y * w);
    for (const simd of [false, true]) {
      const region = sliceInputMaker(60, 50, [0.8, 0.8], pre, { simd, region: { origin: [x0, y0], size: [w, h] } })(hu);
      const whole = sliceInputMaker(w, h, [0.8, 0.8], pre, { simd })(cut);
      for (let i = 0; i < region.length; i++) expect(region[i]).toBeCloseTo(whole[i]!, 5);
    }
  });

  it('is the whole field of view when the region is the whole slice, and pads with air past the image', () => {
    const hu = random(40 * 40);
    const whole = sliceInputMaker(40, 40, [1, 1], pre, { simd: false })(hu);
    expect(Array.from(sliceInputMaker(40, 40, [1, 1], pre, { simd: false, region: { origin: [0, 0], size: [40, 40] } })(hu))).toEqual(Array.from(whole));
    // the right half of the region lies past the image: air there, the image's left half in the left half
    const past = sliceInputMaker(40, 40, [1, 1], pre, { simd: false, region: { origin: [20, 0], size: [40, 40] } })(hu);
    for (let y = 0; y < 16; y++) {
      expect(at(past, 16, 12, y)).toBeCloseTo(-1, 5);
      expect(at(past, 16, 3, y)).toBeCloseTo(at(whole, 16, 11, y), 5);
    }
    const mask = new Uint8Array(40 * 40).fill(1);
    const masked = maskInputMaker(40, 40, [1, 1], 16, { origin: [20, 0], size: [40, 40] })(mask);
    expect(masked[5 * 16 + 3]).toBe(1);
    expect(masked[5 * 16 + 12]).toBe(0);
  });

  it('keeps millimetres square: a square region in mm of non-square pixels fills S×S', () => {
    const p = placement(100, 100, [0.5, 1], 16, { origin: [10, 20], size: [80, 40] });
    expect(p.extent).toEqual([16, 16]);
    expect(p.offset).toEqual([0, 0]);
    expect(p.outputPixelMm).toBe(2.5);
    expect(() => placement(100, 100, [1, 1], 16, { origin: [0, 0], size: [0, 10] })).toThrow(/positive size/);
  });
});

describe('the SIMD kernel of the slice input', () => {
  // Shrinking a clinical slice, non-square pixels (padding rows), an odd width past the kernel's
  // eight-column chunks, enlarging a small one; values beyond both ends of the window.
  const cases: Array<[string, number, number, [number, number]]> = [
    ['512² → 128', 512, 512, [0.7, 0.7]],
    ['non-square pixels', 100, 60, [0.8, 1.6]],
    ['odd width', 37, 53, [1, 1]],
    ['enlarged', 64, 48, [2, 2]],
  ];
  it.skipIf(!inputSimdAvailable()).each(cases)('%s: the same values as the JavaScript, to float32 rounding', (_name, cols, rows, spacing) => {
    const pre: InputPreprocessing = { size: 128, huWindow: { lowHu: -1350, highHu: 150 }, normalization: { mean: 0.5, std: 0.5 } };
    let seed = cols * 7919 + rows;
    const hu = new Int16Array(cols * rows).map(() => {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      return Math.round((seed / 2 ** 32) * 3600) - 2000; // −2000 … 1600 HU
    });
    const js = sliceInputMaker(cols, rows, spacing, pre, { simd: false })(hu);
    const simd = sliceInputMaker(cols, rows, spacing, pre)(hu);
    let worst = 0;
    for (let i = 0; i < js.length; i++) worst = Math.max(worst, Math.abs(js[i]! - simd[i]!));
    expect(worst).toBeLessThan(1e-5);
    // padding where the image does not reach (rows above and below non-square pixels): air, normalised
    if (spacing[0] !== spacing[1]) expect(simd[0]).toBeCloseTo(-1, 5);
  });
});
