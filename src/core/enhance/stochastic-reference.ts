/**
 * The stochastic enhancement stated plainly, one pixel and one chain at a time (small images and
 * tests only: a few M samples/s). This is the definition: the WebAssembly kernel
 * (stochastic-kernel.wat) must give bit-identical sums for the same seed and image, and the tests
 * check it. (The kernel also skips sprayed samples that cannot change a chain's result; this
 * statement draws them all.)
 *
 * The image I is the input clamped to [0, 1] and quantised to 16 bits (`quantiseImage`); G is
 * its Sobel gradient magnitude (gradient.ts). Per pixel x0 and chain c (after the authors'
 * RanWalker.c / PdenEnhcce.m):
 * - x_0 = x0. The walk moves to a uniformly chosen 8-neighbour inside the image while the
 *   current position is within R1 of x0, for at most ⌊M/2⌋ steps; the step that leaves R1 ends
 *   it (that position is still a sample).
 * - The remaining samples, up to M in all, are sprayed: radius uniform on [R1, R2], uniform angle,
 *   rounded to the nearest pixel (ties to even), redrawn while outside the image — that is, (r, θ)
 *   uniform over the pairs that land in the image. Pairs beyond the farthest image corner in their
 *   quadrant of directions (+1 px for the rounding) never land, so they are not proposed: a
 *   quadrant q is chosen with probability ∝ its radius range L_q (`sprayRanges`), then r uniform
 *   on its range and θ uniform in it — a uniform proposal over a smaller set that still contains
 *   every landing pair, so the accepted samples have the same distribution with fewer redraws
 *   (2.3 draws per sample → 1.7 on a 512² slice). From one 32-bit draw: the top 16 bits place
 *   v = L·u on the stacked ranges [0, L), which gives q and r; the low 12 bits the angle within
 *   the quadrant (2^14 directions in all, stochastic-angles.ts). A chain's spray gives up after
 *   4096 + 64·(samples still needed) draws (only degenerate images, e.g. one pixel wide, get near).
 * - Weights: only the walk samples within R1 (x0 included, weight 1) are weighted, as in the
 *   authors' code (its `dista < R1` selection; sprayed samples get weight 0):
 *   w_k = exp(−(|I(x_k) − I(x0)|/σ_I + TV_k/σ_g)), TV_k = Σ_{j ≤ k} |G(x_j) − G(x_{j−1})|, and
 *   w_k < minWeight counts as 0.
 * - s = (I(x0) − min)/(max − min) over all the chain's samples (0.5 when max = min).
 * Sums over chains, added chain by chain in chain order into float64: Σ w·I, Σ w, Σ s — combined
 * by stochastic-combine.ts. (Chain order makes the sums independent of how chains are grouped
 * into rounds.)
 *
 * Arithmetic: everything per sample is float32 (Math.fround after each operation, which gives
 * exactly the IEEE float32 result of +, −, × on float32 operands), as the SIMD kernel computes it:
 * the weight's exp is the polynomial `weight32` below, the spray position r·cos θ + x0 is rounded
 * to an integer by adding 1.5·2^23 (round half to even). Per chain, Σ w·I and Σ w are float32;
 * s is float64 from the float32 min and max. Walk positions are whole pixels, so the R1 test is on
 * integers: dx² + dy² ≥ ⌈R1²⌉.
 *
 * Random numbers: counter-based. Chain c of pixel p has the key mix(mix(p·φ ^ seed) + (c+1)·ψ)
 * and its t-th draw is mix(key + t·φ), with mix the "lowbias32" integer hash; a walk step takes
 * the top 3 bits of one draw (a neighbour outside the image: next draw, up to 64 times, then the
 * walk stays put), a spray sample one draw (quadrant and radius from the top 16 bits, angle from the low 12).
 * Results therefore do not depend on how pixels are split between threads or chains between
 * rounds.
 */
import { sprayAngles } from './stochastic-angles.js';
import type { StochasticSums } from './stochastic-combine.js';
import type { StochasticParams } from './stochastic-params.js';

export const PHI = 0x9e3779b9 | 0;
export const PSI = 0x85ebca77 | 0;
/** 8-neighbour moves for the top 3 bits of a draw. */
const DX = [1, -1, 0, 0, -1, 1, 1, -1] as const;
const DY = [0, 0, 1, -1, -1, 1, -1, 1] as const;
/** 1.5·2^23: x + MAGIC rounds x to an integer in float32 (|x| < 2^22). */
export const MAGIC = 12582912;
/** exp(−a) is evaluated at min(a, A_MAX) (exp(−80) ≈ 2e-35: far below any useful minWeight). */
const A_MAX = 80;
/**
 * −1/ln 2 and 2^x ≈ 1 + x·(C1 + C2·x + C3·x² + C4·x³ + C5·x⁴) on |x| ≤ ½ (a least-squares fit for
 * the largest relative error, 9e-8 before rounding; evaluated in Estrin's order, which is shorter
 * than Horner's for the SIMD pipeline).
 */
const NEG_LOG2E = Math.fround(-1 / Math.LN2);
const [C1, C2, C3, C4, C5] = [0.6931469765799488, 0.24022242844483477, 0.055507353117511385, 0.009671469702513326, 0.0013264195708581716].map(Math.fround) as [number, number, number, number, number];
/** The input image is quantised to 16 bits: I = code/65535 (see `quantiseImage`). */
export const CODE_MAX = 65535;
/** A chain's spray gives up after 4096 + 64·(samples it still needs) draws (degenerate images only). */
export const SPRAY_DRAWS_BASE = 4096;
export const SPRAY_DRAWS_PER_SAMPLE = 64;
export const WALK_REDRAW_LIMIT = 64;

const f = Math.fround;

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

/** exp(−a) for a float32 a ≥ 0, in float32 as the kernel computes it. */
export function weight32(a: number): number {
  const t = f((a < A_MAX ? a : A_MAX) * NEG_LOG2E);
  const n = f(t + MAGIC) - MAGIC; // round(t), ties to even
  const x = f(t - n);
  const x2 = f(x * x);
  const q = f(f(C1 + f(C2 * x)) + f(x2 * f(f(C3 + f(C4 * x)) + f(x2 * C5))));
  return f(1 + f(x * q)) * 2 ** n; // exact: a power-of-two scaling of a normal float32
}

/**
 * The image as the enhancement sees it: clamped to [0, 1] (NaN → 0) and quantised to 16 bits,
 * I = code/65535 in float32 (a change below 8e-6, invisible; a windowed CT slice has a few
 * thousand levels at most). The codes order exactly as the values, so the kernel's spray can
 * read 2-byte codes instead of float32 values.
 */
export function quantiseImage(image: ArrayLike<number>): { values: Float32Array; codes: Uint16Array } {
  const values = new Float32Array(image.length);
  const codes = new Uint16Array(image.length);
  for (let i = 0; i < image.length; i++) {
    const v = image[i]!;
    const c = v > 0 ? (v < 1 ? Math.round(v * CODE_MAX) : CODE_MAX) : 0;
    codes[i] = c;
    values[i] = c / CODE_MAX;
  }
  return { values, codes };
}

/** The float32 and integer forms of the parameters that the kernel and the reference share. */
export interface ChainConstants {
  halfSteps: number;
  /** ⌈R1²⌉: an integer offset (dx, dy) is within R1 iff dx² + dy² < this. */
  r1sq: number;
  r1: number;
  invSigmaI: number;
  invSigmaG: number;
  minWeight: number;
}

export function chainConstants(p: StochasticParams): ChainConstants {
  return {
    halfSteps: Math.floor(p.samples / 2),
    r1sq: Math.min(Math.ceil(p.radiusInnerPx * p.radiusInnerPx), 0x7fffffff),
    r1: f(p.radiusInnerPx),
    invSigmaI: f(1 / p.sigmaIntensity),
    invSigmaG: f(1 / p.sigmaGradient),
    minWeight: f(p.minWeight),
  };
}

/**
 * The spray's radius ranges of pixel (x0, y0), one per quadrant of directions (quadrant q: angles
 * [q·π/2, (q + 1)·π/2), table entries 4096·q…4096·q + 4095): L_q = max(0, min(R2, d_q + 1) − R1)
 * with d_q the distance to the farthest pixel centre in that quadrant (float64, then float32),
 * stacked: C1 = L0, C2 = C1 + L1, C3 = C2 + L2, L = C3 + L3 (float32 sums). Undefined when L = 0
 * (no radius in [R1, R2] reaches a pixel: no spray).
 */
export function sprayRanges(x0: number, y0: number, width: number, height: number, p: StochasticParams): { scale: number; c1: number; c2: number; c3: number } | undefined {
  const range = (dx: number, dy: number): number => f(Math.max(0, Math.min(p.radiusOuterPx, Math.sqrt(dx * dx + dy * dy) + 1) - p.radiusInnerPx));
  const right = width - 1 - x0, down = height - 1 - y0; // cos ≥ 0 and sin ≥ 0 (image y grows downwards)
  const c1 = range(right, down);
  const c2 = f(c1 + range(x0, down));
  const c3 = f(c2 + range(x0, y0));
  const total = f(c3 + range(right, y0));
  return total > 0 ? { scale: total * 2 ** -16, c1, c2, c3 } : undefined;
}

export interface ChainResult {
  /** Σ w·I and Σ w over the chain (float32). */
  sumWI: number;
  sumW: number;
  /** float32 min and max over the chain's samples. */
  min: number;
  max: number;
  s: number;
  /** Every sample's pixel index in order (x0 first). */
  visited: number[];
}

/** One chain of one pixel. */
export function referenceChain(image: Float32Array, grad: Float32Array, width: number, height: number, x0: number, y0: number, chain: number, p: StochasticParams): ChainResult {
  const k = chainConstants(p);
  const p0 = y0 * width + x0;
  let ctr = mix32((mix32(Math.imul(p0, PHI) ^ (p.seed | 0)) + Math.imul(chain + 1, PSI)) | 0);
  const draw = (): number => {
    const h = mix32(ctr) >>> 0;
    ctr = (ctr + PHI) | 0;
    return h;
  };
  const i0 = image[p0]!;
  const visited = [p0];
  let mn = i0;
  let mx = i0;
  let sumWI = i0;
  let sumW = 1;
  let tv = 0;
  let gPrev = grad[p0]!;
  let x = x0;
  let y = y0;
  const sample = (q: number): number => {
    visited.push(q);
    const v = image[q]!;
    if (v < mn) mn = v;
    if (v > mx) mx = v;
    return v;
  };
  for (let step = 0; step < k.halfSteps; step++) {
    let d = draw() >>> 29;
    for (let redraws = 0; !inside(x + DX[d as 0], y + DY[d as 0], width, height); d = draw() >>> 29) {
      if (++redraws > WALK_REDRAW_LIMIT) {
        d = -1;
        break;
      }
    }
    if (d >= 0) {
      x += DX[d as 0];
      y += DY[d as 0];
    }
    const q = y * width + x;
    const v = sample(q);
    tv = f(tv + Math.abs(f(grad[q]! - gPrev)));
    gPrev = grad[q]!;
    if ((x - x0) * (x - x0) + (y - y0) * (y - y0) >= k.r1sq) break;
    const w = weight32(f(f(Math.abs(f(v - i0)) * k.invSigmaI) + f(tv * k.invSigmaG)));
    if (w >= k.minWeight) {
      sumWI = f(sumWI + f(w * v));
      sumW = f(sumW + w);
    }
  }
  const ranges = sprayRanges(x0, y0, width, height, p);
  if (ranges) {
    const angles = sprayAngles();
    const budget = SPRAY_DRAWS_BASE + SPRAY_DRAWS_PER_SAMPLE * (p.samples - visited.length);
    for (let draws = 0; visited.length < p.samples && draws < budget; draws++) {
      const h = draw();
      const v = f(ranges.scale * (h >>> 16)); // uniform on [0, L)
      const q = (v >= ranges.c1 ? 1 : 0) + (v >= ranges.c2 ? 1 : 0) + (v >= ranges.c3 ? 1 : 0);
      const r = f(k.r1 + f(v - [0, ranges.c1, ranges.c2, ranges.c3][q]!));
      const a = ((q << 12) | (h & 4095)) << 1;
      const ux = f(f(r * angles[a]!) + (x0 + MAGIC)) - MAGIC;
      const uy = f(f(r * angles[a + 1]!) + (y0 + MAGIC)) - MAGIC;
      if (inside(ux, uy, width, height)) sample(uy * width + ux);
    }
  }
  const s = mx > mn ? (i0 - mn) / (mx - mn) : 0.5;
  return { sumWI, sumW, min: mn, max: mx, s, visited };
}

function inside(x: number, y: number, width: number, height: number): boolean {
  return x >= 0 && y >= 0 && x < width && y < height;
}

/** Chains [chainStart, chainEnd) of every pixel, added chain by chain into `sums`. */
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
