/**
 * Edge cases of the enhancements through their public API only (tone mapping; the stochastic
 * enhancement via `enhanceStochastic` / `StochasticEnhancer`): one-pixel and one-row images,
 * constant images, NaN and infinities in the input, extreme parameters. What a user would
 * notice is a NaN (a black or white hole, a broken PNG) or a value outside [0, 1].
 */
import { describe, expect, it } from 'vitest';
import { enhanceStochastic, StochasticEnhancer } from './stochastic.js';
import { toneCurve, toneMap, windowHu } from './tone-map.js';

function expectUnitRange(values: Float32Array, what: string): void {
  for (let i = 0; i < values.length; i++) {
    expect(Number.isFinite(values[i]!), `${what}: value ${i} is ${values[i]}`).toBe(true);
    expect(values[i]!, `${what}: value ${i}`).toBeGreaterThanOrEqual(0);
    expect(values[i]!, `${what}: value ${i}`).toBeLessThanOrEqual(1);
  }
}

const constant = (n: number, v: number) => new Float32Array(n).fill(v);

describe('tone mapping at the edges', () => {
  it('maps constant images, NaN and infinities to finite values in [0, 1]', () => {
    for (const v of [0, 1e-30, 0.35, 0.5, 1, -3, 7, Number.NaN, Infinity, -Infinity]) {
      const out = toneMap(constant(17, v));
      expectUnitRange(out, `constant ${v}`);
      expect(new Set(out).size, `constant ${v} stays constant`).toBe(1);
    }
    expect(toneMap(new Float32Array(0))).toHaveLength(0);
  });

  it('stays finite for extreme but valid parameters (tiny or huge gain, centre far outside [0, 1])', () => {
    const ramp = Float32Array.from({ length: 101 }, (_, i) => i / 100);
    for (const p of [{ gain: 1e-20 }, { gain: 1e-6 }, { gain: 1e4 }, { centre: 40, gain: 50 }, { centre: -40, gain: 50 }, { gamma: 1e-3 }, { gamma: 1e3 }]) {
      const out = toneMap(ramp, p);
      expectUnitRange(out, JSON.stringify(p));
      expect(out[0]).toBeCloseTo(0, 6);
      expect(out[100]).toBeCloseTo(1, 6);
      for (let i = 1; i < out.length; i++) expect(out[i]!).toBeGreaterThanOrEqual(out[i - 1]! - 1e-6);
    }
    // The same curve as Eq. 5 written directly, where that form is well conditioned.
    for (const p of [{}, { gamma: 2.2, centre: 0.5, gain: 4 }, { gamma: 1, centre: 0.2, gain: 20 }]) {
      const { gamma, centre, gain } = { gamma: 1.5, centre: 0.35, gain: 10, ...p };
      const sig = (y: number) => 1 / (1 + Math.exp(-gain * (y - centre)));
      const f = toneCurve(p);
      for (const x of [0.01, 0.2, 0.33, 0.5, 0.8, 0.99]) expect(f(x)).toBeCloseTo((sig(x ** (1 / gamma)) - sig(0)) / (sig(1) - sig(0)), 9);
    }
    // A flat sigmoid (gain → 0) leaves the inverse gamma alone.
    expect(toneCurve({ gain: 1e-20, gamma: 1 })(0.3)).toBeCloseTo(0.3, 6);
  });

  it('windowHu rejects a window that is not a finite range, and maps NaN to the low end', () => {
    expect(() => windowHu(Int16Array.of(0), 0, 0)).toThrow(/width/);
    expect(() => windowHu(Int16Array.of(0), 0, Infinity)).toThrow(/width/);
    expect(() => windowHu(Int16Array.of(0), Number.NaN, 100)).toThrow(/centre/);
    expect(Array.from(windowHu(Float32Array.of(Number.NaN, -Infinity, Infinity)))).toEqual([0, 0, 1]);
  });
});

describe('stochastic enhancement at the edges (public API, small images)', () => {
  const quick = { chains: 3, samples: 24, radiusOuterPx: 12 };

  it('enhances 1×1, 1×n and n×1 images to finite values in [0, 1]', async () => {
    for (const [w, h] of [[1, 1], [1, 9], [9, 1], [2, 2]] as const) {
      const image = Float32Array.from({ length: w * h }, (_, i) => (i % 3) / 2);
      const out = await enhanceStochastic(image, w, h, quick, { threads: 0 });
      expect(out).toHaveLength(w * h);
      expectUnitRange(out, `${w}×${h}`);
    }
  });

  it('keeps a constant image constant and finite, at 0, in between and at 1', async () => {
    for (const v of [0, 0.3, 1]) {
      const out = await enhanceStochastic(constant(12 * 10, v), 12, 10, quick, { threads: 0 });
      expectUnitRange(out, `constant ${v}`);
      expect(Math.max(...out) - Math.min(...out), `constant ${v}`).toBeLessThan(1e-6);
    }
  });

  it('treats NaN and values outside [0, 1] in the input without spreading NaN', async () => {
    const image = Float32Array.from({ length: 64 }, (_, i) => (i % 7 === 0 ? Number.NaN : i % 5 === 0 ? 1.7 : i % 11 === 0 ? -0.4 : i / 64));
    expectUnitRange(await enhanceStochastic(image, 8, 8, quick, { threads: 0 }), 'NaN input');
  });

  it('gives the same result on worker threads and on the calling thread', async () => {
    const image = Float32Array.from({ length: 16 * 12 }, (_, i) => ((i * 37) % 101) / 100);
    const here = await enhanceStochastic(image, 16, 12, quick, { threads: 0 });
    const workers = await enhanceStochastic(image, 16, 12, quick, { threads: 1 });
    expect(Array.from(workers)).toEqual(Array.from(here));
  });

  it('rejects sizes that do not match the data and parameters out of range, with the reason', () => {
    expect(() => new StochasticEnhancer(new Float32Array(5), 2, 2, quick, { threads: 0 })).toThrow(RangeError);
    expect(() => new StochasticEnhancer(new Float32Array(0), 0, 0, quick, { threads: 0 })).toThrow(RangeError);
    expect(() => new StochasticEnhancer(new Float32Array(4), 2, 2, { chains: 0 }, { threads: 0 })).toThrow(/chains/);
    expect(() => new StochasticEnhancer(new Float32Array(4), 2, 2, { sigmaIntensity: Number.NaN }, { threads: 0 })).toThrow(/sigmaIntensity/);
  });

  it('before any chain the estimate is the input; chains beyond n are ignored', async () => {
    const image = Float32Array.from({ length: 25 }, (_, i) => i / 24);
    const e = new StochasticEnhancer(image, 5, 5, quick, { threads: 0 });
    try {
      // (the input as the kernel reads it: quantised to 1/65,535)
      const before = e.estimate();
      for (let i = 0; i < image.length; i++) expect(before[i]).toBeCloseTo(image[i]!, 4);
      e.runChainsSync(10);
      expect(e.chainsDone).toBe(3);
      expectUnitRange(e.estimate(), 'after n chains');
    } finally {
      await e.close();
    }
  });
});
