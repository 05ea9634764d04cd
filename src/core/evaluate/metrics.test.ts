import { describe, expect, it } from 'vitest';
import { binaryMetrics, clusteredAucInterval, clusteredProportionInterval, confusion, PATIENT_INTERVAL_METHOD, patientIntervals, rocAuc, rocAucInterval, volumeIntervals, wilsonInterval } from './metrics.js';

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

describe('95 % intervals with the volumes of one patient as a cluster', () => {
  const width = (ci: [number, number] | null) => ci![1] - ci![0];

  /** `copies` near-identical volumes (scores 0.001 apart) of each patient: 4 with COVID-19 and 4 without. */
  function patients(copies: number) {
    const bases: Array<[number, boolean]> = [[0.9, T], [0.7, T], [0.55, T], [0.35, T], [0.6, F], [0.4, F], [0.3, F], [0.1, F]];
    const items = bases.flatMap(([base, covid], p) => Array.from({ length: copies }, (_, k) => ({ patient: `P${p}`, covid, score: base + 0.001 * k })));
    return { scores: items.map((i) => i.score), actual: items.map((i) => i.covid), patients: items.map((i) => i.patient), predicted: items.map((i) => i.score >= 0.5) };
  }

  /** Obuchowski's variance from its definition: ψ over every (positive, negative) pair, no ranks. */
  function obuchowskiByPairs(scores: number[], actual: boolean[], of: string[]): number {
    const psi = (x: number, y: number) => (x > y ? 1 : x === y ? 0.5 : 0);
    const pos = scores.flatMap((s, i) => (actual[i] ? [i] : [])), neg = scores.flatMap((s, i) => (actual[i] ? [] : [i]));
    const M = pos.length, N = neg.length;
    const theta = pos.reduce((a, i) => a + neg.reduce((b, j) => b + psi(scores[i]!, scores[j]!), 0), 0) / (M * N);
    const ids = [...new Set(of)];
    const X = ids.map((c) => pos.filter((i) => of[i] === c).reduce((a, i) => a + neg.reduce((b, j) => b + psi(scores[i]!, scores[j]!), 0) / N, 0));
    const Y = ids.map((c) => neg.filter((j) => of[j] === c).reduce((a, j) => a + pos.reduce((b, i) => b + psi(scores[i]!, scores[j]!), 0) / M, 0));
    const m = ids.map((c) => pos.filter((i) => of[i] === c).length), n = ids.map((c) => neg.filter((j) => of[j] === c).length);
    const I10 = m.filter((v) => v > 0).length, I01 = n.filter((v) => v > 0).length, I = ids.length;
    let s10 = 0, s01 = 0, s11 = 0;
    ids.forEach((_, k) => {
      s10 += (X[k]! - m[k]! * theta) ** 2;
      s01 += (Y[k]! - n[k]! * theta) ** 2;
      s11 += (X[k]! - m[k]! * theta) * (Y[k]! - n[k]! * theta);
    });
    return (I10 / ((I10 - 1) * M)) * s10 / M + (I01 / ((I01 - 1) * N)) * s01 / N + (2 * (I / (I - 1)) * s11) / (M * N);
  }

  it('is Obuchowski\'s clustered variance, with ties, on patients who have volumes of both classes', () => {
    let seed = 5;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    for (let trial = 0; trial < 10; trial++) {
      // 8 patients: untouched scans (negative) and lesion-inserted copies (positive), scores on a coarse grid (ties)
      const items = Array.from({ length: 8 }, (_, p) => Array.from({ length: 2 + Math.floor(random() * 10) }, () => {
        const covid = random() < 0.7;
        return { patient: `P${p}`, covid, score: Math.round((random() * 0.6 + (covid ? 0.3 : 0) + p * 0.02) * 20) / 20 };
      })).flat();
      const scores = items.map((i) => i.score), actual = items.map((i) => i.covid), of = items.map((i) => i.patient);
      const r = clusteredAucInterval(scores, actual, of);
      if (!r) continue;
      expect(r.auc).toBeCloseTo(rocAuc(scores, actual)!, 12);
      expect(r.variance).toBeCloseTo(obuchowskiByPairs(scores, actual, of), 12);
    }
  });

  it('is DeLong\'s and Wilson\'s interval when every patient has one volume', () => {
    let seed = 11;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const actual = Array.from({ length: 60 }, (_, i) => i % 2 === 0);
    const scores = actual.map((t) => random() + (t ? 0.4 : 0));
    const predicted = scores.map((s) => s >= 0.7);
    const clustered = patientIntervals(predicted, actual, scores, actual.map((_, i) => `P${i}`));
    const independent = volumeIntervals(binaryMetrics(predicted, actual, scores), scores, actual);
    expect(clustered.auc![0]).toBeCloseTo(independent.auc![0], 12);
    expect(clustered.auc![1]).toBeCloseTo(independent.auc![1], 12);
    // the cluster-robust variance of a proportion over single trials is n/(n−1) × the binomial one
    expect(width(clustered.sen) / width(independent.sen)).toBeGreaterThan(0.95);
    expect(width(clustered.sen) / width(independent.sen)).toBeLessThan(1.05);
    expect(clustered.patients).toBe(60);
    expect(clustered.method).toBe(PATIENT_INTERVAL_METHOD(60));
  });

  it('with 8 patients of 12 near-identical volumes, is as wide as for the 8 patients themselves, not the 96 volumes DeLong counts', () => {
    const d = patients(12);
    const clustered = patientIntervals(d.predicted, d.actual, d.scores, d.patients);
    const delong = rocAucInterval(d.scores, d.actual)!;
    expect(delong.auc).toBeCloseTo(13 / 16, 12); // the 4 × 4 patients' ranking, copied
    expect(width(clustered.auc)).toBeGreaterThan(2.5 * width(delong.ci95));
    const once = patients(1);
    expect(width(clustered.auc) / width(rocAucInterval(once.scores, once.actual)!.ci95)).toBeGreaterThan(0.8);
    const m = binaryMetrics(d.predicted, d.actual, d.scores);
    expect(width(clustered.sen)).toBeGreaterThan(2 * width(wilsonInterval(m.tp, m.tp + m.fn)));
    expect(clustered.auc![0]).toBeLessThan(m.auc!);
  });

  it('says nothing where fewer than three patients have volumes of a class (two can cancel to a variance of 0)', () => {
    // two patients, each with two covid and two non-covid volumes: Obuchowski's variance is exactly 0 here
    const scores = [0.9, 0.3, 0.8, 0.4, 0.6, 0.2, 0.35, 0.1], actual = scores.map((_, i) => i % 2 === 0), of = scores.map((_, i) => `P${i >> 2}`);
    expect(clusteredAucInterval(scores, actual, of)).toBeNull();
    expect(clusteredAucInterval([...scores, 0.7, 0.5], [...actual, T, F], [...of, 'P2', 'P2'])).not.toBeNull();
    expect(clusteredProportionInterval([true, true, false], ['A', 'A', 'B'])).toBeNull();
  });
});
