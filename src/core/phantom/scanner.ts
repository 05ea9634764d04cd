import type { MotionArtefact } from './confounders.js';
import { filteredGaussianTile, normaliseTile, type NoiseTile } from './noise.js';
import { Rng } from './random.js';
import type { SlabTarget } from './tubes.js';

/** What the scanner does to the ideal slab: kernel, noise, field of view, quantisation. */
export interface ScannerModel {
  kernel: 'smooth' | 'standard' | 'sharp';
  noiseHu: number;
  noise: NoiseTile;
  /** Reconstruction circle radius in pixels (outside: −1024, no noise). */
  fovRadiusPx: number;
  motion: MotionArtefact | null;
  /** Realism v2: the kernel's blur taps and edge gain, and the HU outside the circle. */
  v2?: { taps: Float32Array; edgeGain: number; outsideHu: number };
}

/** Edge enhancement of the sharp kernel: out = x + k · (x − blur(x)). */
const SHARPEN = 0.6;

export function scannerModel(rng: Rng, kernel: 'smooth' | 'standard' | 'sharp', noiseHu: number, size: number, motion: MotionArtefact | null): ScannerModel {
  // Smooth kernels correlate neighbouring pixels' noise; sharp kernels make it grainy.
  const taps = kernel === 'smooth' ? [1, 3, 4, 3, 1] : [-0.25, 1, -0.25];
  return { kernel, noiseHu, noise: filteredGaussianTile(rng, 256, taps), fovRadiusPx: size / 2, motion };
}

/** Respiratory motion: a short blur along y (the diaphragm and vessels smear), plus streaks. */
export function applyMotion(hu: Float32Array, size: number, spacingMm: number, m: MotionArtefact, sliceIndex: number, scratch: Float32Array): void {
  const n = size;
  const len = Math.max(1, Math.round(m.blurMm / spacingMm));
  scratch.set(hu);
  for (let i = 0; i < n; i++) {
    // Box of `len` rows [j, j + len − 1], rows past the edge clamped to the last.
    let sum = 0;
    for (let r = 0; r < len; r++) sum += scratch[Math.min(r, n - 1) * n + i]!;
    for (let j = 0; j < n; j++) {
      hu[j * n + i] = sum / len;
      sum += scratch[Math.min(j + len, n - 1) * n + i]! - scratch[j * n + i]!;
    }
  }
  // Streaks through a point near the heart, alternating dark and bright, fading outward.
  const rng = new Rng(`${m.seed}/${sliceIndex}`);
  const cx = n * rng.uniform(0.45, 0.6);
  const cy = n * rng.uniform(0.4, 0.55);
  addStreaks(hu, n, cx, cy, m.streaks, m.streakHu, rng);
}

/**
 * Streaks through (cx, cy) (pixels): `count` lines at random angles, three pixels wide (a bright
 * or dark core between opposite edges), of amplitude up to `amplitudeHu`, fading outward. Motion
 * (the heart) and metal (wires, clips) make them.
 */
export function addStreaks(hu: Float32Array, n: number, cx: number, cy: number, count: number, amplitudeHu: number, rng: Rng): void {
  for (let s = 0; s < count; s++) {
    const angle = rng.uniform(0, Math.PI);
    const dx = Math.cos(angle);
    const dy = Math.sin(angle);
    const amp = amplitudeHu * rng.uniform(0.4, 1) * (rng.chance(0.5) ? 1 : -1);
    for (let t = -n; t <= n; t++) {
      const fade = Math.exp(-Math.abs(t) / (0.35 * n));
      for (let w = -1; w <= 1; w++) {
        const x = Math.round(cx + dx * t - dy * w);
        const y = Math.round(cy + dy * t + dx * w);
        if (x < 0 || y < 0 || x >= n || y >= n) continue;
        hu[y * n + x]! += amp * fade * (w === 0 ? 1 : -0.5);
      }
    }
  }
}

/**
 * Finishes a slab: the scanner's kernel (v1: [1 2 1]/4 blur, smooth, or edge enhancement over it,
 * sharp; v2: a separable Gaussian blur and edge gain), noise (tile offsets change per slice),
 * the reconstruction circle with −1024 (v2: its outside value) beyond it, HU as integers in
 * [−1024, 3071] inside — and the slab's lung and lesion fractions thresholded at one half into the
 * truth masks (folded in here to save a pass). Returns the slice's lesion voxel count.
 * `scratch` and `blurred` are the slice's work buffers (v1 uses only `scratch`).
 */
export function finishSlab(
  slab: SlabTarget, scratch: Float32Array, blurred: Float32Array, model: ScannerModel, rng: Rng,
  out: Int16Array, lungOut: Uint8Array, lesionOut: Uint8Array, lungRows: [number, number],
): number {
  const { hu, size: n } = slab;
  const v2 = model.v2;
  if (v2) {
    gaussianBlur(hu, n, v2.taps, scratch, blurred);
    reconstruct(hu, n, blurred, false, v2.edgeGain, model, rng, v2.outsideHu, out);
  } else {
    binomialRows(hu, n, scratch);
    reconstruct(hu, n, scratch, true, model.kernel === 'sharp' ? 1 + SHARPEN : 0, model, rng, -1024, out);
  }
  return thresholdTruth(slab, lungRows, lungOut, lesionOut);
}

/** The horizontal half of v1's [1 2 1]/4 blur, edges clamped, into `out` (`reconstruct` takes the vertical half). */
function binomialRows(hu: Float32Array, n: number, out: Float32Array): void {
  for (let j = 0; j < n; j++) {
    const row = j * n;
    let a = hu[row]!;
    let b = a;
    for (let i = 0; i < n - 1; i++) {
      const c = hu[row + i + 1]!;
      out[row + i] = 0.25 * (a + c) + 0.5 * b;
      a = b;
      b = c;
    }
    out[row + n - 1] = hu[row + n - 1]!;
  }
}

/** A separable blur by `taps`, edges clamped: rows into `scratch`, then columns into `out`. */
function gaussianBlur(hu: Float32Array, n: number, taps: Float32Array, scratch: Float32Array, out: Float32Array): void {
  const r = (taps.length - 1) / 2;
  for (let j = 0; j < n; j++) {
    const row = j * n;
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let t = -r; t <= r; t++) {
        const ii = i + t < 0 ? 0 : i + t >= n ? n - 1 : i + t;
        s += taps[t + r]! * hu[row + ii]!;
      }
      scratch[row + i] = s;
    }
  }
  for (let j = 0; j < n; j++) {
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let t = -r; t <= r; t++) {
        const jj = j + t < 0 ? 0 : j + t >= n ? n - 1 : j + t;
        s += taps[t + r]! * scratch[jj * n + i]!;
      }
      out[j * n + i] = s;
    }
  }
}

/**
 * The image the scanner writes: within the reconstruction circle blur(x) + gain · (x − blur(x))
 * plus the noise tile (offsets and a flip drawn from `rng` per slice), rounded to integers in
 * [−1024, 3071]; `outsideHu` beyond it. `blurred` is the kernel's blur, or with `columns` (v1)
 * only its rows, the vertical [1 2 1]/4 taken here (in double precision, as v1 always has).
 */
function reconstruct(
  hu: Float32Array, n: number, blurred: Float32Array, columns: boolean, gain: number, model: ScannerModel, rng: Rng,
  outsideHu: number, out: Int16Array,
): void {
  const { values, mask, shift } = model.noise;
  const ox = rng.int(0, mask);
  const oy = rng.int(0, mask);
  const flip = rng.chance(0.5);
  const sigma = model.noiseHu;
  const radius = model.fovRadiusPx;
  const c = (n - 1) / 2;
  for (let j = 0; j < n; j++) {
    const row = j * n;
    const up = j > 0 ? row - n : row;
    const down = j < n - 1 ? row + n : row;
    const dy = j - c;
    const inside = radius * radius - dy * dy;
    const half = inside > 0 ? Math.sqrt(inside) : -1;
    const i0 = Math.max(0, Math.ceil(c - half));
    const i1 = Math.min(n - 1, Math.floor(c + half));
    if (i1 < i0) {
      out.fill(outsideHu, row, row + n);
      continue;
    }
    out.fill(outsideHu, row, row + i0);
    out.fill(outsideHu, row + i1 + 1, row + n);
    const tr = (((flip ? j : -j) + oy) & mask) << shift;
    // A loop for each case rather than a test per voxel (the test cost v1 a fifth of this pass).
    if (columns) {
      for (let i = i0; i <= i1; i++) {
        const q = row + i;
        const b = 0.25 * (blurred[up + i]! + blurred[down + i]!) + 0.5 * blurred[q]!;
        const v = b + gain * (hu[q]! - b) + sigma * values[tr + ((i + ox) & mask)]!;
        out[q] = v < -1024 ? -1024 : v > 3071 ? 3071 : Math.floor(v + 0.5);
      }
    } else {
      for (let i = i0; i <= i1; i++) {
        const q = row + i;
        const b = blurred[q]!;
        const v = b + gain * (hu[q]! - b) + sigma * values[tr + ((i + ox) & mask)]!;
        out[q] = v < -1024 ? -1024 : v > 3071 ? 3071 : Math.floor(v + 0.5);
      }
    }
  }
}

/** Truth: at least half lung, and (within that) at least half lesion. Lungs lie within lungRows. */
function thresholdTruth(slab: SlabTarget, lungRows: [number, number], lungOut: Uint8Array, lesionOut: Uint8Array): number {
  const { size: n, lung, lesion } = slab;
  let lesions = 0;
  const end = Math.min(n, lungRows[1] + 1) * n;
  for (let q = Math.max(0, lungRows[0]) * n; q < end; q++) {
    if (lung[q]! >= 0.5) {
      lungOut[q] = 1;
      if (lesion[q]! >= 0.5) {
        lesionOut[q] = 1;
        lesions++;
      }
    }
  }
  return lesions;
}

/** Normalised Gaussian taps of σ pixels (at least three). */
export function gaussianTaps(sigma: number): Float32Array {
  const r = Math.max(1, Math.ceil(3 * sigma));
  const taps = new Float32Array(2 * r + 1);
  let sum = 0;
  for (let t = -r; t <= r; t++) sum += taps[t + r] = Math.exp(-(t * t) / (2 * sigma * sigma));
  for (let t = 0; t < taps.length; t++) taps[t] = taps[t]! / sum;
  return taps;
}

/**
 * The v2 scanner: a kernel of blur σ (pixels) and edge gain g — out = blur(x) + g · (x − blur(x)),
 * smooth PET/CT kernels g = 0 and σ up to ≈ 2, sharp lung kernels g > 1 (overshoot at edges) —
 * whose noise is white noise through the same kernel, so its grain matches; a reconstruction
 * circle of `fovFraction` of the half-width with `outsideHu` beyond it.
 */
export function scannerModelV2(rng: Rng, kernel: 'smooth' | 'standard' | 'sharp', noiseHu: number, size: number, motion: MotionArtefact | null, v: { blurPx: number; edgeGain: number; fovFraction: number; outsideHu: number }): ScannerModel {
  const taps = gaussianTaps(v.blurPx);
  const tile = 256;
  const white = new Float32Array(tile * tile);
  for (let i = 0; i < white.length; i++) white[i] = rng.normal();
  const blurred = blurPeriodic(white, tile, taps);
  const noise = new Float32Array(tile * tile);
  for (let i = 0; i < noise.length; i++) noise[i] = blurred[i]! + v.edgeGain * (white[i]! - blurred[i]!);
  return {
    kernel,
    noiseHu,
    noise: normaliseTile({ size: tile, mask: tile - 1, shift: 8, values: noise }),
    fovRadiusPx: (size / 2) * v.fovFraction,
    motion,
    v2: { taps, edgeGain: v.edgeGain, outsideHu: v.outsideHu },
  };
}

function blurPeriodic(a: Float32Array, n: number, taps: Float32Array): Float32Array {
  const r = (taps.length - 1) / 2;
  const tmp = new Float32Array(a.length);
  const out = new Float32Array(a.length);
  const m = n - 1;
  for (let j = 0; j < n; j++) {
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let t = -r; t <= r; t++) s += taps[t + r]! * a[j * n + ((i + t) & m)]!;
      tmp[j * n + i] = s;
    }
  }
  for (let j = 0; j < n; j++) {
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let t = -r; t <= r; t++) s += taps[t + r]! * tmp[((j + t) & m) * n + i]!;
      out[j * n + i] = s;
    }
  }
  return out;
}
