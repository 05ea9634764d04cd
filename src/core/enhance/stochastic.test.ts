import { describe, expect, it } from 'vitest';
import { sobelMagnitude } from './gradient.js';
import { baseLayer, betaCdfHalfHalf, combineStochastic, type StochasticSums } from './stochastic-combine.js';
import { referenceChain, referenceSums } from './stochastic-reference.js';
import { enhanceStochastic, StochasticEnhancer } from './stochastic.js';
import { resolveStochasticParams, type StochasticParams } from './stochastic-params.js';

/** A small CT-like test image: dark disc (lung) with texture, a bright ring (bone), mid outside. */
function testImage(w: number, h: number): Float32Array {
  const img = new Float32Array(w * h);
  let s = 12345;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      s = (Math.imul(s, 1103515245) + 12345) | 0;
      const noise = ((s >>> 8) & 0xffff) / 65536 - 0.5;
      const r = Math.hypot(x - w / 2, y - h / 2) / (Math.min(w, h) / 2);
      const v = r < 0.6 ? 0.25 + 0.08 * Math.sin(x / 2.5) * Math.cos(y / 3) : r < 0.75 ? 0.9 : 0.55;
      img[y * w + x] = Math.min(1, Math.max(0, v + 0.05 * noise));
    }
  }
  return img;
}

function sums(n: number): StochasticSums {
  return { sumWI: new Float64Array(n), sumW: new Float64Array(n), sumS: new Float64Array(n) };
}

const SMALL: Partial<StochasticParams> = { chains: 6, samples: 60, seed: 11 };

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe('stochastic enhancement', () => {
  it('a chain has M samples: x0, a walk within R1 (≤ M/2 steps), the rest sprayed in [R1, R2]', () => {
    const w = 64, h = 48;
    const img = testImage(w, h);
    const p = resolveStochasticParams({ samples: 80, radiusInnerPx: 6, radiusOuterPx: 30 });
    const r = referenceChain(img, sobelMagnitude(img, w, h), w, h, 30, 20, 0, p);
    expect(r.visited.length).toBe(80);
    expect(r.visited[0]).toBe(20 * w + 30);
    const dist = r.visited.map((q) => Math.hypot((q % w) - 30, Math.floor(q / w) - 20));
    let k = 1;
    while (k <= 40 && dist[k - 1]! < 6) k++; // walk: up to the first sample at ≥ R1
    for (let j = 1; j < k; j++) {
      const a = r.visited[j - 1]!, b = r.visited[j]!;
      expect(Math.max(Math.abs((a % w) - (b % w)), Math.abs(Math.floor(a / w) - Math.floor(b / w)))).toBe(1);
    }
    for (let j = k; j < 80; j++) {
      expect(dist[j]!).toBeGreaterThanOrEqual(6 - 0.71);
      expect(dist[j]!).toBeLessThanOrEqual(30 + 0.71);
    }
    expect(r.sumW).toBeGreaterThanOrEqual(1);
    expect(r.s).toBeGreaterThanOrEqual(0);
    expect(r.s).toBeLessThanOrEqual(1);
  });

  it('fast kernel == plain reference for the same seed, whatever the rounds', () => {
    const w = 40, h = 30;
    const img = testImage(w, h);
    const p = resolveStochasticParams(SMALL);
    const ref = sums(w * h);
    referenceSums(img, sobelMagnitude(img, w, h), w, h, 0, p.chains, p, ref);
    const e = new StochasticEnhancer(img, w, h, p, { threads: 0 });
    e.runChainsSync(2);
    e.runChainsSync(1);
    e.runChainsSync(10); // capped at 6
    expect(e.chainsDone).toBe(6);
    expect(maxDiff(e.rawSums.sumS, ref.sumS)).toBeLessThan(1e-12); // same samples: only the summation order differs
    // the weights differ through the interpolated Float32 exp table only (≈ 1e-6 per weight)
    expect(maxDiff(e.rawSums.sumW, ref.sumW) / p.chains).toBeLessThan(1e-4);
    expect(maxDiff(e.rawSums.sumWI, ref.sumWI) / p.chains).toBeLessThan(1e-4);
    expect(maxDiff(e.base(), baseLayer(img, ref))).toBeLessThan(1e-5);
    const refOut = combineStochastic(img, ref, p.chains, p);
    expect(maxDiff(e.estimate(), refOut)).toBeLessThan(1e-5);
  });

  it('fast kernel == reference also for other shapes and radii (the spray pre-test rejects only what is outside)', () => {
    for (const [w, h, extra] of [[57, 9, { radiusInnerPx: 3, radiusOuterPx: 25 }], [1, 23, { radiusInnerPx: 2, radiusOuterPx: 40 }], [33, 33, { radiusInnerPx: 4.5, radiusOuterPx: 30.25 }]] as const) {
      const img = testImage(w, h);
      const p = resolveStochasticParams({ ...SMALL, chains: 3, ...extra });
      const ref = sums(w * h);
      referenceSums(img, sobelMagnitude(img, w, h), w, h, 0, p.chains, p, ref);
      const e = new StochasticEnhancer(img, w, h, p, { threads: 0 });
      e.runChainsSync(3);
      expect(maxDiff(e.rawSums.sumS, ref.sumS)).toBeLessThan(1e-12);
      expect(maxDiff(e.rawSums.sumW, ref.sumW) / p.chains).toBeLessThan(1e-4);
    }
  });

  it('is deterministic for a seed, identical on worker threads and on the calling thread', async () => {
    const w = 48, h = 40;
    const img = testImage(w, h);
    const a = await enhanceStochastic(img, w, h, SMALL, { threads: 2 });
    const b = await enhanceStochastic(img, w, h, SMALL, { threads: 0, schedule: [6] });
    expect(Array.from(a)).toEqual(Array.from(b));
    const c = await enhanceStochastic(img, w, h, { ...SMALL, seed: 12 }, { threads: 0 });
    expect(maxDiff(a, c)).toBeGreaterThan(0);
  });

  it('constant image → constant output, NaN-free; output always within [0, 1]', async () => {
    for (const v of [0, 0.4, 1]) {
      const out = await enhanceStochastic(new Float32Array(30 * 20).fill(v), 30, 20, SMALL, { threads: 0 });
      // B = v, s = 0.5 → V = 0.5: output v + K·γ2·(0.5 − v), clipped
      const expected = Math.min(1, Math.max(0, v + 2.5 * 0.3 * (0.5 - v)));
      for (const o of out) expect(o).toBeCloseTo(expected, 6);
    }
    const img = testImage(32, 32);
    img[5] = Number.NaN;
    const out = await enhanceStochastic(img, 32, 32, { ...SMALL, gain: 8 }, { threads: 0 });
    for (const o of out) {
      expect(Number.isNaN(o)).toBe(false);
      expect(o).toBeGreaterThanOrEqual(0);
      expect(o).toBeLessThanOrEqual(1);
    }
    const one = await enhanceStochastic(Float32Array.of(0.3), 1, 1, SMALL, { threads: 0 });
    expect(Number.isNaN(one[0]!)).toBe(false);
  });

  it('previews converge toward the final result', async () => {
    const w = 40, h = 40;
    const img = testImage(w, h);
    const errors: number[] = [];
    const previews: [number, Float32Array][] = [];
    const final = await enhanceStochastic(img, w, h, { chains: 16, samples: 60, seed: 5 }, {
      threads: 0,
      schedule: [1, 1, 2, 4, 8],
      onProgress: (k, est) => previews.push([k, est]),
    });
    expect(previews.map(([k]) => k)).toEqual([1, 2, 4, 8, 16]);
    for (const [, est] of previews) {
      let se = 0;
      for (let i = 0; i < est.length; i++) se += (est[i]! - final[i]!) ** 2;
      errors.push(Math.sqrt(se / est.length));
    }
    for (let i = 1; i < errors.length; i++) expect(errors[i]!).toBeLessThan(errors[i - 1]!);
    expect(errors.at(-1)).toBe(0);
  });

  it('honours its parameters: K = 0 gives B; γ1 = 1, γ2 = 0, K = 1 gives I; bad values are refused', () => {
    const w = 24, h = 20;
    const img = testImage(w, h);
    const e = new StochasticEnhancer(img, w, h, { ...SMALL, gain: 0 }, { threads: 0 });
    e.runChainsSync(6);
    expect(maxDiff(e.estimate(), e.base())).toBeLessThan(1e-7);
    const id = new StochasticEnhancer(img, w, h, { ...SMALL, gain: 1, gamma1: 1, gamma2: 0 }, { threads: 0 });
    id.runChainsSync(6);
    expect(maxDiff(id.estimate(), img)).toBeLessThan(1e-6);
    // σ_I, σ_g → tiny: only x0 keeps a weight, so B = I
    const sharp = new StochasticEnhancer(img, w, h, { ...SMALL, sigmaIntensity: 1e-6, sigmaGradient: 1e-6 }, { threads: 0 });
    sharp.runChainsSync(6);
    expect(maxDiff(sharp.base(), img)).toBeLessThan(1e-6);
    expect(() => new StochasticEnhancer(img, w, h, { chains: 0 })).toThrow(/chains/);
    expect(() => new StochasticEnhancer(img, w, h, { radiusOuterPx: 5 })).toThrow(/radiusOuterPx/);
    expect(() => new StochasticEnhancer(img, w + 1, h)).toThrow(/values for/);
  });

  it('the subsampled preview is chain 0 of every step-th pixel, interpolated in between', async () => {
    const w = 37, h = 29, step = 4;
    const img = testImage(w, h);
    const p = resolveStochasticParams(SMALL);
    const grad = sobelMagnitude(img, w, h);
    for (const threads of [0, 2]) {
      const e = new StochasticEnhancer(img, w, h, p, { threads });
      expect(e.previewEstimate()).toBeUndefined();
      await e.runPreview(step);
      const prev = e.previewEstimate()!;
      const full = new StochasticEnhancer(img, w, h, p, { threads: 0 });
      full.runChainsSync(1);
      const one = full.estimate();
      for (let y = 0; y < h; y += step) {
        for (let x = 0; x < w; x += step) {
          const r = referenceChain(img, grad, w, h, x, y, 0, p);
          const s1 = sums(1);
          s1.sumWI[0] = r.sumWI; s1.sumW[0] = r.sumW; s1.sumS[0] = r.s;
          expect(prev[y * w + x]!).toBeCloseTo(combineStochastic(Float32Array.of(img[y * w + x]!), s1, 1, p)[0]!, 5);
          expect(prev[y * w + x]!).toBeCloseTo(one[y * w + x]!, 5);
        }
      }
      // in between: within the range of the four surrounding grid values
      const v = (x: number, y: number): number => prev[y * w + x]!;
      const mid = v(6, 6);
      expect(mid).toBeGreaterThanOrEqual(Math.min(v(4, 4), v(8, 4), v(4, 8), v(8, 8)) - 1e-6);
      expect(mid).toBeLessThanOrEqual(Math.max(v(4, 4), v(8, 4), v(4, 8), v(8, 8)) + 1e-6);
      expect(e.chainsDone).toBe(0);
      await e.close();
    }
    const seen: number[] = [];
    await enhanceStochastic(img, w, h, SMALL, { threads: 0, onPreview: (est) => seen.push(est.length) });
    expect(seen).toEqual([w * h]);
  });

  it('BetaCDF(½, ½) is the arcsine law', () => {
    expect(betaCdfHalfHalf(0)).toBe(0);
    expect(betaCdfHalfHalf(0.5)).toBeCloseTo(0.5, 12);
    expect(betaCdfHalfHalf(1)).toBe(1);
    expect(betaCdfHalfHalf(0.25)).toBeCloseTo(1 / 3, 12);
  });
});
