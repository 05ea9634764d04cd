import { describe, expect, it } from 'vitest';
import { binaryMetrics, confusion, rocAuc } from './metrics.js';

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
