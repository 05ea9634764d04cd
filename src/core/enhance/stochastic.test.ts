import { describe, expect, it } from 'vitest';
import { sobelMagnitude } from './gradient.js';
import { betaCdfHalfHalf, combineStochastic, type StochasticSums } from './stochastic-combine.js';
import { KernelMemory } from './stochastic-kernel.js';
import { ANGLES, sprayAngles } from './stochastic-angles.js';
import { MAGIC, quantiseImage, referenceChain, referenceSums, weight32 } from './stochastic-reference.js';
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
  return quantiseImage(img).values;
}

/** Like testImage, with clipped regions at 0 and 1 (a windowed CT slice has both): chains reach the image's minimum and maximum, so the kernel's early stop is used. */
function clippedImage(w: number, h: number): Float32Array {
  const img = testImage(w, h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const r = Math.hypot(x - w / 2, y - h / 2) / (Math.min(w, h) / 2);
      if (r > 0.9) img[y * w + x] = 0;
      else if (r > 0.7 && r < 0.75) img[y * w + x] = 1;
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

  it('sprays with the distribution of plain rejection: r uniform on [R1, R2], any angle, landing in the image', () => {
    const w = 40, h = 30, x0 = 3, y0 = 4; // near a corner: three quadrants are short, one is long
    const p = resolveStochasticParams({ samples: 40001, radiusInnerPx: 2, radiusOuterPx: 60, seed: 3 });
    const img = testImage(w, h);
    const { visited } = referenceChain(img, sobelMagnitude(img, w, h), w, h, x0, y0, 0, p);
    const dist = (q: number): number => Math.hypot((q % w) - x0, Math.floor(q / w) - y0);
    const first = visited.findIndex((q, i) => i > 0 && dist(q) >= p.radiusInnerPx); // the walk's last sample
    const bins = (q: number): number => {
      const sector = Math.floor(((Math.atan2(Math.floor(q / w) - y0, (q % w) - x0) / (2 * Math.PI) + 1) % 1) * 8);
      return sector * 3 + (dist(q) < 8 ? 0 : dist(q) < 20 ? 1 : 2);
    };
    const observed = new Array<number>(24).fill(0);
    for (const q of visited.slice(first + 1)) observed[bins(q)]!++;
    // plain rejection, enumerated: r on a fine grid of [R1, farthest corner + 1], the 2^14 directions
    const expected = new Array<number>(24).fill(0);
    const angles = sprayAngles();
    const rMax = Math.hypot(w - 1 - x0, h - 1 - y0) + 1;
    for (let i = 0; i < 300; i++) {
      const r = Math.fround(p.radiusInnerPx + ((i + 0.5) / 300) * (rMax - p.radiusInnerPx));
      for (let k = 0; k < ANGLES; k++) {
        const ux = Math.fround(Math.fround(r * angles[2 * k]!) + (x0 + MAGIC)) - MAGIC;
        const uy = Math.fround(Math.fround(r * angles[2 * k + 1]!) + (y0 + MAGIC)) - MAGIC;
        if (ux >= 0 && uy >= 0 && ux < w && uy < h) expected[bins(uy * w + ux)]!++;
      }
    }
    const n = observed.reduce((a, b) => a + b, 0);
    const total = expected.reduce((a, b) => a + b, 0);
    let chi2 = 0;
    for (let b = 0; b < 24; b++) {
      const e = (expected[b]! / total) * n;
      if (e > 0) chi2 += (observed[b]! - e) ** 2 / e;
      else expect(observed[b]).toBe(0);
    }
    expect(n).toBeGreaterThan(39000);
    expect(chi2).toBeLessThan(70); // ≤ 23 degrees of freedom: p ≈ 1e-6
  });

  /** Kernel sums (chains run in the given rounds) and reference sums for an image and parameters. */
  function kernelAndReference(img: Float32Array, w: number, h: number, p: StochasticParams, rounds: number[]): { kernel: StochasticEnhancer; ref: StochasticSums } {
    const ref = sums(w * h);
    referenceSums(img, sobelMagnitude(img, w, h), w, h, 0, p.chains, p, ref);
    const kernel = new StochasticEnhancer(img, w, h, p, { threads: 0 });
    for (const k of rounds) kernel.runChainsSync(k);
    return { kernel, ref };
  }

  it('WebAssembly kernel == plain reference, bit for bit, whatever the rounds', () => {
    const w = 40, h = 30;
    const p = resolveStochasticParams(SMALL);
    const { kernel, ref } = kernelAndReference(testImage(w, h), w, h, p, [2, 1, 10]); // the last round is capped at 6
    expect(kernel.chainsDone).toBe(6);
    expect(Array.from(kernel.rawSums.sumS)).toEqual(Array.from(ref.sumS));
    expect(Array.from(kernel.rawSums.sumW)).toEqual(Array.from(ref.sumW));
    expect(Array.from(kernel.rawSums.sumWI)).toEqual(Array.from(ref.sumWI));
    expect(Array.from(kernel.estimate())).toEqual(Array.from(combineStochastic(testImage(w, h), ref, p.chains, p)));
  });

  it('kernel == reference on other shapes and radii, on borders, degenerate images and with the early stop', () => {
    const cases: [number, number, Partial<StochasticParams>, boolean][] = [
      [57, 9, { radiusInnerPx: 3, radiusOuterPx: 25 }, false],
      [1, 23, { radiusInnerPx: 2, radiusOuterPx: 40 }, false], // a 1-px-wide image: walks redraw, most sprays miss
      [33, 33, { radiusInnerPx: 4.5, radiusOuterPx: 30.25 }, true],
      [64, 3, {}, true],
      [1, 1, { radiusInnerPx: 0.6 }, false], // no neighbour: every walk step stays put after 64 redraws
      [48, 40, { samples: 120, sigmaIntensity: 10, sigmaGradient: 10, minWeight: 0 }, true],
    ];
    for (const [w, h, extra, clipped] of cases) {
      const img = clipped ? clippedImage(w, h) : testImage(w, h);
      const p = resolveStochasticParams({ ...SMALL, chains: 3, ...extra });
      const { kernel, ref } = kernelAndReference(img, w, h, p, [1, 2]);
      const label = `${w}×${h} ${JSON.stringify(extra)}`;
      expect(Array.from(kernel.rawSums.sumS), label).toEqual(Array.from(ref.sumS));
      expect(Array.from(kernel.rawSums.sumW), label).toEqual(Array.from(ref.sumW));
      expect(Array.from(kernel.rawSums.sumWI), label).toEqual(Array.from(ref.sumWI));
      // with clipped regions most chains stop early: fewer samples read than M per chain
      if (clipped) expect(kernel.samplesRead, label).toBeLessThan(0.9 * w * h * p.chains * p.samples);
    }
  });

  it('kernel == reference when a round has more chains than the kernel batches at once (32)', () => {
    const w = 9, h = 7;
    const p = resolveStochasticParams({ chains: 41, samples: 30, radiusInnerPx: 2, radiusOuterPx: 12, seed: 5 });
    const { kernel, ref } = kernelAndReference(clippedImage(w, h), w, h, p, [1, 40]);
    expect(Array.from(kernel.rawSums.sumS)).toEqual(Array.from(ref.sumS));
    expect(Array.from(kernel.rawSums.sumWI)).toEqual(Array.from(ref.sumWI));
  });

  it('weights: exp(−a) within 1e-7·(2 + a) relative (float32 rounding of a/ln 2); the image is quantised to 16 bits', () => {
    for (let a = 0; a < 80; a += 0.0137) {
      const af = Math.fround(a);
      expect(Math.abs(weight32(af) / Math.exp(-af) - 1)).toBeLessThan(1e-7 * (2 + af));
    }
    expect(weight32(0)).toBe(1);
    const { values, codes } = quantiseImage([Number.NaN, -1, 0, 0.25, 1, 7, 0.5 / 65535]);
    expect(Array.from(codes)).toEqual([0, 0, 0, 16384, 65535, 65535, 1]);
    expect(Array.from(values)).toEqual(Array.from(codes, (c) => Math.fround(c / 65535)));
  });

  it('the kernel prepares the image exactly as quantiseImage and sobelMagnitude state it', () => {
    const w = 23, h = 17;
    const raw = new Float32Array(w * h);
    for (let i = 0; i < raw.length; i++) raw[i] = Math.sin(i * 0.7) * 0.7 + 0.45; // some below 0 and above 1
    raw[3] = Number.NaN;
    raw[5] = 0.5 / 65535; // a rounding tie
    raw[8] = Infinity;
    const kernel = new KernelMemory(raw, w, h, 1);
    const { values, codes } = quantiseImage(raw);
    expect(Array.from(kernel.codes())).toEqual(Array.from(codes));
    expect(Array.from(kernel.image)).toEqual(Array.from(values));
    expect(Array.from(kernel.gradient())).toEqual(Array.from(sobelMagnitude(values, w, h)));
  });

  it('is deterministic for a seed, identical on worker threads and on the calling thread, whatever the schedule', async () => {
    const w = 48, h = 40;
    const img = clippedImage(w, h);
    const a = await enhanceStochastic(img, w, h, SMALL, { threads: 2 });
    const b = await enhanceStochastic(img, w, h, SMALL, { threads: 0, schedule: [6] });
    const c3 = await enhanceStochastic(img, w, h, SMALL, { threads: 3, schedule: [4, 1] });
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(c3)).toEqual(Array.from(b));
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

  it('enhancers share the worker pool, also at the same time, and a closed enhancer refuses to run', async () => {
    const w = 40, h = 36;
    const p = { ...SMALL, chains: 4 };
    const alone = await enhanceStochastic(testImage(w, h), w, h, p, { threads: 0 });
    const alone2 = await enhanceStochastic(clippedImage(w, h), w, h, p, { threads: 0 });
    const [x, y] = await Promise.all([enhanceStochastic(testImage(w, h), w, h, p, { threads: 2 }), enhanceStochastic(clippedImage(w, h), w, h, p, { threads: 2 })]);
    expect(Array.from(x)).toEqual(Array.from(alone));
    expect(Array.from(y)).toEqual(Array.from(alone2));
    const e = new StochasticEnhancer(testImage(w, h), w, h, p, { threads: 1 });
    await e.close();
    await expect(e.runChains(1)).rejects.toThrow(/closed/);
  });

  it('spray directions: cos and sin of 2πk/16384 to float32 rounding, exactly symmetric', () => {
    const t = sprayAngles();
    let worst = 0;
    let asymmetric = 0;
    for (let k = 0; k < ANGLES; k++) {
      const th = (2 * Math.PI * k) / ANGLES;
      worst = Math.max(worst, Math.abs(t[2 * k]! - Math.cos(th)), Math.abs(t[2 * k + 1]! - Math.sin(th)));
      const opposite = (k + ANGLES / 2) % ANGLES; // θ + π
      if (t[2 * opposite] !== -t[2 * k]! || t[2 * opposite + 1] !== -t[2 * k + 1]!) asymmetric++;
    }
    expect(worst).toBeLessThan(6e-8);
    expect(asymmetric).toBe(0);
  });

  it('BetaCDF(½, ½) is the arcsine law', () => {
    expect(betaCdfHalfHalf(0)).toBe(0);
    expect(betaCdfHalfHalf(0.5)).toBeCloseTo(0.5, 12);
    expect(betaCdfHalfHalf(1)).toBe(1);
    expect(betaCdfHalfHalf(0.25)).toBeCloseTo(1 / 3, 12);
  });
});
