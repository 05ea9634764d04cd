/**
 * The verdict of an analysed volume. A card without the abstention blocks gives today's answer
 * (covid / non-covid at the threshold); a card with them (training/README.md "Abstention") also
 * checks the input's facts, the OOD score and (where the card names even odds) whether threshold and
 * even odds agree on the probability, and says `indeterminate` with the reasons, in the
 * card's words. An indeterminate volume keeps its probability and attention, but no slice is
 * called positive.
 */
import { bodyFractionOutsideLung, decide, indeterminateReasons, lungWidthFraction, normalAngleDeg, type InputFacts, type Reason, type Verdict } from '../model/abstention.js';
import type { ModelCard } from '../model/card.js';
import type { Volume } from '../volume/volume.js';

export interface Judged {
  verdict: Verdict;
  slicePositive: boolean[];
  /** Only where the card abstains: the OOD score (null when not a number) and every reason (empty when decided). */
  oodScore?: number | null;
  reasons?: Reason[];
}

type AbstainingCard = ModelCard & Required<Pick<ModelCard, 'probabilityCalibration' | 'ood' | 'inputChecks'>>;

/** Whether the card carries the abstention blocks (all three come together, card.ts). */
export function abstains(card: ModelCard): card is AbstainingCard {
  return card.probabilityCalibration !== undefined && card.ood !== undefined && card.inputChecks !== undefined;
}

/**
 * What the rule knows about the input: whether its values are calibrated HU (the result's
 * `calibrated`, from the reader: false for grey levels of an image stack, sparse or not), the
 * volume's geometry, the lung mask, the prepared tensors (where a pre-masked export shows as too
 * little body outside the lungs, and a field of view much wider than the chest as lungs that span
 * little of the width) — the facts training/facts.py gathers for the same rule.
 */
export function inputFacts(card: AbstainingCard, volume: Volume, calibrated: boolean, lungVolumeMl: number, slices: Float32Array, masks: Uint8Array): InputFacts {
  return {
    calibrated,
    sliceSpacingMm: volume.spacingMm[2],
    lungVolumeMl,
    normalAngleDeg: normalAngleDeg(volume.direction),
    bodyFractionOutsideLung: bodyFractionOutsideLung(slices, masks, card.preprocessing, card.inputChecks.bodyHuFloor),
    lungWidthFraction: lungWidthFraction(masks, card.preprocessing.size),
  };
}

/** The model's answer (probability calibrated where the card says so) with the card's rule applied. */
export function judge(card: ModelCard, inference: { probability: number; verdict: 'covid' | 'non-covid'; slicePositive: boolean[]; oodScore?: number }, facts: (card: AbstainingCard) => InputFacts): Judged {
  if (!abstains(card)) return { verdict: inference.verdict, slicePositive: inference.slicePositive };
  const score = inference.oodScore ?? Number.NaN;
  const reasons = indeterminateReasons(card, facts(card), score, inference.probability, card.threshold);
  const verdict = decide(inference.probability, card.threshold, reasons);
  return {
    verdict,
    slicePositive: verdict === 'indeterminate' ? inference.slicePositive.map(() => false) : inference.slicePositive,
    oodScore: Number.isFinite(score) ? score : null,
    reasons,
  };
}
