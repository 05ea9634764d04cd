/**
 * Model input preparation (DESIGN.md §4): a slice in HU and its lung mask become the S×S float
 * tensors the detector reads. The constants come from the model card's `preprocessing` block;
 * nothing here hard-codes them. Python never re-implements this (training consumes what
 * `lunglens prepare` writes with these functions).
 */
import { windowHu } from '../enhance/tone-map.js';
import { sliceInputKernel } from './input-simd.js';

/** The model card's description of its input (DESIGN.md §4). */
export interface InputPreprocessing {
  /** Output side S (pixels). */
  size: number;
  /** HU window: values are clamped to [lowHu, highHu] and mapped linearly to [0, 1]. */
  huWindow: { lowHu: number; highHu: number };
  /** Then (x − mean) / std. */
  normalization: { mean: number; std: number };
  /**
   * What of each slice the model sees: absent, the whole field of view; `lungs`, one square region
   * per volume around the lungs (lung-crop.ts) — the same anatomy at nearly the same scale whatever
   * the scanner's field of view, padding or reconstruction circle.
   */
  crop?: LungCrop;
}

/** The square around the lungs: their in-plane bounding box over all slices, widened by `marginMm` on every side, squared on its longer side, never under `minSideMm`. */
export interface LungCrop {
  to: 'lungs';
  marginMm: number;
  minSideMm: number;
}

/** A rectangle of a slice in its own pixel coordinates (fractional; it may reach past the image, which reads as padding). */
export interface InPlaneRegion {
  /** Corner [x, y] (pixels from the slice's top-left corner). */
  origin: [number, number];
  /** Width and height in pixels. */
  size: [number, number];
}

/** Where the resampled slice (or its region) lies inside the S×S square (the rest is padding). */
export interface Placement {
  /** Millimetres per output pixel (the same along both axes: aspect ratio preserved). */
  outputPixelMm: number;
  /** Output pixel rectangle covered by the image: [x0, y0, width, height] in output pixels (fractional). */
  offset: [number, number];
  extent: [number, number];
  /** The part of the slice resampled (input pixels): the region asked for, else the whole slice. */
  source: InPlaneRegion;
}

/**
 * Fits a columns×rows slice with spacing [sx, sy] mm — or the `region` of it — into S×S,
 * preserving its physical aspect ratio (non-square pixels included): the longer physical side
 * fills S, the other is centred between padding. RangeError for a size, slice, spacing or region
 * that could only give NaN or nothing.
 */
export function placement(columns: number, rows: number, spacingMm: [number, number], size: number, region?: InPlaneRegion): Placement {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`model input: size must be a positive integer, got ${size}`);
  if (!Number.isInteger(columns) || !Number.isInteger(rows) || columns < 1 || rows < 1) {
    throw new RangeError(`model input: the slice must have at least one column and one row, got ${columns}×${rows}`);
  }
  if (!spacingMm.every((s) => s > 0 && Number.isFinite(s))) throw new RangeError(`model input: pixel spacing must be positive, got ${spacingMm.join(' × ')} mm`);
  const source: InPlaneRegion = region ? { origin: [...region.origin], size: [...region.size] } : { origin: [0, 0], size: [columns, rows] };
  if (!source.size.every((s) => s > 0 && Number.isFinite(s)) || !source.origin.every(Number.isFinite)) {
    throw new RangeError(`model input: the region must have a finite corner and a positive size, got ${source.origin.join(', ')} + ${source.size.join(' × ')} pixels`);
  }
  const widthMm = source.size[0] * spacingMm[0];
  const heightMm = source.size[1] * spacingMm[1];
  const outputPixelMm = Math.max(widthMm, heightMm) / size;
  const extent: [number, number] = [widthMm / outputPixelMm, heightMm / outputPixelMm];
  return { outputPixelMm, offset: [(size - extent[0]) / 2, (size - extent[1]) / 2], extent, source };
}

/**
 * One axis of the resampling as a sparse matrix: for each output index, the input indices and
 * weights. The output pixels offset … offset + extent show the input interval from … from + length.
 * Shrinking averages the input interval each output pixel covers (area-correct, fractional
 * overlaps); enlarging interpolates linearly. Output pixels outside the image get no weights
 * (padding).
 */
function axisWeights(inputLength: number, outputLength: number, offset: number, extent: number, from: number, length: number): { start: Int32Array; count: Int32Array; index: Int32Array; weight: Float32Array } {
  const scale = length / extent; // input pixels per output pixel
  const start = new Int32Array(outputLength + 1);
  const count = new Int32Array(outputLength);
  const index: number[] = [];
  const weight: number[] = [];
  for (let o = 0; o < outputLength; o++) {
    start[o] = index.length;
    const a = from + (o - offset) * scale; // input interval [a, b) covered by output pixel o
    const b = from + (o + 1 - offset) * scale;
    if (b <= 0 || a >= inputLength) continue;
    const lo = Math.max(0, a);
    const hi = Math.min(inputLength, b);
    if (scale >= 1) {
      // Area average over [lo, hi), normalised by the covered length (edge pixels keep their mean).
      for (let i = Math.floor(lo); i < Math.ceil(hi); i++) {
        const w = Math.min(hi, i + 1) - Math.max(lo, i);
        if (w > 0) {
          index.push(i);
          weight.push(w / (hi - lo));
        }
      }
    } else {
      // Linear interpolation at the output pixel's centre (input pixel centres at i + 0.5).
      const c = Math.min(inputLength - 0.5, Math.max(0.5, (a + b) / 2)) - 0.5;
      const i0 = Math.floor(c);
      const f = c - i0;
      index.push(i0);
      weight.push(1 - f);
      if (f > 0 && i0 + 1 < inputLength) {
        index.push(i0 + 1);
        weight.push(f);
      }
    }
  }
  start[outputLength] = index.length;
  for (let o = 0; o < outputLength; o++) count[o] = start[o + 1]! - start[o]!;
  return { start, count, index: Int32Array.from(index), weight: Float32Array.from(weight) };
}

type AxisWeights = ReturnType<typeof axisWeights>;

/**
 * Separable resampling of an Int16 slice, read through a per-value lookup table (the window),
 * into S×S with precomputed weights; `pad` where no input covers a pixel. `tmp` holds rows × S.
 */
function resampleWith(input: Int16Array, lut: Float32Array, columns: number, rows: number, wx: AxisWeights, wy: AxisWeights, size: number, pad: number, tmp: Float32Array, out: Float32Array): Float32Array {
  // Along x: rows × S.
  for (let y = 0; y < rows; y++) {
    const rowStart = y * columns;
    for (let o = 0; o < size; o++) {
      let s = 0;
      for (let t = wx.start[o]!, e = t + wx.count[o]!; t < e; t++) s += wx.weight[t]! * lut[input[rowStart + wx.index[t]!]! + 32768]!;
      tmp[y * size + o] = s;
    }
  }
  // Along y: S × S.
  out.fill(pad);
  for (let o = 0; o < size; o++) {
    const n = wy.count[o]!;
    if (n === 0) continue;
    for (let x = 0; x < size; x++) {
      if (wx.count[x] === 0) continue;
      let s = 0;
      for (let t = wy.start[o]!, e = t + n; t < e; t++) s += wy.weight[t]! * tmp[wy.index[t]! * size + x]!;
      out[o * size + x] = s;
    }
  }
  return out;
}

/**
 * The model card's numbers checked where they enter (a zero std or an empty window would make
 * every input NaN or infinite): RangeError naming the field.
 */
function checkPreprocessing(pre: InputPreprocessing): void {
  const { lowHu, highHu } = pre.huWindow;
  const { mean, std } = pre.normalization;
  if (!Number.isFinite(lowHu) || !Number.isFinite(highHu) || !(highHu > lowHu)) {
    throw new RangeError(`model input: the HU window must have lowHu < highHu, both finite, got ${lowHu}…${highHu}`);
  }
  if (!Number.isFinite(mean)) throw new RangeError(`model input: normalization.mean must be finite, got ${mean}`);
  if (!(std > 0) || !Number.isFinite(std)) throw new RangeError(`model input: normalization.std must be positive, got ${std}`);
}

/** Clamps HU to the window and maps it to [0, 1]. */
export function windowToUnit(hu: Int16Array, window: InputPreprocessing['huWindow'], out?: Float32Array): Float32Array {
  return windowHu(hu, (window.lowHu + window.highHu) / 2, window.highHu - window.lowHu, out);
}

/**
 * The model's `slices` input for every slice of one geometry: windowed, resampled to S×S
 * (area-correct when shrinking, aspect ratio preserved, padded with the window's low end, i.e.
 * air), normalised. The resampling weights are computed once and reused for each slice. The
 * WebAssembly SIMD kernel (input-kernel.wat: along y first, windowing as it reads) does it where
 * available, else JavaScript (`simd: false` forces it): the same values up to float32 rounding.
 */
export function sliceInputMaker(columns: number, rows: number, spacingMm: [number, number], pre: InputPreprocessing, options: { simd?: boolean; region?: InPlaneRegion } = {}): (hu: Int16Array, out?: Float32Array) => Float32Array {
  checkPreprocessing(pre);
  const p = placement(columns, rows, spacingMm, pre.size, options.region);
  const wx = axisWeights(columns, pre.size, p.offset[0], p.extent[0], p.source.origin[0], p.source.size[0]);
  const wy = axisWeights(rows, pre.size, p.offset[1], p.extent[1], p.source.origin[1], p.source.size[1]);
  const { mean, std } = pre.normalization;
  const check = (hu: Int16Array) => {
    if (hu.length !== columns * rows) throw new RangeError(`model input: ${hu.length} values for a ${columns}×${rows} slice`);
  };
  const kernel = options.simd === false ? null : sliceInputKernel();
  if (kernel) {
    const { lowHu, highHu } = pre.huWindow;
    const window = { lo: lowHu, inv: 1 / (highHu - lowHu) };
    const key = {}; // this maker's weights
    return (hu, out = new Float32Array(pre.size * pre.size)) => {
      check(hu);
      return kernel.run(key, hu, columns, rows, pre.size, wy, wx, window, pre.normalization, out);
    };
  }
  // windowToUnit of every Int16 value once: the same numbers as windowing each slice, one pass fewer
  const lut = windowToUnit(Int16Array.from({ length: 65536 }, (_, i) => i - 32768), pre.huWindow);
  const tmp = new Float32Array(rows * pre.size);
  return (hu, out = new Float32Array(pre.size * pre.size)) => {
    check(hu);
    resampleWith(hu, lut, columns, rows, wx, wy, pre.size, 0, tmp, out);
    for (let i = 0; i < out.length; i++) out[i] = (out[i]! - mean) / std;
    return out;
  };
}

/** The model's `slices` input for one slice (see `sliceInputMaker`). */
export function prepareSlice(hu: Int16Array, columns: number, rows: number, spacingMm: [number, number], pre: InputPreprocessing): Float32Array {
  return sliceInputMaker(columns, rows, spacingMm, pre)(hu);
}

/**
 * The model's `masks` input for one slice: the lung mask on the same placement, nearest
 * neighbour, values in {0, 1}. An output pixel that overlaps the image at all takes the input
 * pixel nearest its centre (clamped into the image), so the mask covers exactly the output pixels
 * the slice does, even where the image is less than a pixel wide.
 */
export function prepareMask(mask: Uint8Array, columns: number, rows: number, spacingMm: [number, number], size: number): Float32Array {
  return Float32Array.from(maskInputMaker(columns, rows, spacingMm, size)(mask));
}

/**
 * `prepareMask` for every slice of one geometry, as bytes: the placement and the nearest input
 * pixel of each output pixel are worked out once; each call writes all size² values of `out`.
 */
export function maskInputMaker(columns: number, rows: number, spacingMm: [number, number], size: number, region?: InPlaneRegion): (mask: Uint8Array, out?: Uint8Array) => Uint8Array {
  const p = placement(columns, rows, spacingMm, size, region);
  const xs = nearestIndex(columns, size, p.offset[0], p.extent[0], p.source.origin[0], p.source.size[0]);
  const ys = nearestIndex(rows, size, p.offset[1], p.extent[1], p.source.origin[1], p.source.size[1]);
  return (mask, out = new Uint8Array(size * size)) => {
    if (mask.length !== columns * rows) throw new RangeError(`model input: ${mask.length} mask values for a ${columns}×${rows} slice`);
    for (let oy = 0; oy < size; oy++) {
      const y = ys[oy]!;
      const o = oy * size;
      if (y < 0) {
        out.fill(0, o, o + size);
        continue;
      }
      const row = y * columns;
      for (let ox = 0; ox < size; ox++) {
        const x = xs[ox]!;
        out[o + ox] = x >= 0 && mask[row + x] ? 1 : 0;
      }
    }
    return out;
  };
}

/** Per output index, the input index nearest its centre when it overlaps the input, else −1 (axes as in `axisWeights`). */
function nearestIndex(inputLength: number, outputLength: number, offset: number, extent: number, from: number, length: number): Int32Array {
  const scale = length / extent;
  const out = new Int32Array(outputLength);
  for (let o = 0; o < outputLength; o++) {
    const a = from + (o - offset) * scale;
    const b = from + (o + 1 - offset) * scale;
    out[o] = b <= 0 || a >= inputLength ? -1 : Math.min(inputLength - 1, Math.max(0, Math.floor((a + b) / 2)));
  }
  return out;
}
