import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  bodyFractionOutsideLung, calibratedProbability, combineFeatures, decide, formatReason, indeterminateReasons, lungWidthFraction, normalAngleDeg, oodScore,
  type InputFacts,
} from './abstention.js';
import { parseModelCard, type ModelCard } from './card.js';
import { DEFAULT_PREPROCESSING } from './defaults.js';
import { goldenInputs } from './golden.js';

type Abstaining = Required<Pick<ModelCard, 'probabilityCalibration' | 'ood' | 'inputChecks' | 'abstention'>>;

/** Limits and templates as training/tests/test_abstention.py uses them (CHECKS, OOD threshold 4). */
const card: Abstaining = {
  probabilityCalibration: { kind: 'temperature', temperature: 2 },
  ood: { kind: 'mahalanobis-ppca', feature: 'features', dimension: 2, classMeans: { a: [0, 0], b: [10, 0] }, eigenvectors: [[1, 0]], eigenvalues: [4], residualVariance: 0.25, threshold: 4 },
  inputChecks: { maxSliceSpacingMm: 5, minLungVolumeMl: 750, maxNormalAngleDeg: 30, minBodyFractionOutsideLung: 0.05, bodyHuFloor: -500, uncalibrated: 'indeterminate' },
  abstention: {
    reasons: [
      { code: 'thick-slices', message: 'The slices are {sliceSpacingMm:.1f} mm apart, more than the {maxSliceSpacingMm:.1f} mm the model was trained on.' },
      { code: 'out-of-distribution', message: 'distance {oodScore:.2f} (limit {oodThreshold:.2f})' },
    ],
    golden: [],
  },
};
const good: InputFacts = { calibrated: true, sliceSpacingMm: 2.5, lungVolumeMl: 3500, normalAngleDeg: 0, bodyFractionOutsideLung: 0.3 };

describe('abstention: the indeterminate rule (training/inference.py implements the same)', () => {
  it.each([
    [good, 1, []],
    [{ calibrated: true, sliceSpacingMm: 5, lungVolumeMl: 750, normalAngleDeg: 30, bodyFractionOutsideLung: 0.05 }, 4, []],
    [{ ...good, calibrated: false }, 1, ['uncalibrated-input']],
    [{ ...good, normalAngleDeg: 90 }, 1, ['not-axial']],
    [{ ...good, sliceSpacingMm: 8 }, 1, ['thick-slices']],
    [{ ...good, lungVolumeMl: 500 }, 1, ['partial-coverage']],
    [{ ...good, bodyFractionOutsideLung: 0.01 }, 1, ['pre-masked']],
    [good, 4.01, ['out-of-distribution']],
    [good, Number.NaN, ['out-of-distribution']],
    [{ ...good, calibrated: false, sliceSpacingMm: 8, lungVolumeMl: 500 }, 9, ['uncalibrated-input', 'thick-slices', 'partial-coverage', 'out-of-distribution']],
  ] as [InputFacts, number, string[]][])('facts %j, OOD score %d → %j', (facts, score, codes) => {
    const reasons = indeterminateReasons(card, facts, score, 0.9, 0.5);
    expect(reasons.map((r) => r.code)).toEqual(codes);
    expect(decide(0.9, 0.5, reasons)).toBe(codes.length ? 'indeterminate' : 'covid');
    expect(decide(0.1, 0.5, reasons)).toBe(codes.length ? 'indeterminate' : 'non-covid');
  });

  it('abstains where the threshold says covid but the calibrated probability is under even odds, or the reverse', () => {
    const withOdds = { ...card, abstention: { ...card.abstention, evenOdds: 0.5, reasons: [...card.abstention.reasons,
      { code: 'equivocal', message: 'p {probability:.2f}, threshold {threshold:.2f}, odds {evenOdds:.2f}' }] } };
    const codes = (p: number, t: number) => indeterminateReasons(withOdds, good, 1, p, t).map((r) => r.code);
    // threshold 0.2: a probability of 0.3 is covid by the threshold, less likely than not by the odds
    expect(codes(0.3, 0.2)).toEqual(['equivocal']);
    expect(indeterminateReasons(withOdds, good, 1, 0.3, 0.2)[0]!.message).toBe('p 0.30, threshold 0.20, odds 0.50');
    expect(codes(0.2, 0.2)).toEqual(['equivocal']);
    expect(codes(0.5, 0.2)).toEqual([]);
    expect(codes(0.19, 0.2)).toEqual([]);
    // threshold 0.7: a probability of 0.6 is more likely than not, yet under the threshold
    expect(codes(0.6, 0.7)).toEqual(['equivocal']);
    expect(codes(0.4, 0.7)).toEqual([]);
    // a card without even odds keeps the plain threshold
    expect(indeterminateReasons(card, good, 1, 0.3, 0.2)).toEqual([]);
    expect(decide(0.3, 0.2, indeterminateReasons(withOdds, good, 1, 0.3, 0.2))).toBe('indeterminate');
  });

  it('abstains on a field of view much wider than the chest, where the card has a limit for the lungs’ width', () => {
    const withWidth = { ...card, inputChecks: { ...card.inputChecks, minLungWidthFraction: 0.45 }, abstention: { ...card.abstention, reasons: [...card.abstention.reasons,
      { code: 'wide-field-of-view', message: 'The lungs span {lungWidthPercent:.0f} % of the image width, less than {minLungWidthPercent:.0f} %' }] } };
    // two lungs on different slices: the union spans columns 30…70 of 100
    const masks = new Uint8Array(3 * 100 * 100);
    for (let y = 40; y < 60; y++) {
      for (let x = 30; x < 50; x++) masks[y * 100 + x] = 1;
      for (let x = 55; x < 71; x++) masks[2 * 10000 + y * 100 + x] = 1;
    }
    expect(lungWidthFraction(masks, 100)).toBe(0.41);
    expect(lungWidthFraction(new Uint8Array(64), 8)).toBe(0);
    const narrow = { ...good, lungWidthFraction: 0.41 };
    expect(indeterminateReasons(withWidth, narrow, 1, 0.9, 0.5)).toEqual([{ code: 'wide-field-of-view', message: 'The lungs span 41 % of the image width, less than 45 %' }]);
    expect(indeterminateReasons(withWidth, { ...good, lungWidthFraction: 0.45 }, 1, 0.9, 0.5)).toEqual([]);
    expect(indeterminateReasons(card, narrow, 1, 0.9, 0.5)).toEqual([]); // a card without the limit
  });

  it('words each reason from the card’s template, with the value and the limit', () => {
    const [thick, far] = indeterminateReasons(card, { ...good, sliceSpacingMm: 8 }, 7.5, 0.9, 0.5);
    expect(thick!.message).toBe('The slices are 8.0 mm apart, more than the 5.0 mm the model was trained on.');
    expect(far!.message).toBe('distance 7.50 (limit 4.00)');
    expect(() => formatReason('{nope:.1f}', {})).toThrow(/nope/);
  });

  it('calibrates each pass with the temperature and averages', () => {
    expect(calibratedProbability([[0, 2], [1, 0]], 2)).toBeCloseTo((1 / (1 + Math.exp(-1)) + 1 / (1 + Math.exp(0.5))) / 2, 12);
    expect(() => calibratedProbability([[0, 1]], 0)).toThrow(RangeError);
  });

  it('scores features by their Mahalanobis distance to the nearest class under the PPCA covariance', () => {
    // d = (1, 1) from class a: 1² / 4 along the component + 1² / 0.25 off it = 4.25
    expect(oodScore(card.ood, [1, 1])).toBeCloseTo(Math.sqrt(4.25), 12);
    expect(oodScore(card.ood, [10, 0])).toBe(0);
    expect(Array.from(combineFeatures([[1, 2], [3, 6]]))).toEqual([2, 4]);
    expect(() => oodScore(card.ood, [1, 2, 3])).toThrow(/dimension|2/);
  });

  it('measures the slice normal and the tissue outside the lungs', () => {
    expect(normalAngleDeg([1, 0, 0, 0, 1, 0, 0, 0, 1])).toBe(0);
    expect(normalAngleDeg([1, 0, 0, 0, 0, -1, 0, 1, 0])).toBeCloseTo(90, 12);
    const x = (hu: number) => ((hu + 1350) / 1500 - 0.5) / 0.5;
    const slices = Float32Array.from([x(-1000), x(40), x(-500), x(40)]);
    expect(bodyFractionOutsideLung(slices, Uint8Array.from([0, 0, 0, 1]), DEFAULT_PREPROCESSING, -500)).toBeCloseTo(2 / 3, 12);
    expect(bodyFractionOutsideLung(slices, Uint8Array.from([1, 1, 1, 1]), DEFAULT_PREPROCESSING, -500)).toBe(0);
  });
});

const modelsDir = resolve(import.meta.dirname, '../../../models');
const cards = readdirSync(modelsDir).filter((f) => f.endsWith('.card.json'))
  .map((f) => ({ file: f, card: parseModelCard(JSON.parse(readFileSync(join(modelsDir, f), 'utf8')), f) }));
const abstaining = cards.filter((c) => c.card.ood && c.card.abstention);

describe.skipIf(abstaining.length === 0)('abstention: the shipped cards’ golden cases (skipped: no shipped card has abstention blocks yet)', () => {
  for (const { file, card: c } of abstaining) {
    const full = c as ModelCard & Abstaining;
    it(`${file}: every golden verdict, reason and sentence`, () => {
      for (const g of full.abstention.golden) {
        const reasons = indeterminateReasons(full, g.facts, g.oodScore ?? Number.NaN, g.probability, full.threshold);
        expect(reasons).toEqual(g.reasons);
        expect(decide(g.probability, full.threshold, reasons)).toBe(g.verdict);
      }
    });

    it(`${file}: the OOD score and body fraction of the golden inputs`, () => {
      for (const g of full.golden?.cases ?? []) {
        if (g.features === undefined || g.oodScore === undefined) continue;
        expect(oodScore(full.ood, g.features)).toBeCloseTo(g.oodScore, 6);
        const { slices, masks } = goldenInputs(full.preprocessing.size, g.slices);
        expect(bodyFractionOutsideLung(slices, masks, full.preprocessing, full.inputChecks.bodyHuFloor)).toBe(g.bodyFractionOutsideLung);
      }
    });
  }
});
