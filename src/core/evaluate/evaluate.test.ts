import { describe, expect, it } from 'vitest';
import { parseLabels } from '../dataset/labels.js';
import { evaluate, parseResults, SLICE_SCORE } from './evaluate.js';
import { INTERVAL_METHOD, PATIENT_INTERVAL_METHOD, rocAucInterval, wilsonInterval } from './metrics.js';

const T = true;
const F = false;

const labels = parseLabels(JSON.stringify({
  cases: [
    { id: 'A', seriesInstanceUid: '1.1', label: 'covid', slicePositive: [F, T, T, F] },
    { id: 'B', seriesInstanceUid: '1.2', label: 'non-covid', slicePositive: [F, F, F] },
    { id: 'C', seriesInstanceUid: '', label: 'covid', path: 'c.nii.gz' },
    { id: 'D', seriesInstanceUid: '1.4', label: 'non-covid' },
    { id: 'E', seriesInstanceUid: '1.5', label: 'covid' },
    { id: 'F', seriesInstanceUid: '1.6', label: 'non-covid', slicePositive: [F, F] },
  ],
}), '/data/phantoms');

const ok = (seriesInstanceUid: string, probability: number, sliceAttention: number[], slicePositive: boolean[], extra: object = {}) => ({
  id: `scan-${seriesInstanceUid}`, seriesInstanceUid, path: `/scans/${seriesInstanceUid}`, status: 'ok', probability,
  verdict: probability >= 0.5 ? 'covid' : 'non-covid', threshold: 0.5, sliceAttention, slicePositive, ...extra,
});

const results = parseResults(JSON.stringify({
  model: { name: 'test', version: '0', sha256: '', executionProvider: 'cpu' },
  items: [
    ok('1.1', 0.9, [0.1, 0.4, 0.4, 0.1], [F, T, T, F]),
    ok('1.2', 0.2, [1 / 3, 1 / 3, 1 / 3], [F, F, T]),
    ok('', 0.6, [0.5, 0.5], [T, T], { path: '/data/phantoms/c.nii.gz' }), // C, by path (a NIfTI has no UID)
    { id: 'x', seriesInstanceUid: '1.4', path: '/scans/d', status: 'error', error: { code: 'corrupt-file', message: 'bad' } },
    ok('1.6', 0.4, [0.5, 0.5, 0], [F, F, F]), // three slices where the label has two
    ok('9.9', 0.7, [1], [T]), // no label
    ok('1.1', 0.8, [0.25, 0.25, 0.25, 0.25], [T, T, T, T]), // A again
  ],
}));

describe('evaluate', () => {
  const report = evaluate(results, labels);

  it('matches by SeriesInstanceUID, else by path, and lists what it could not match', () => {
    expect(report.unmatched).toEqual([
      { id: 'scan-9.9', seriesInstanceUid: '9.9', path: '/scans/9.9', reason: 'no-label' },
      { id: 'scan-1.1', seriesInstanceUid: '1.1', path: '/scans/1.1', reason: 'duplicate' },
    ]);
    expect(report.errors).toBe(1); // D
    expect(report.labelsWithoutResult).toBe(1); // E
    expect(report.sliceExcluded).toBe(1); // F
    expect(report.sliceScore).toBe(SLICE_SCORE);
  });

  it('volume level: verdicts against labels, AUC from the probability', () => {
    // A (0.9, covid) ✓, B (0.2) ✓, C (0.6, covid) ✓, F (0.4) ✓.
    expect(report.volume).toEqual({ count: 4, tp: 2, fp: 0, tn: 2, fn: 0, acc: 1, pre: 1, f1: 1, sen: 1, spe: 1, auc: 1, indeterminate: 0, indeterminateRate: 0,
      ci95: { auc: [1, 1], sen: wilsonInterval(2, 2), spe: wilsonInterval(2, 2), method: INTERVAL_METHOD } });
    // two of two positives found: SEN 1, yet the 95 % interval reaches down to 0.34
    expect(report.volume.ci95.sen![0]).toBeCloseTo(0.3424, 4);
  });

  it('an indeterminate volume counts in AUC with its probability, not in ACC … SPE, and is counted as indeterminate', () => {
    const four = parseLabels(JSON.stringify({ cases: [
      { id: 'P', seriesInstanceUid: '3.1', label: 'covid', slicePositive: [T, F] },
      { id: 'Q', seriesInstanceUid: '3.2', label: 'non-covid', slicePositive: [F, F] },
      { id: 'R', seriesInstanceUid: '3.3', label: 'non-covid', slicePositive: [F, F] },
      { id: 'S', seriesInstanceUid: '3.4', label: 'covid' },
    ] }), '/');
    const abstained = { verdict: 'indeterminate', reasons: [{ code: 'thick-slices', message: 'The slices are 8.0 mm apart.' }], oodScore: 3.2 };
    const r = evaluate(parseResults(JSON.stringify({ items: [
      ok('3.1', 0.9, [0.7, 0.3], [T, F]),
      ok('3.2', 0.2, [0.5, 0.5], [F, F]),
      // R would be a false positive, S a false negative, had the model answered: they abstained.
      ok('3.3', 0.8, [0.9, 0.1], [F, F], abstained),
      ok('3.4', 0.1, [0.5, 0.5], [F, F], abstained),
    ] })), four);
    expect(r.volume).toMatchObject({ count: 2, tp: 1, tn: 1, fp: 0, fn: 0, acc: 1, indeterminate: 2, indeterminateRate: 0.5 });
    // AUC over all four: P 0.9 beats R 0.8 and Q 0.2, S 0.1 beats neither → 2 of 4 pairs (the decided pair alone would give 1).
    expect(r.volume.auc).toBeCloseTo(2 / 4, 12);
    // Slices: P and Q decided (4), R's two indeterminate; S has no slice labels.
    expect(r.slice).toMatchObject({ count: 4, tp: 1, tn: 3, indeterminate: 2, indeterminateRate: 2 / 6 });
    expect(r.errors).toBe(0);
  });

  it('slice level: every slice of labelled volumes, scored probability × attention × N', () => {
    // A: truth F T T F, predicted F T T F, scores 0.36 1.44 1.44 0.36; B: truth F F F, predicted F F T, scores 0.2 ×3.
    const s = report.slice;
    expect(s).toMatchObject({ count: 7, tp: 2, fp: 1, tn: 4, fn: 0, sen: 1, auc: 1 });
    expect(s.acc).toBeCloseTo(6 / 7, 12);
    expect(s.pre).toBeCloseTo(2 / 3, 12);
    expect(s.spe).toBeCloseTo(4 / 5, 12);
    expect(s.f1).toBeCloseTo(4 / 5, 12);
  });

  it('slice AUC ranks by attention relative to uniform, scaled by the volume probability', () => {
    const two = parseLabels(JSON.stringify({ cases: [
      { id: 'P', seriesInstanceUid: '2.1', label: 'covid', slicePositive: [T, F] },
      { id: 'Q', seriesInstanceUid: '2.2', label: 'non-covid', slicePositive: [F, F, F, F] },
    ] }), '/');
    // P: 0.5 · 0.6 · 2 = 0.6 (positive) vs 0.4; Q: 0.9 · 0.25 · 4 = 0.9 uniform — above P's positive slice.
    const r = evaluate(parseResults(JSON.stringify({ items: [ok('2.1', 0.5, [0.6, 0.4], [T, F]), ok('2.2', 0.9, [0.25, 0.25, 0.25, 0.25], [F, F, F, F])] })), two);
    expect(r.slice.auc).toBeCloseTo(1 / 5, 12); // the positive beats 1 of 5 negatives
  });

  describe('volume intervals: by patient when every volume names one, else DeLong and Wilson', () => {
    // eight volumes, two of each patient's scan (one with lesions, one without)
    const probabilities = [0.9, 0.3, 0.8, 0.4, 0.6, 0.2, 0.35, 0.1]; // AUC 15/16; SEN 3 of 4, SPE 4 of 4
    const scan = parseResults(JSON.stringify({ items: probabilities.map((p, i) => ok(`4.${i}`, p, [1], [p >= 0.5])) }));
    const labelled = (patientOf: (i: number) => string | undefined) => parseLabels(JSON.stringify({ cases: probabilities.map((_, i) => ({
      id: `V${i}`, seriesInstanceUid: `4.${i}`, label: i % 2 === 0 ? 'covid' : 'non-covid', ...(patientOf(i) === undefined ? {} : { patient: patientOf(i) }),
    })) }), '/');

    it.each([
      ['four patients', (i: number) => `P${i >> 1}`, 4],
      ['eight patients, one volume each', (i: number) => `P${i}`, 8],
      ['one volume without a patient', (i: number) => (i === 5 ? undefined : `P${i >> 1}`), null],
      ['two patients only', (i: number) => `P${i >> 2}`, 2],
      ['no patients (an older labels.json)', () => undefined, null],
    ] as const)('%s', (_name, patientOf, patients) => {
      const { ci95, auc } = evaluate(scan, labelled(patientOf)).volume;
      if (patients === null) {
        expect(ci95).toEqual({ auc: rocAucInterval(probabilities, probabilities.map((_, i) => i % 2 === 0))!.ci95, sen: wilsonInterval(3, 4), spe: wilsonInterval(4, 4), method: INTERVAL_METHOD });
        return;
      }
      expect(ci95.patients).toBe(patients);
      expect(ci95.method).toBe(PATIENT_INTERVAL_METHOD(patients));
      if (patients === 2) return expect(ci95).toMatchObject({ auc: null, sen: null, spe: null }); // too few patients to say
      expect(ci95.auc![0]).toBeLessThan(auc!);
      if (patients === 8) expect(ci95.auc).toEqual(rocAucInterval(probabilities, probabilities.map((_, i) => i % 2 === 0))!.ci95); // one volume each: DeLong's
    });
  });

  it('refuses a file that is not a scan result, and labels that cannot be matched unambiguously', () => {
    expect(() => parseResults('{"items": [{"status": "fine"}]}')).toThrow(/not a scan result .*items\.0\.status/);
    expect(() => parseResults('not json')).toThrow(/not valid JSON/);
    const twice = (a: object, b: object) => JSON.stringify({ cases: [{ label: 'covid', ...a }, { label: 'covid', ...b }] });
    expect(() => parseLabels(twice({ id: 'a', seriesInstanceUid: '1' }, { id: 'b', seriesInstanceUid: '1' }), '/')).toThrow(/gives SeriesInstanceUID 1 to two cases/);
    expect(() => parseLabels(twice({ id: 'a', seriesInstanceUid: '1' }, { id: 'a', seriesInstanceUid: '2' }), '/')).toThrow(/lists case id "a" twice/);
    expect(() => parseLabels(twice({ id: 'a', seriesInstanceUid: '' }, { id: 'b', seriesInstanceUid: '' }), '/')).not.toThrow();
  });
});
