import { describe, expect, it } from 'vitest';
import { binaryMetrics, confusion, rocAuc, rocAucInterval, volumeIntervals, wilsonInterval } from './metrics.js';

const T = true;
const F = false;

/** AUC by definition: every positive–negative pair, ties one half. */
function pairwiseAuc(scores: number[], actual: boolean[]): number {
  let wins = 0;
  let pairs = 0;
  scores.forEach((p, i) => {
    if (!actual[i]) return;
    scores.forEach((n, j) => {
      if (actual[j]) return;
      pairs++;
      wins += p > n ? 1 : p === n ? 0.5 : 0;
    });
  });
  return wins / pairs;
}

describe('metrics', () => {
  it('counts and ratios match a hand-worked example', () => {
    // positives scored 0.9, 0.6, 0.4; negatives 0.6, 0.3, 0.2, 0.1.
    const actual = [T, T, T, F, F, F, F];
    const predicted = [T, T, F, T, F, F, F];
    const scores = [0.9, 0.6, 0.4, 0.6, 0.3, 0.2, 0.1];
    const m = binaryMetrics(predicted, actual, scores);
    expect(m).toMatchObject({ count: 7, tp: 2, fn: 1, fp: 1, tn: 3 });
    expect(m.acc).toBeCloseTo(5 / 7, 12);
    expect(m.pre).toBeCloseTo(2 / 3, 12);
    expect(m.sen).toBeCloseTo(2 / 3, 12);
    expect(m.spe).toBeCloseTo(3 / 4, 12);
    expect(m.f1).toBeCloseTo(2 / 3, 12);
    // 0.9 beats 4 negatives; 0.6 beats 3 and ties 1 (½); 0.4 beats 3: 10.5 of 12 pairs.
    expect(m.auc).toBeCloseTo(10.5 / 12, 12);
  });

  it.each([
    ['perfect ranking', [0.9, 0.8, 0.2, 0.1], [T, T, F, F], 1],
    ['reversed ranking', [0.1, 0.2, 0.8, 0.9], [T, T, F, F], 0],
    ['all tied', [0.5, 0.5, 0.5, 0.5], [T, F, T, F], 0.5],
    ['one tie across classes', [0.7, 0.5, 0.5, 0.1], [T, T, F, F], 0.875],
  ] as const)('AUC: %s', (_name, scores, actual, expected) => {
    expect(rocAuc(scores, actual)).toBeCloseTo(expected, 12);
  });

  it('AUC with ties equals the pairwise Mann–Whitney count on larger data', () => {
    let seed = 12345;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const scores = Array.from({ length: 300 }, () => Math.round(random() * 20) / 20); // many ties
    const actual = scores.map((s) => random() < 0.3 + 0.4 * s);
    expect(rocAuc(scores, actual)).toBeCloseTo(pairwiseAuc(scores, actual), 12);
  });

  it('is null where a denominator is 0, and F1 is 0 when positives were all missed', () => {
    // Nothing predicted positive, positives present: PRE undefined, F1 = 0, SEN = 0.
    expect(binaryMetrics([F, F, F], [T, F, F], [0.2, 0.1, 0.3])).toMatchObject({ pre: null, f1: 0, sen: 0, spe: 1, acc: 2 / 3 });
    // One class only: no positives → SEN, F1 (nothing predicted either) and AUC undefined.
    expect(binaryMetrics([F, F], [F, F], [0.2, 0.1])).toMatchObject({ pre: null, sen: null, f1: null, spe: 1, auc: null, acc: 1 });
    expect(binaryMetrics([T, T], [T, T], [0.9, 0.8])).toMatchObject({ spe: null, auc: null, pre: 1, sen: 1, f1: 1 });
    expect(binaryMetrics([], [], [])).toEqual({ count: 0, tp: 0, fp: 0, tn: 0, fn: 0, acc: null, pre: null, f1: null, sen: null, spe: null, auc: null });
  });

  it('refuses arrays of different lengths and scores that are not numbers', () => {
    expect(() => confusion([T], [T, F])).toThrow(RangeError);
    expect(() => rocAuc([0.1, Number.NaN], [T, F])).toThrow(/not a finite number/);
  });
});

describe('95 % intervals', () => {
  // Six positives and seven negatives with ties (0.8 in both classes). Reference: DeLong's
  // structural components computed pair by pair (numpy, ddof 1): AUC 17/21, variance 1/63.
  const pos = [0.9, 0.8, 0.8, 0.55, 0.3, 0.7];
  const neg = [0.1, 0.4, 0.8, 0.2, 0.35, 0.05, 0.6];
  const scores = [...pos, ...neg];
  const actual = [...pos.map(() => T), ...neg.map(() => F)];

  it('AUC: DeLong\'s variance from midranks equals the pairwise computation, and the interval is clipped at 1', () => {
    const r = rocAucInterval(scores, actual)!;
    expect(r.auc).toBeCloseTo(17 / 21, 12);
    expect(r.variance).toBeCloseTo(1 / 63, 12);
    expect(r.ci95[0]).toBeCloseTo(0.5625915580125607, 10);
    expect(r.ci95[1]).toBe(1);
  });

  it('AUC: the order of the items does not matter, perfect separation has no width, one class has no interval', () => {
    const shuffled = [5, 12, 0, 7, 3, 9, 1, 11, 2, 8, 4, 10, 6];
    expect(rocAucInterval(shuffled.map((i) => scores[i]!), shuffled.map((i) => actual[i]!))!.variance).toBeCloseTo(1 / 63, 12);
    expect(rocAucInterval([0.9, 0.8, 0.2, 0.1], [T, T, F, F])!.ci95).toEqual([1, 1]);
    expect(rocAucInterval([0.9, 0.8], [T, T])).toBeNull();
    expect(rocAucInterval([0.9, 0.8, 0.1], [T, T, F])).toBeNull(); // one negative: no variance to estimate
  });

  it('AUC: DeLong\'s variance equals the pairwise definition on random scores with ties', () => {
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    for (let trial = 0; trial < 20; trial++) {
      const n = 5 + Math.floor(random() * 40);
      const truth = Array.from({ length: n }, (_, i) => i < 2 || (i >= 4 && random() < 0.5));
      const s = truth.map((t) => Math.round((random() + (t ? 0.3 : 0)) * 10) / 10); // one decimal: many ties
      const P = s.filter((_, i) => truth[i]), N = s.filter((_, i) => !truth[i]);
      const psi = (x: number, y: number) => (x > y ? 1 : x === y ? 0.5 : 0);
      const v10 = P.map((x) => N.reduce((a, y) => a + psi(x, y), 0) / N.length);
      const v01 = N.map((y) => P.reduce((a, x) => a + psi(x, y), 0) / P.length);
      const variance = (v: number[]) => { const m = v.reduce((a, b) => a + b, 0) / v.length; return v.reduce((a, b) => a + (b - m) ** 2, 0) / (v.length - 1); };
      const r = rocAucInterval(s, truth)!;
      expect(r.auc).toBeCloseTo(pairwiseAuc(s, truth), 12);
      expect(r.variance).toBeCloseTo(variance(v10) / P.length + variance(v01) / N.length, 12);
    }
  });

  it('AUC: more items of the same kind give a narrower interval', () => {
    const width = (k: number) => {
      const r = rocAucInterval(Array.from({ length: k }, () => scores).flat(), Array.from({ length: k }, () => actual).flat())!;
      return r.ci95[1] - r.ci95[0];
    };
    expect(width(4)).toBeLessThan(width(1));
    expect(width(16)).toBeLessThan(width(4));
  });

  it('SEN and SPE: Wilson score intervals (8 of 10: 0.490–0.943), never outside [0, 1]', () => {
    const [lo, hi] = wilsonInterval(8, 10)!;
    expect(lo).toBeCloseTo(0.4902, 4);
    expect(hi).toBeCloseTo(0.9433, 4);
    expect(wilsonInterval(0, 5)![0]).toBe(0);
    expect(wilsonInterval(5, 5)![1]).toBe(1);
    expect(wilsonInterval(0, 0)).toBeNull();
  });

  it('volumeIntervals: SEN and SPE from the decided counts, AUC from every score', () => {
    const predicted = scores.map((s) => s >= 0.5);
    const m = binaryMetrics(predicted, actual, scores);
    const ci = volumeIntervals(m, scores, actual);
    expect(ci.sen).toEqual(wilsonInterval(m.tp, m.tp + m.fn));
    expect(ci.spe).toEqual(wilsonInterval(m.tn, m.tn + m.fp));
    expect(ci.auc).toEqual(rocAucInterval(scores, actual)!.ci95);
    expect(ci.method).toMatch(/DeLong/);
  });
});
