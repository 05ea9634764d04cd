import { describe, expect, it } from 'vitest';
import { DEFAULT_TONE_MAP, toneCurve, toneMap, toneMapDirect, toneMapValue, windowHu } from './tone-map.js';

function ramp(n: number): Float32Array {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = i / (n - 1);
  return x;
}

describe('tone mapping (paper Eq. 5)', () => {
  it('maps 0 → 0 and 1 → 1 and clamps outside [0, 1]', () => {
    for (const p of [DEFAULT_TONE_MAP, { gamma: 2.2, centre: 0.5, gain: 4 }, { gamma: 1, centre: 0.2, gain: 20 }]) {
      expect(toneMapValue(0, p)).toBeCloseTo(0, 12);
      expect(toneMapValue(1, p)).toBeCloseTo(1, 12);
      const out = toneMap(Float32Array.of(-0.5, 0, 1, 1.5, Number.NaN), p);
      expect(Array.from(out)).toEqual([0, 0, 1, 1, 0]);
    }
  });

  it('is increasing, lifts the dark lung range and compresses the bright end', () => {
    const y = toneMap(ramp(10001));
    for (let i = 1; i < y.length; i++) expect(y[i]!).toBeGreaterThanOrEqual(y[i - 1]!);
    const f = toneCurve();
    // the lung window's lung parenchyma (≈ −850 HU → 0.33) is lifted; bone (1) stays at 1
    expect(f(0.33)).toBeGreaterThan(0.33 + 0.1);
    expect(f(0.9) - f(0.8)).toBeLessThan(0.1 * 0.5);
  });

  it('the lookup table is within 1e-4 of the direct math', () => {
    const x = new Float32Array(100_003);
    for (let i = 0; i < x.length; i++) x[i] = ((i * 7919) % 100_003) / 100_002;
    for (const p of [DEFAULT_TONE_MAP, { gamma: 3, centre: 0.6, gain: 25 }, { gamma: 0.5, centre: 0.35, gain: 10 }]) {
      const a = toneMap(x, p);
      const b = toneMapDirect(x, p);
      let worst = 0;
      for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
      expect(worst).toBeLessThan(1e-4);
    }
  });

  it('rejects bad parameters with the parameter named', () => {
    expect(() => toneMap(new Float32Array(1), { gamma: 0 })).toThrow(/gamma/);
    expect(() => toneMap(new Float32Array(1), { gain: -1 })).toThrow(/gain/);
  });
});

describe('windowHu', () => {
  it('maps the lung window [−1350, 150] HU onto [0, 1], clamped', () => {
    const out = windowHu(Int16Array.of(-2000, -1350, -600, 150, 3000));
    expect(Array.from(out)).toEqual([0, 0, 0.5, 1, 1]);
    expect(Array.from(windowHu(Int16Array.of(-160, 40, 240), 40, 400))).toEqual([0, 0.5, 1]);
  });
});
