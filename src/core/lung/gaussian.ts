import { lungKernel, KERNEL_MIN_NX, KERNEL_MIN_NY } from './lung-simd.js';
import { RunBuilder, type RunVolume } from './runs.js';

/**
 * In-plane Gaussian smoothing with σ = 1 voxel, as Liao et al. apply it slice by slice
 * (`scipy.ndimage.gaussian_filter(slice, 1, truncate=2.0)`): a normalised 5-tap kernel applied
 * along x then y, borders mirrored (scipy's `reflect`: d c b a | a b c d | d c b a). On the
 * lung mask's coarse grid (coarse-grid.ts) σ is ½ voxel: one pixel of the volume's own grid, in mm.
 */
const RADIUS = 2;

/** The 5-tap kernel [w(−2) … w(2)] for σ voxels, normalised. */
export function gaussianWeights(sigmaVoxels = 1): readonly number[] {
  const raw = [-2, -1, 0, 1, 2].map((d) => Math.exp(-(d * d) / (2 * sigmaVoxels * sigmaVoxels)));
  const sum = raw.reduce((a, b) => a + b, 0);
  return raw.map((w) => w / sum);
}
export const GAUSSIAN_WEIGHTS: readonly number[] = gaussianWeights(1);

/** [centre, ±1, ±2] of a 5-tap kernel. */
type Taps = readonly [number, number, number];
const taps = (w: readonly number[]): Taps => [w[2]!, w[1]!, w[0]!];

/** Index i mirrored into 0…n−1 (scipy `reflect`), for any i. */
export function reflectIndex(i: number, n: number): number {
  const period = 2 * n;
  let j = ((i % period) + period) % period;
  if (j >= n) j = period - 1 - j;
  return j;
}

/** Smooths one slice along x into `out` (Float32, same layout). */
function smoothRows(src: Int16Array, offset: number, nx: number, ny: number, out: Float32Array, [w0, w1, w2]: Taps): void {
  for (let y = 0; y < ny; y++) {
    const s = offset + y * nx;
    const o = y * nx;
    if (nx >= 2 * RADIUS + 1) {
      for (let x = RADIUS; x < nx - RADIUS; x++) {
        const p = s + x;
        out[o + x] = w0 * src[p]! + w1 * (src[p - 1]! + src[p + 1]!) + w2 * (src[p - 2]! + src[p + 2]!);
      }
      for (const x of [0, 1, nx - 2, nx - 1]) out[o + x] = edgeSample(src, s, nx, x, [w0, w1, w2]);
    } else {
      for (let x = 0; x < nx; x++) out[o + x] = edgeSample(src, s, nx, x, [w0, w1, w2]);
    }
  }
}

function edgeSample(src: Int16Array, s: number, nx: number, x: number, [w0, w1, w2]: Taps): number {
  const w = [w2, w1, w0, w1, w2];
  let v = 0;
  for (let d = -RADIUS; d <= RADIUS; d++) v += w[d + RADIUS]! * src[s + reflectIndex(x + d, nx)]!;
  return v;
}

/** Offsets (in voxels, within the slice) of the rows y−2 … y+2, mirrored at the borders. */
function rowOffsets(y: number, nx: number, ny: number): [number, number, number, number, number] {
  return [
    reflectIndex(y - 2, ny) * nx,
    reflectIndex(y - 1, ny) * nx,
    y * nx,
    reflectIndex(y + 1, ny) * nx,
    reflectIndex(y + 2, ny) * nx,
  ];
}

/** Slices k0…k1 and rows y0…y1 (inclusive) of a volume. */
export interface SliceRegion {
  k0: number;
  k1: number;
  y0: number;
  y1: number;
}

/**
 * The smoothed volume thresholded, without ever storing it: the runs of the voxels whose smoothed
 * value is < `below`. Slice by slice with the WebAssembly SIMD kernel where available (one pass
 * along x into a slice buffer, one along y that thresholds into bits), else the same two passes in
 * JavaScript (`simd: false` forces that, for tests and comparisons).
 *
 * `region` limits the work to some slices and rows (the rest is left empty): each slice is then
 * smoothed over the region's rows and the two rows beyond each of its edges, so that the values
 * inside the region are exactly those of the whole slice.
 */
export function smoothedBelowRuns(
  voxels: Int16Array,
  nx: number,
  ny: number,
  nz: number,
  below: number,
  options: { simd?: boolean; region?: SliceRegion; sigmaVoxels?: number } = {},
): RunVolume {
  const [W0, W1, W2] = taps(options.sigmaVoxels === undefined ? GAUSSIAN_WEIGHTS : gaussianWeights(options.sigmaVoxels));
  const out = new RunBuilder(nx, ny, nz, ny * nz * 4);
  const n = nx * ny;
  const region = options.region ?? { k0: 0, k1: nz - 1, y0: 0, y1: ny - 1 };
  const k0 = Math.max(0, region.k0);
  const k1 = Math.min(nz - 1, region.k1);
  const y0 = Math.max(0, region.y0);
  const y1 = Math.min(ny - 1, region.y1);
  // Rows smoothed: the region's and up to RADIUS beyond each edge.
  const ya = Math.max(0, y0 - RADIUS);
  const yb = Math.min(ny - 1, y1 + RADIUS);
  const rows = yb - ya + 1;
  const kernel = options.simd === false || nx < KERNEL_MIN_NX || rows < KERNEL_MIN_NY ? null : lungKernel();
  const tmp = kernel ? null : new Float32Array(nx * rows);
  const emptyRows = (count: number) => {
    for (let i = 0; i < count; i++) out.endRow();
  };
  for (let k = 0; k < nz; k++) {
    if (k < k0 || k > k1 || y1 < y0) {
      emptyRows(ny);
      continue;
    }
    const src = voxels.subarray(k * n + ya * nx, k * n + (yb + 1) * nx);
    emptyRows(y0);
    if (kernel) {
      const { bits, wordsPerRow } = kernel.smoothBelow(src, nx, rows, below, [W0, W1, W2]);
      for (let y = y0; y <= y1; y++) {
        bitsToRuns(bits, (y - ya) * wordsPerRow, wordsPerRow, nx, out);
        out.endRow();
      }
    } else {
      smoothRows(src, 0, nx, rows, tmp!, [W0, W1, W2]);
      for (let y = y0; y <= y1; y++) {
        const [a, b, c, d, e] = rowOffsets(y - ya, nx, rows);
        let start = -1;
        for (let x = 0; x < nx; x++) {
          const v = W0 * tmp![c + x]! + W1 * (tmp![b + x]! + tmp![d + x]!) + W2 * (tmp![a + x]! + tmp![e + x]!);
          if (v < below) {
            if (start < 0) start = x;
          } else if (start >= 0) {
            out.push(start, x);
            start = -1;
          }
        }
        if (start >= 0) out.push(start, nx);
        out.endRow();
      }
    }
    emptyRows(ny - 1 - y1);
  }
  return out.finish();
}

/** Runs of the set bits of one row (bit b of word w is voxel 16w + b; bits at x ≥ nx ignored). */
function bitsToRuns(bits: Uint16Array, first: number, words: number, nx: number, out: RunBuilder): void {
  let start = -1;
  for (let w = 0; w < words; w++) {
    let word = bits[first + w]!;
    const base = w * 16;
    if (base + 16 > nx) word &= (1 << (nx - base)) - 1;
    if (start < 0 ? word === 0 : word === 0xffff) continue;
    for (let b = 0; b < 16; b++) {
      if ((word >>> b) & 1) {
        if (start < 0) start = base + b;
      } else if (start >= 0) {
        out.push(start, base + b);
        start = -1;
      }
    }
  }
  if (start >= 0) out.push(start, nx);
}

/** The smoothed slice itself (for tests and viewers; the mask uses `smoothedBelowRuns`). */
export function smoothSlice(slice: Int16Array, nx: number, ny: number): Float32Array {
  const [W0, W1, W2] = taps(GAUSSIAN_WEIGHTS);
  const tmp = new Float32Array(nx * ny);
  smoothRows(slice, 0, nx, ny, tmp, [W0, W1, W2]);
  const out = new Float32Array(nx * ny);
  for (let y = 0; y < ny; y++) {
    const [a, b, c, d, e] = rowOffsets(y, nx, ny);
    for (let x = 0; x < nx; x++) {
      out[y * nx + x] = W0 * tmp[c + x]! + W1 * (tmp[b + x]! + tmp[d + x]!) + W2 * (tmp[a + x]! + tmp[e + x]!);
    }
  }
  return out;
}
