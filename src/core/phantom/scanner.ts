import type { MotionArtefact } from './confounders.js';
import { filteredGaussianTile, type NoiseTile } from './noise.js';
import { Rng } from './random.js';
import type { SlabTarget } from './tubes.js';

/** What the scanner does to the ideal slab: kernel, noise, field of view, quantisation. */
export interface ScannerModel {
  kernel: 'smooth' | 'sharp';
  noiseHu: number;
  noise: NoiseTile;
  /** Reconstruction circle radius in pixels (outside: −1024, no noise). */
  fovRadiusPx: number;
  motion: MotionArtefact | null;
}

/** Edge enhancement of the sharp kernel: out = x + k · (x − blur(x)). */
const SHARPEN = 0.6;

export function scannerModel(rng: Rng, kernel: 'smooth' | 'sharp', noiseHu: number, size: number, motion: MotionArtefact | null): ScannerModel {
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
  for (let s = 0; s < m.streaks; s++) {
    const angle = rng.uniform(0, Math.PI);
    const dx = Math.cos(angle);
    const dy = Math.sin(angle);
    const amp = m.streakHu * rng.uniform(0.4, 1) * (rng.chance(0.5) ? 1 : -1);
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
 * Finishes a slab in two passes: the horizontal half of the kernel's [1 2 1]/4 blur, then one pass
 * that does the vertical half (smooth: the blur; sharp: edge enhancement over it), adds noise
 * (tile offsets change per slice), blanks outside the reconstruction circle, writes HU as
 * integers in [−1024, 3071] — and thresholds the slab's lung and lesion fractions at one half into
 * the truth masks (folded in here to save a pass). Returns the slice's lesion voxel count.
 */
export function finishSlab(
  slab: SlabTarget, scratch: Float32Array, model: ScannerModel, rng: Rng,
  out: Int16Array, lungOut: Uint8Array, lesionOut: Uint8Array, lungRows: [number, number],
): number {
  const n = slab.size;
  const hu = slab.hu;
  for (let j = 0; j < n; j++) {
    const row = j * n;
    let a = hu[row]!;
    let b = a;
    for (let i = 0; i < n - 1; i++) {
      const c = hu[row + i + 1]!;
      scratch[row + i] = 0.25 * (a + c) + 0.5 * b;
      a = b;
      b = c;
    }
    scratch[row + n - 1] = hu[row + n - 1]!;
  }
  const t = model.noise;
  const values = t.values;
  const mask = t.mask;
  const shift = t.shift;
  const ox = rng.int(0, mask);
  const oy = rng.int(0, mask);
  const flip = rng.chance(0.5);
  const sigma = model.noiseHu;
  const gain = model.kernel === 'sharp' ? 1 + SHARPEN : 0;
  const r = model.fovRadiusPx;
  const c = (n - 1) / 2;
  for (let j = 0; j < n; j++) {
    const row = j * n;
    const up = j > 0 ? row - n : row;
    const down = j < n - 1 ? row + n : row;
    const dy = j - c;
    const inside = r * r - dy * dy;
    const half = inside > 0 ? Math.sqrt(inside) : -1;
    const i0 = Math.max(0, Math.ceil(c - half));
    const i1 = Math.min(n - 1, Math.floor(c + half));
    if (i1 < i0) {
      out.fill(-1024, row, row + n);
      continue;
    }
    out.fill(-1024, row, row + i0);
    out.fill(-1024, row + i1 + 1, row + n);
    const tr = (((flip ? j : -j) + oy) & mask) << shift;
    for (let i = i0; i <= i1; i++) {
      const q = row + i;
      const blurred = 0.25 * (scratch[up + i]! + scratch[down + i]!) + 0.5 * scratch[q]!;
      const v = blurred + gain * (hu[q]! - blurred) + sigma * values[tr + ((i + ox) & mask)]!;
      out[q] = v < -1024 ? -1024 : v > 3071 ? 3071 : Math.floor(v + 0.5);
    }
  }
  // Truth: at least half lung, and (within that) at least half lesion. Lungs lie within lungRows.
  const { lung, lesion } = slab;
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
