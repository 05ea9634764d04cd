/**
 * When the detector abstains (the model card's `probabilityCalibration`, `ood`, `inputChecks`
 * and `abstention` blocks; training/README.md "Abstention"): the calibrated probability, the
 * out-of-distribution score of the `features` output, the input checks, and the rule that turns
 * them into `indeterminate` with reasons. training/inference.py implements the same rule; the
 * card's `abstention.golden` cases and `golden.cases[].oodScore` are what both are checked against.
 * Pure: the caller gathers the facts (spacing, orientation, units, lung volume) and the outputs.
 */
import type { ModelCard } from './card.js';
import type { InputPreprocessing } from './preprocess.js';

export type Verdict = 'covid' | 'non-covid' | 'indeterminate';

export interface InputFacts {
  /** Calibrated HU (results `calibrated`); false for 8-bit image stacks. */
  calibrated: boolean;
  /** spacingMm[2]: spacing along the slice normal. */
  sliceSpacingMm: number;
  /** The lung mask before dilation. */
  lungVolumeMl: number;
  /** normalAngleDeg(direction). */
  normalAngleDeg: number;
  /** bodyFractionOutsideLung(the prepared tensors). */
  bodyFractionOutsideLung: number;
  /** lungWidthFraction(the prepared masks). */
  lungWidthFraction?: number;
}

export interface Reason {
  code: 'uncalibrated-input' | 'not-axial' | 'thick-slices' | 'partial-coverage' | 'pre-masked' | 'wide-field-of-view' | 'out-of-distribution' | 'equivocal';
  message: string;
}

type Abstaining = Required<Pick<ModelCard, 'probabilityCalibration' | 'ood' | 'inputChecks'>>;

/** Per pass σ((l_covid − l_non-covid) / T), averaged over the passes. */
export function calibratedProbability(passLogits: readonly ArrayLike<number>[], temperature: number): number {
  if (passLogits.length === 0) throw new RangeError('no pass logits');
  if (!(temperature > 0)) throw new RangeError(`the temperature must be positive, got ${temperature}`);
  let sum = 0;
  for (const l of passLogits) sum += 1 / (1 + Math.exp(-(l[1]! - l[0]!) / temperature));
  return sum / passLogits.length;
}

/** The volume's feature vector: the mean of the passes' `features` outputs. */
export function combineFeatures(perPass: readonly ArrayLike<number>[]): Float64Array {
  if (perPass.length === 0) throw new RangeError('no pass features');
  const out = new Float64Array(perPass[0]!.length);
  for (const f of perPass) {
    if (f.length !== out.length) throw new RangeError(`pass features of ${f.length} values, expected ${out.length}`);
    for (let i = 0; i < out.length; i++) out[i]! += f[i]! / perPass.length;
  }
  return out;
}

/**
 * sqrt(min over classes of D²), D² = Σ_j p_j² / λ_j + max(0, |d|² − Σ_j p_j²) / σ², with
 * d = f − μ_c and p = V d: the Mahalanobis distance to the nearest class mean under the card's
 * probabilistic-PCA covariance.
 */
export function oodScore(ood: Abstaining['ood'], feature: ArrayLike<number>): number {
  if (feature.length !== ood.dimension) throw new RangeError(`a feature of ${feature.length} values, the card's OOD model has ${ood.dimension}`);
  let best = Infinity;
  const d = new Float64Array(ood.dimension);
  for (const mean of Object.values(ood.classMeans)) {
    let norm2 = 0;
    for (let i = 0; i < d.length; i++) {
      d[i] = feature[i]! - mean[i]!;
      norm2 += d[i]! * d[i]!;
    }
    let projected = 0;
    let scaled = 0;
    ood.eigenvectors.forEach((v, j) => {
      let p = 0;
      for (let i = 0; i < d.length; i++) p += v[i]! * d[i]!;
      projected += p * p;
      scaled += (p * p) / ood.eigenvalues[j]!;
    });
    best = Math.min(best, scaled + Math.max(0, norm2 - projected) / ood.residualVariance);
  }
  return Math.sqrt(best);
}

/** Angle between the slice normal (direction[6..8], DESIGN.md §2) and the body axis, 0…90°. */
export function normalAngleDeg(direction: ArrayLike<number>): number {
  const [x, y, z] = [direction[6]!, direction[7]!, direction[8]!];
  const cos = Math.abs(z) / Math.max(1e-12, Math.hypot(x, y, z));
  return (Math.acos(Math.min(1, cos)) * 180) / Math.PI;
}

/**
 * Of the prepared input pixels outside the (dilated) lung mask, over all slices, the fraction whose
 * value stands for ≥ `bodyHuFloor` HU: HU = lowHu + (x·std + mean)·(highHu − lowHu). 0 when no pixel
 * is outside the mask.
 */
export function bodyFractionOutsideLung(slices: ArrayLike<number>, masks: ArrayLike<number>, preprocessing: InputPreprocessing, bodyHuFloor: number): number {
  if (slices.length !== masks.length) throw new RangeError(`${slices.length} slice values but ${masks.length} mask values`);
  const { lowHu, highHu } = preprocessing.huWindow;
  const { mean, std } = preprocessing.normalization;
  const cut = ((bodyHuFloor - lowHu) / (highHu - lowHu) - mean) / std;
  let outside = 0;
  let body = 0;
  for (let i = 0; i < slices.length; i++) {
    if (masks[i] !== 0) continue;
    outside++;
    if (slices[i]! >= cut) body++;
  }
  return outside === 0 ? 0 : body / outside;
}

/**
 * The share of the input width the lungs span: the columns from the leftmost to the rightmost that
 * the (dilated) mask touches on any slice, over the width; 0 without a mask. The model reads whole
 * images at one size, so in a field of view much wider than the chest the lungs reach it small.
 */
export function lungWidthFraction(masks: ArrayLike<number>, size: number): number {
  if (masks.length % (size * size) !== 0) throw new RangeError(`${masks.length} mask values are not whole ${size}×${size} slices`);
  let left = size;
  let right = -1;
  for (let i = 0; i < masks.length; i++) {
    if (masks[i] === 0) continue;
    const column = i % size;
    if (column < left) left = column;
    if (column > right) right = column;
  }
  return right < 0 ? 0 : (right - left + 1) / size;
}

/** The card's message templates: `{name:.Nf}` is the named value with N decimals (NaN, ∞ or −∞ when it is not finite). */
export function formatReason(template: string, values: Record<string, number>): string {
  return template.replace(/\{(\w+):\.(\d+)f\}/g, (_all, name: string, digits: string) => {
    const v = values[name];
    if (v === undefined) throw new RangeError(`the template names ${name}, which the rule does not know`);
    if (Number.isNaN(v)) return 'NaN';
    if (!Number.isFinite(v)) return v > 0 ? '∞' : '−∞';
    return v.toFixed(Number(digits));
  });
}

const ORDER: readonly Reason['code'][] = ['uncalibrated-input', 'not-axial', 'thick-slices', 'partial-coverage', 'pre-masked', 'wide-field-of-view', 'out-of-distribution', 'equivocal'];

/**
 * Whether the threshold and even odds disagree about the calibrated probability: covid by the
 * threshold yet less likely than not (or the reverse, where the threshold lies above even odds).
 * Only a card whose `abstention` names `evenOdds` applies this rule.
 */
export function equivocal(probability: number, threshold: number, evenOdds: number | undefined): boolean {
  return evenOdds !== undefined && probability >= threshold !== probability >= evenOdds;
}

/**
 * Every reason to abstain, in the rule's order; each limit is strict (a value at the limit passes);
 * a NaN score abstains. `probability` is the calibrated volume probability, `threshold` the card's.
 */
export function indeterminateReasons(card: Abstaining & { abstention?: ModelCard['abstention'] }, facts: InputFacts, score: number, probability: number, threshold: number): Reason[] {
  const c = card.inputChecks;
  const evenOdds = card.abstention?.evenOdds;
  const failed: Record<Reason['code'], boolean> = {
    'uncalibrated-input': !facts.calibrated && c.uncalibrated === 'indeterminate',
    'not-axial': facts.normalAngleDeg > c.maxNormalAngleDeg,
    'thick-slices': facts.sliceSpacingMm > c.maxSliceSpacingMm,
    'partial-coverage': facts.lungVolumeMl < c.minLungVolumeMl,
    'pre-masked': facts.bodyFractionOutsideLung < c.minBodyFractionOutsideLung,
    // Only where both the card and the facts know the lungs' width.
    'wide-field-of-view': c.minLungWidthFraction !== undefined && facts.lungWidthFraction !== undefined && facts.lungWidthFraction < c.minLungWidthFraction,
    'out-of-distribution': !(score <= card.ood.threshold),
    equivocal: equivocal(probability, threshold, evenOdds),
  };
  const values = {
    normalAngleDeg: facts.normalAngleDeg, maxNormalAngleDeg: c.maxNormalAngleDeg, sliceSpacingMm: facts.sliceSpacingMm,
    maxSliceSpacingMm: c.maxSliceSpacingMm, lungVolumeMl: facts.lungVolumeMl, minLungVolumeMl: c.minLungVolumeMl,
    bodyPercent: 100 * facts.bodyFractionOutsideLung, limitPercent: 100 * c.minBodyFractionOutsideLung, oodScore: score,
    oodThreshold: card.ood.threshold, probability, threshold, evenOdds: evenOdds ?? Number.NaN,
    lungWidthPercent: 100 * (facts.lungWidthFraction ?? Number.NaN), minLungWidthPercent: 100 * (c.minLungWidthFraction ?? Number.NaN),
  };
  const templates = new Map((card.abstention?.reasons ?? []).map((r) => [r.code, r.message]));
  return ORDER.filter((code) => failed[code]).map((code) => {
    const template = templates.get(code);
    return { code, message: template ? formatReason(template, values) : code };
  });
}

/** 'indeterminate' when there is any reason, else covid when probability ≥ threshold. */
export function decide(probability: number, threshold: number, reasons: readonly Reason[]): Verdict {
  if (reasons.length > 0) return 'indeterminate';
  return probability >= threshold ? 'covid' : 'non-covid';
}
