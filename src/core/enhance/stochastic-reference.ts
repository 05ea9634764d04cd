/**
 * The stochastic enhancement stated plainly, one pixel and one chain at a time (small images and
 * tests only: ≈ 10 M samples/s). The fast path (stochastic-kernel.ts) must give the same sums
 * for the same seed; only its weights differ, through a linearly interpolated exp table (≤ 2e-6
 * relative).
 *
 * Per pixel x0 and chain c (after the authors' RanWalker.c / PdenEnhcce.m):
 * - x_0 = x0. The walk moves to a uniformly chosen 8-neighbour inside the image while the
 *   current position is within R1 of x0, for at most ⌊M/2⌋ steps; the step that leaves R1 ends
 *   it (that position is still a sample).
 * - The remaining samples, up to M in all, are sprayed: radius R1 + (R2 − R1)·u, angle 2π·v,
 *   rounded to the nearest pixel, redrawn while outside the image. Radii beyond the farthest
 *   image corner (+1 px for the rounding) are always redrawn, so u is drawn on [R1, min(R2,
 *   farthest + 1)] instead: the same distribution, conditioned on landing in the image, with far
 *   fewer redraws. u and v are 16-bit (from one 32-bit draw: radius step ≤ 0.012 px at R2 = 800,
 *   angle step 2π/65536; cos and sin by angle addition from two small tables, see
 *   stochastic-angles.ts).
 * - Weights: only the walk samples within R1 (x0 included, weight 1) are weighted, as in the
 *   authors' code (its `dista < R1` selection; sprayed samples get weight 0):
 *   w_k = exp(−(|I(x_k) − I(x0)|/σ_I + TV_k/σ_g)), TV_k = Σ_{j ≤ k} |G(x_j) − G(x_{j−1})|, and
 *   w_k < minWeight counts as 0.
 * - s = (I(x0) − min)/(max − min) over all the chain's samples (0.5 when max = min).
 * Sums over chains: Σ w·I, Σ w, Σ s — combined by stochastic-combine.ts.
 *
 * Random numbers: counter-based "lowbias32" hash of (seed, pixel, chain, draw index); a walk step
 * uses 3 bits of a 30-bit draw (10 steps per draw), redrawing 3 bits when the neighbour is outside.
 */
import { sprayDirection } from './stochastic-angles.js';
import type { StochasticSums } from './stochastic-combine.js';
import type { StochasticParams } from './stochastic-params.js';

const PHI = 0x9e3779b9 | 0;
const PSI = 0x85ebca77 | 0;
const DX = [1, -1, 0, 0, -1, 1, 1, -1] as const;
const DY = [0, 0, 1, -1, -1, 1, -1, 1] as const;

/** The "lowbias32" integer hash (Wellons), as a signed 32-bit integer. */
export function mix32(x: number): number {
  x |= 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x;
}

/** The random stream of one (pixel, chain). */
class ChainRandom {
  private ctr: number;
  private bits = 0;
  private nbits = 0;
  constructor(seed: number, pixel: number, chain: number) {
    const pk = mix32(Math.imul(pixel, PHI) ^ seed);
    this.ctr = mix32((pk + Math.imul(chain + 1, PSI)) | 0);
  }
  next32(): number {
    const h = mix32(this.ctr);
    this.ctr = (this.ctr + PHI) | 0;
    return h >>> 0;
  }
  next3(): number {
    if (this.nbits < 3) {
      this.bits = this.next32();
      this.nbits = 30;
    }
    const k = this.bits & 7;
    this.bits >>>= 3;
    this.nbits -= 3;
    return k;
  }
}

export interface ChainResult {
  sumWI: number;
  sumW: number;
  s: number;
  /** Every sample's pixel index in order (x0 first). */
  visited: number[];
}

/** One chain of one pixel. */
export function referenceChain(image: Float32Array, grad: Float32Array, width: number, height: number, x0: number, y0: number, chain: number, p: StochasticParams): ChainResult {
  const p0 = y0 * width + x0;
  const rng = new ChainRandom(p.seed | 0, p0, chain);
  const i0 = image[p0]!;
  const visited = [p0];
  const values = [i0];
  let sumWI = i0;
  let sumW = 1;
  let tv = 0;
  let gPrev = grad[p0]!;
  let x = x0;
  let y = y0;
  for (let step = 0; step < Math.floor(p.samples / 2); step++) {
    let k = rng.next3();
    let tries = 0;
    while (!inside(x + DX[k as 0]!, y + DY[k as 0]!, width, height)) {
      if (++tries > 64) {
        k = -1;
        break;
      }
      k = rng.next3();
    }
    if (k >= 0) {
      x += DX[k as 0]!;
      y += DY[k as 0]!;
    }
    const q = y * width + x;
    visited.push(q);
    values.push(image[q]!);
    tv += Math.abs(grad[q]! - gPrev);
    gPrev = grad[q]!;
    if ((x - x0) ** 2 + (y - y0) ** 2 >= p.radiusInnerPx ** 2) break;
    const w = Math.exp(-(Math.abs(image[q]! - i0) / p.sigmaIntensity + tv / p.sigmaGradient));
    if (w >= p.minWeight) {
      sumWI += w * image[q]!;
      sumW += w;
    }
  }
  const farthest = Math.hypot(Math.max(x0, width - 1 - x0), Math.max(y0, height - 1 - y0));
  const rMax = Math.min(p.radiusOuterPx, farthest + 1);
  const span = rMax - p.radiusInnerPx;
  // One slot per remaining sample; a slot that finds no pixel in 4096 draws (only on degenerate,
  // e.g. 1-pixel-high, images) stays empty.
  for (let slot = visited.length; span > 0 && slot < p.samples; slot++) {
    for (let tries = 0; tries < 4096; tries++) {
      const h = rng.next32();
      const r = p.radiusInnerPx + span * ((h >>> 16) / 65536);
      const [c, sn] = sprayDirection(h & 0xffff); // ≈ cos, sin of 2π·(h & 0xffff)/65536
      const ux = Math.floor(x0 + r * c + 0.5);
      const uy = Math.floor(y0 + r * sn + 0.5);
      if (inside(ux, uy, width, height)) {
        visited.push(uy * width + ux);
        values.push(image[uy * width + ux]!);
        break;
      }
    }
  }
  const mn = Math.min(...values);
  const mx = Math.max(...values);
  const s = mx > mn ? (i0 - mn) / (mx - mn) : 0.5;
  return { sumWI, sumW, s, visited };
}

function inside(x: number, y: number, width: number, height: number): boolean {
  return x >= 0 && y >= 0 && x < width && y < height;
}

/** Chains [chainStart, chainEnd) of every pixel, added into `sums`. */
export function referenceSums(image: Float32Array, grad: Float32Array, width: number, height: number, chainStart: number, chainEnd: number, p: StochasticParams, sums: StochasticSums): void {
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const q = y * width + x;
      for (let c = chainStart; c < chainEnd; c++) {
        const r = referenceChain(image, grad, width, height, x, y, c, p);
        sums.sumWI[q]! += r.sumWI;
        sums.sumW[q]! += r.sumW;
        sums.sumS[q]! += r.s;
      }
    }
  }
}
