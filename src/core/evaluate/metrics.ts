/**
 * The paper's detection metrics (ACC, PRE, F1, SEN, SPE) and ROC AUC, for `lunglens evaluate` —
 * the one implementation; the Python package calls the command rather than computing its own.
 * Pure functions of verdicts, truths and scores.
 *
 * Edge cases (a metric whose denominator is 0 is `null`, never 0 or NaN):
 * - ACC = (TP + TN) / count; null when count = 0.
 * - PRE = TP / (TP + FP); null when nothing was predicted positive.
 * - SEN (recall) = TP / (TP + FN); null when there are no positives.
 * - SPE = TN / (TN + FP); null when there are no negatives.
 * - F1 = 2·TP / (2·TP + FP + FN), the harmonic mean of PRE and SEN written with counts, so it is 0
 *   (not null) when PRE is undefined but positives were missed; null only when 2·TP + FP + FN = 0
 *   (no positives and none predicted).
 * - AUC = the Mann–Whitney statistic: the probability that a random positive scores above a
 *   random negative, ties counting one half (average ranks); null with only one class present.
 *   Scores that are not finite numbers are not allowed (the caller leaves such items out).
 * - Where the model may abstain (a prediction of null: indeterminate), AUC is over every item (an
 *   indeterminate item keeps its score) and the other metrics over the decided ones; the count
 *   and rate of indeterminate items are given beside them (rate null when there are no items).
 *
 * 95 % confidence intervals (`volumeIntervals`, volume level only: the slices of one volume are
 * not independent, and intervals that treat them so would be far too narrow):
 * - AUC: DeLong's method (DeLong, DeLong & Clarke-Pearson 1988), computed from midranks (Sun & Xu
 *   2014): var = S10/P + S01/N from the positives' and negatives' structural components; the
 *   interval AUC ± 1.96·√var, clipped to [0, 1] (pROC's default). It assumes independent items,
 *   which several volumes of one patient are not (copies of one scan make it too narrow; copies
 *   with and without inserted lesions can make it too wide: see `patientIntervals`).
 * - SEN, SPE: Wilson score intervals of the proportion.
 * - When the patient of every item is known (`patientIntervals`), volumes of one patient are a
 *   cluster: AUC by Obuchowski's clustered extension of DeLong (Obuchowski 1997, Biometrics 53:567):
 *   the same structural components, summed per patient, var = S10/P + S01/N + 2·S11/(P·N), where
 *   S11 is the covariance of a patient's positive and negative sums (a patient with volumes of both
 *   classes — lesions inserted into copies of its scan — has both); with one volume per patient it
 *   is DeLong's exactly. SEN, SPE: the proportion's cluster-robust variance (ratio estimator over
 *   patients), turned into an effective number of trials for the Wilson interval (the patients
 *   with such volumes, when every patient agrees with the proportion and the variance is 0).
 */

export interface Confusion {
  tp: number;
  fp: number;
  tn: number;
  fn: number;
}

export interface BinaryMetrics extends Confusion {
  /** Items the confusion counts (the decided ones). */
  count: number;
  acc: number | null;
  pre: number | null;
  f1: number | null;
  sen: number | null;
  spe: number | null;
  auc: number | null;
}

/** Counts of predicted × actual. */
export function confusion(predicted: ArrayLike<boolean>, actual: ArrayLike<boolean>): Confusion {
  if (predicted.length !== actual.length) throw new RangeError(`confusion: ${predicted.length} predictions for ${actual.length} truths`);
  const c: Confusion = { tp: 0, fp: 0, tn: 0, fn: 0 };
  for (let i = 0; i < actual.length; i++) {
    if (predicted[i]) {
      if (actual[i]) c.tp++;
      else c.fp++;
    } else if (actual[i]) c.fn++;
    else c.tn++;
  }
  return c;
}

const ratio = (num: number, den: number): number | null => (den === 0 ? null : num / den);

/** ROC AUC as the Mann–Whitney U statistic over (P · N) pairs, ties counted one half; null with one class only. */
export function rocAuc(scores: ArrayLike<number>, actual: ArrayLike<boolean>): number | null {
  const n = scores.length;
  if (actual.length !== n) throw new RangeError(`rocAuc: ${n} scores for ${actual.length} truths`);
  let positives = 0;
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(scores[i]!)) throw new RangeError(`rocAuc: score ${i} is not a finite number`);
    if (actual[i]) positives++;
  }
  const negatives = n - positives;
  if (positives === 0 || negatives === 0) return null;
  const ranks = midranks(scores);
  let rankSum = 0;
  for (let i = 0; i < n; i++) if (actual[i]) rankSum += ranks[i]!;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/** Midranks (1-based, ties averaged) of `values`. */
function midranks(values: ArrayLike<number>): Float64Array {
  const n = values.length;
  const order = Uint32Array.from({ length: n }, (_, i) => i).sort((a, b) => values[a]! - values[b]!);
  const ranks = new Float64Array(n);
  for (let start = 0; start < n;) {
    let end = start + 1;
    while (end < n && values[order[end]!] === values[order[start]!]) end++;
    for (let j = start; j < end; j++) ranks[order[j]!] = (start + 1 + end) / 2;
    start = end;
  }
  return ranks;
}

/** Every metric of the paper plus AUC, from verdicts, truths and scores of the same items. */
export function binaryMetrics(predicted: ArrayLike<boolean>, actual: ArrayLike<boolean>, scores: ArrayLike<number>): BinaryMetrics {
  const c = confusion(predicted, actual);
  const count = actual.length;
  return {
    count,
    ...c,
    acc: ratio(c.tp + c.tn, count),
    pre: ratio(c.tp, c.tp + c.fp),
    f1: ratio(2 * c.tp, 2 * c.tp + c.fp + c.fn),
    sen: ratio(c.tp, c.tp + c.fn),
    spe: ratio(c.tn, c.tn + c.fp),
    auc: rocAuc(scores, actual),
  };
}

export interface AbstainingMetrics extends BinaryMetrics {
  /** Items with no answer (indeterminate): left out of everything but AUC. */
  indeterminate: number;
  /** indeterminate / every item; null when there are none. */
  indeterminateRate: number | null;
}

/** binaryMetrics over the decided items (predicted not null), AUC over all of them, and the indeterminate count and rate. */
export function abstainingMetrics(predicted: ArrayLike<boolean | null>, actual: ArrayLike<boolean>, scores: ArrayLike<number>): AbstainingMetrics {
  if (predicted.length !== actual.length || scores.length !== actual.length) throw new RangeError(`abstainingMetrics: ${predicted.length} predictions, ${actual.length} truths, ${scores.length} scores`);
  const decided = { predicted: [] as boolean[], actual: [] as boolean[], scores: [] as number[] };
  for (let i = 0; i < actual.length; i++) {
    const p = predicted[i];
    if (p === null || p === undefined) continue;
    decided.predicted.push(p);
    decided.actual.push(actual[i]!);
    decided.scores.push(scores[i]!);
  }
  const indeterminate = actual.length - decided.actual.length;
  return {
    ...binaryMetrics(decided.predicted, decided.actual, decided.scores),
    auc: rocAuc(scores, actual),
    indeterminate,
    indeterminateRate: ratio(indeterminate, actual.length),
  };
}

/** z for a two-sided 95 % interval. */
const Z95 = 1.959963984540054;

function sampleVariance(v: Float64Array): number {
  let mean = 0;
  for (const x of v) mean += x;
  mean /= v.length;
  let ss = 0;
  for (const x of v) ss += (x - mean) ** 2;
  return ss / (v.length - 1);
}

/**
 * ROC AUC with DeLong's variance and its 95 % interval; null with fewer than two items of either
 * class (one item gives no variance to estimate).
 */
export function rocAucInterval(scores: ArrayLike<number>, actual: ArrayLike<boolean>): { auc: number; variance: number; ci95: [number, number] } | null {
  const auc = rocAuc(scores, actual);
  if (auc === null) return null;
  const { v10, v01 } = structuralComponents(scores, actual);
  const m = v10.length, n = v01.length;
  if (m < 2 || n < 2) return null;
  const variance = sampleVariance(v10) / m + sampleVariance(v01) / n;
  return { auc, variance, ci95: normalInterval(auc, variance) };
}

/**
 * DeLong's structural components, from midranks: V10, for each positive (in item order), the
 * share of negatives it outscores; V01, for each negative, the share of positives that outscore
 * it (ties one half); `place[i]`, item i's index among the items of its class.
 */
function structuralComponents(scores: ArrayLike<number>, actual: ArrayLike<boolean>): { v10: Float64Array; v01: Float64Array; place: Int32Array } {
  const pos: number[] = [], neg: number[] = [], place = new Int32Array(scores.length);
  for (let i = 0; i < scores.length; i++) place[i] = (actual[i] ? pos : neg).push(scores[i]!) - 1;
  const m = pos.length, n = neg.length;
  const tz = midranks([...pos, ...neg]), tx = midranks(pos), ty = midranks(neg);
  return {
    v10: Float64Array.from(pos, (_, i) => (tz[i]! - tx[i]!) / n),
    v01: Float64Array.from(neg, (_, j) => 1 - (tz[m + j]! - ty[j]!) / m),
    place,
  };
}

/** estimate ± z·√variance, clipped to [0, 1]. */
function normalInterval(estimate: number, variance: number): [number, number] {
  const half = Z95 * Math.sqrt(variance);
  return [Math.max(0, estimate - half), Math.min(1, estimate + half)];
}

/** Wilson score 95 % interval of the proportion successes / trials; null with no trials. */
export function wilsonInterval(successes: number, trials: number): [number, number] | null {
  if (trials === 0) return null;
  const p = successes / trials;
  const z2 = Z95 * Z95;
  const denominator = 1 + z2 / trials;
  const centre = (p + z2 / (2 * trials)) / denominator;
  const half = (Z95 * Math.sqrt((p * (1 - p)) / trials + z2 / (4 * trials * trials))) / denominator;
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

export interface VolumeIntervals {
  /** DeLong (or Obuchowski's, by patient), over every item (as `auc`); null with fewer than two items (patients) of either class. */
  auc: [number, number] | null;
  /** Wilson (on the effective count, by patient), over the decided items (as `sen` and `spe`); null where those are. */
  sen: [number, number] | null;
  spe: [number, number] | null;
  /** How the intervals were computed, in words. */
  method: string;
  /** The patients the volumes were grouped by (`patientIntervals` only). */
  patients?: number;
}

export const INTERVAL_METHOD = '95 %: AUC by DeLong (items independent), SEN and SPE by Wilson score';

/** The 95 % intervals of AUC, SEN and SPE for metrics computed by `abstainingMetrics` from these scores and truths. */
export function volumeIntervals(m: BinaryMetrics, scores: ArrayLike<number>, actual: ArrayLike<boolean>): VolumeIntervals {
  return {
    auc: rocAucInterval(scores, actual)?.ci95 ?? null,
    sen: wilsonInterval(m.tp, m.tp + m.fn),
    spe: wilsonInterval(m.tn, m.tn + m.fp),
    method: INTERVAL_METHOD,
  };
}

/** Items grouped by patient: for each patient, the indices of its items. */
function byPatient(patients: ArrayLike<string>): number[][] {
  const groups = new Map<string, number[]>();
  for (let i = 0; i < patients.length; i++) {
    const items = groups.get(patients[i]!);
    if (items) items.push(i);
    else groups.set(patients[i]!, [i]);
  }
  return [...groups.values()];
}

/**
 * Fewer patients with items of a class than this give no clustered interval: the variance is then
 * estimated from one or two patient sums and can come out 0 (two patients whose sums lean opposite
 * ways cancel), an interval that would claim certainty where there is least.
 */
export const MIN_CLUSTERS = 3;

/**
 * ROC AUC with Obuchowski's clustered variance (patients as clusters) and its 95 % interval; null
 * where fewer than MIN_CLUSTERS patients have positives or fewer have negatives.
 */
export function clusteredAucInterval(scores: ArrayLike<number>, actual: ArrayLike<boolean>, patients: ArrayLike<string>): { auc: number; variance: number; ci95: [number, number] } | null {
  if (patients.length !== actual.length) throw new RangeError(`clusteredAucInterval: ${patients.length} patients for ${actual.length} truths`);
  const auc = rocAuc(scores, actual);
  if (auc === null) return null;
  const { v10, v01, place } = structuralComponents(scores, actual);
  const m = v10.length, n = v01.length;
  // DeLong's components summed per patient, less the patient's share of the AUC
  const clusters = byPatient(patients).map((items) => {
    let x = 0, y = 0, mi = 0, ni = 0;
    for (const i of items) {
      if (actual[i]) { x += v10[place[i]!]!; mi++; } else { y += v01[place[i]!]!; ni++; }
    }
    return { dx: x - mi * auc, dy: y - ni * auc, mi, ni };
  });
  const i10 = clusters.filter((c) => c.mi > 0).length, i01 = clusters.filter((c) => c.ni > 0).length, k = clusters.length;
  if (i10 < MIN_CLUSTERS || i01 < MIN_CLUSTERS) return null;
  let s10 = 0, s01 = 0, s11 = 0;
  for (const c of clusters) {
    s10 += c.dx * c.dx;
    s01 += c.dy * c.dy;
    s11 += c.dx * c.dy;
  }
  s10 *= i10 / ((i10 - 1) * m);
  s01 *= i01 / ((i01 - 1) * n);
  s11 *= k / (k - 1);
  const variance = Math.max(0, s10 / m + s01 / n + (2 * s11) / (m * n));
  return { auc, variance, ci95: normalInterval(auc, variance) };
}

/**
 * Wilson interval of successes / trials over clustered trials: the proportion's cluster-robust
 * variance gives the effective number of trials (at most the trials; the clusters that have any
 * when the variance is 0); null with no trials or fewer than MIN_CLUSTERS clusters that have any.
 */
export function clusteredProportionInterval(success: ArrayLike<boolean>, clusterOf: ArrayLike<string>): [number, number] | null {
  const clusters = byPatient(clusterOf);
  const trials = success.length;
  if (trials === 0 || clusters.length < MIN_CLUSTERS) return null;
  let successes = 0;
  for (let i = 0; i < trials; i++) if (success[i]) successes++;
  const p = successes / trials;
  let ss = 0;
  for (const items of clusters) {
    let y = 0;
    for (const i of items) if (success[i]) y++;
    ss += (y - p * items.length) ** 2;
  }
  const variance = (clusters.length / (clusters.length - 1)) * ss / (trials * trials);
  const effective = variance > 0 && p > 0 && p < 1 ? Math.min(trials, (p * (1 - p)) / variance) : Math.min(trials, clusters.length);
  return wilsonInterval(p * effective, effective);
}

/** `method` of `patientIntervals`, in words. */
export const PATIENT_INTERVAL_METHOD = (patients: number) =>
  `95 %: volumes of one patient counted as one cluster (${patients} patients) — AUC by Obuchowski's clustered DeLong, SEN and SPE by Wilson score on the cluster-robust effective count`;

/**
 * AUC, SEN and SPE intervals with the volumes of one patient as a cluster: the items of
 * `abstainingMetrics` (predicted null: indeterminate) plus the patient of each.
 */
export function patientIntervals(predicted: ArrayLike<boolean | null>, actual: ArrayLike<boolean>, scores: ArrayLike<number>, patients: ArrayLike<string>): VolumeIntervals {
  const n = actual.length;
  if (predicted.length !== n || scores.length !== n || patients.length !== n) throw new RangeError(`patientIntervals: ${predicted.length} predictions, ${n} truths, ${scores.length} scores, ${patients.length} patients`);
  const decided = (covid: boolean) => {
    const success: boolean[] = [], of: string[] = [];
    for (let i = 0; i < n; i++) {
      const p = predicted[i];
      if (p === null || p === undefined || actual[i] !== covid) continue;
      success.push(p === covid);
      of.push(patients[i]!);
    }
    return clusteredProportionInterval(success, of);
  };
  const count = new Set(Array.from({ length: n }, (_, i) => patients[i]!)).size;
  return {
    auc: clusteredAucInterval(scores, actual, patients)?.ci95 ?? null,
    sen: decided(true),
    spe: decided(false),
    method: PATIENT_INTERVAL_METHOD(count),
    patients: count,
  };
}
