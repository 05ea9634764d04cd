/**
 * `lunglens evaluate`: a scan's results.json (DESIGN.md §3) against labels.json, at volume and at
 * slice level, with the metrics of metrics.ts. The output is a contract: the Python training
 * package reads it for all its reports.
 *
 * - Items are matched to label cases by seriesInstanceUid; an item without one (NIfTI, MetaImage)
 *   by its path as labels.json gives it, then by its id. Items without a label, and second items
 *   for a label already matched, are listed in `unmatched` and counted nowhere else.
 * - Volume level: every matched item with status "ok", a finite probability and a verdict;
 *   verdict vs label, AUC from `probability`. Matched items that are not (status error/skipped,
 *   or missing those fields) are counted in `errors`. An `indeterminate` verdict (the model
 *   abstained) counts in AUC, with its probability, and in `indeterminate`, not in ACC … SPE.
 * - Slice level: every slice of those items whose label has slicePositive and whose
 *   sliceAttention and slicePositive have one entry per labelled slice; predicted = the item's
 *   slicePositive, truth = the label's; AUC from probability × attention_i × N (attention relative
 *   to uniform 1/N, scaled by the volume probability). Items left out for a length mismatch are
 *   counted in `sliceExcluded`. The slices of an indeterminate volume count in the slice AUC and
 *   in the slice level's `indeterminate`, not in its ACC … SPE.
 * - The volume level carries 95 % intervals of AUC, SEN and SPE (`volume.ci95`, metrics.ts). When
 *   the label of every volume it counts names a `patient`, the volumes of one patient are counted
 *   as one cluster (`patientIntervals`; `ci95.patients` says how many): they are not independent.
 *   Otherwise DeLong and Wilson, which count every volume as independent.
 */
import path from 'node:path';
import { LungLensError } from '../errors.js';
import type { LabelCase, Labels } from '../dataset/labels.js';
import { ScanResultsReadSchema, type ScanResultsRead } from '../scan/results-schema.js';
import { abstainingMetrics, patientIntervals, volumeIntervals, type AbstainingMetrics, type VolumeIntervals } from './metrics.js';

export const SLICE_SCORE = 'probability × attention × N (attention relative to uniform, scaled by the volume probability)';

export interface UnmatchedItem {
  id: string | null;
  seriesInstanceUid: string;
  path: string | null;
  /** `no-label`: no label case matches; `duplicate`: its label was already matched by an earlier item. */
  reason: 'no-label' | 'duplicate';
}

export interface EvaluationReport {
  /** With the 95 % intervals of AUC, SEN and SPE (metrics.ts: volumes only; by patient when every volume's patient is known). */
  volume: AbstainingMetrics & { ci95: VolumeIntervals };
  slice: AbstainingMetrics;
  sliceScore: typeof SLICE_SCORE;
  unmatched: UnmatchedItem[];
  /** Matched items left out of the metrics: status error/skipped, or no probability/verdict. */
  errors: number;
  /** Matched ok items left out of the slice level because their per-slice arrays do not match the label's length. */
  sliceExcluded: number;
  /** Label cases that no item matched (a test split evaluated against all labels has many). */
  labelsWithoutResult: number;
}

/** Parses a results.json text; throws `usage` with a sentence when it is not one. */
export function parseResults(text: string, name = 'results.json'): ScanResultsRead {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new LungLensError('usage', `${name} is not valid JSON: ${(error as Error).message}`);
  }
  const parsed = ScanResultsReadSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue ? `${issue.path.join('.') || 'the top level'}: ${issue.message}` : 'unknown problem';
    throw new LungLensError('usage', `${name} is not a scan result ({ "model", "items": [{ seriesInstanceUid, status, probability, verdict, sliceAttention, slicePositive }] }) — ${where}.`);
  }
  return parsed.data;
}

/**
 * Evaluates `results` against `labels`. `resultsFolder` resolves relative item paths (for
 * items matched by path).
 */
export function evaluate(results: ScanResultsRead, labels: Labels, resultsFolder = '.'): EvaluationReport {
  const byId = new Map(labels.cases.map((c) => [c.id, c]));
  const matched = new Set<LabelCase>();
  const unmatched: UnmatchedItem[] = [];
  // null: indeterminate (no answer)
  const volume = { predicted: [] as (boolean | null)[], actual: [] as boolean[], scores: [] as number[], patients: [] as (string | null)[] };
  const slice = { predicted: [] as (boolean | null)[], actual: [] as boolean[], scores: [] as number[] };
  let errors = 0;
  let sliceExcluded = 0;

  for (const item of results.items) {
    const uid = item.seriesInstanceUid ?? '';
    const label = uid !== ''
      ? labels.find(uid, '')
      : (item.path ? labels.find('', path.resolve(resultsFolder, item.path)) : undefined) ?? (item.id ? byId.get(item.id) : undefined);
    const describe = (reason: UnmatchedItem['reason']): UnmatchedItem => ({ id: item.id ?? null, seriesInstanceUid: uid, path: item.path ?? null, reason });
    if (!label) {
      unmatched.push(describe('no-label'));
      continue;
    }
    if (matched.has(label)) {
      unmatched.push(describe('duplicate'));
      continue;
    }
    matched.add(label);
    const p = item.probability;
    if (item.status !== 'ok' || typeof p !== 'number' || !Number.isFinite(p) || !item.verdict) {
      errors++;
      continue;
    }
    const decided = item.verdict !== 'indeterminate';
    volume.predicted.push(decided ? item.verdict === 'covid' : null);
    volume.actual.push(label.label === 'covid');
    volume.scores.push(p);
    volume.patients.push(label.patient);

    const truth = label.slicePositive;
    if (!truth) continue;
    const attention = item.sliceAttention;
    const verdicts = item.slicePositive;
    const n = truth.length;
    if (!attention || !verdicts || attention.length !== n || verdicts.length !== n || !attention.every(Number.isFinite)) {
      sliceExcluded++;
      continue;
    }
    for (let k = 0; k < n; k++) {
      if (truth[k] === null) continue; // a slice nobody marked
      slice.predicted.push(decided ? verdicts[k]! : null);
      slice.actual.push(truth[k]!);
      slice.scores.push(p * attention[k]! * n);
    }
  }

  const volumeMetrics = abstainingMetrics(volume.predicted, volume.actual, volume.scores);
  const { patients } = volume;
  const ci95 = patients.length > 0 && patients.every((x): x is string => x !== null)
    ? patientIntervals(volume.predicted, volume.actual, volume.scores, patients)
    : volumeIntervals(volumeMetrics, volume.scores, volume.actual);
  return {
    volume: { ...volumeMetrics, ci95 },
    slice: abstainingMetrics(slice.predicted, slice.actual, slice.scores),
    sliceScore: SLICE_SCORE,
    unmatched,
    errors,
    sliceExcluded,
    labelsWithoutResult: labels.cases.length - matched.size,
  };
}
