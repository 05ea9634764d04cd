import { describe, expect, it } from 'vitest';
import { seededRandom } from './seeded-random.js';

describe('seededRandom', () => {
  it('stays in [0, 1) and looks uniform', () => {
    const r = seededRandom(42);
    let sum = 0;
    for (let i = 0; i < 10000; i++) {
      const x = r();
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(1);
      sum += x;
    }
    expect(sum / 10000).toBeCloseTo(0.5, 1);
  });

  it('gives the same sequence for the same seed, another for another', () => {
    const a = seededRandom('s'), b = seededRandom('s'), c = seededRandom('t');
    const take = (r: () => number) => Array.from({ length: 5 }, r);
    expect(take(a)).toEqual(take(b));
    expect(take(seededRandom('s'))).not.toEqual(take(c));
  });
});
