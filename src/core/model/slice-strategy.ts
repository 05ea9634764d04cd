/**
 * Whole-volume inference without random sampling (the model card's `sliceStrategy`): the
 * detector was trained on ordered runs of `sliceCount` slices, so a volume of N slices is read as
 * P = ⌈N / sliceCount⌉ interleaved passes — pass j holds slices j, j + P, j + 2P, … in order — and
 * every slice is seen exactly once. The volume probability is the mean of the passes' COVID-19
 * probabilities; a slice's attention is its weight inside its pass scaled by (pass length / N),
 * so the volume's attention sums to 1 and stays comparable to the uniform weight 1/N.
 * The training package (training/inference.py) implements the same rule; the card names it.
 */

export interface SliceStrategy {
  kind: 'interleaved';
  /** Slices per pass (the training sequence length). */
  sliceCount: number;
}

/** The rule that turns attention into slice verdicts (the card's `slicePositiveRule`). */
export interface SlicePositiveRule {
  kind: 'attention-over-uniform';
  /** A slice is positive when the volume is positive and attention × N exceeds this factor. */
  factor: number;
}

/** The slice indices of each pass, in slice-index order. */
export function interleavedPasses(sliceTotal: number, strategy: SliceStrategy): number[][] {
  if (!Number.isInteger(sliceTotal) || sliceTotal < 1) throw new RangeError(`a volume needs at least one slice, got ${sliceTotal}`);
  if (!Number.isInteger(strategy.sliceCount) || strategy.sliceCount < 1) throw new RangeError(`sliceCount must be a positive integer, got ${strategy.sliceCount}`);
  const passes = Math.ceil(sliceTotal / strategy.sliceCount);
  const plan: number[][] = [];
  for (let j = 0; j < passes; j++) {
    const pass: number[] = [];
    for (let k = j; k < sliceTotal; k += passes) pass.push(k);
    plan.push(pass);
  }
  return plan;
}

/** What one pass of the network returned. */
export interface PassOutput {
  /** The two logits, order (non-covid, covid). */
  logits: ArrayLike<number>;
  /** Softmax over the pass's slices, one weight per slice of the pass. */
  attention: ArrayLike<number>;
}

/** softmax(logits)[1], computed stably. */
export function covidProbability(logits: ArrayLike<number>): number {
  const a = logits[0]!, b = logits[1]!;
  return 1 / (1 + Math.exp(a - b));
}

/** The passes' outputs merged into the volume's probability and per-slice attention (index order). */
export function combinePasses(sliceTotal: number, plan: readonly (readonly number[])[], outputs: readonly PassOutput[]): { probability: number; attention: Float64Array } {
  if (plan.length !== outputs.length) throw new RangeError(`${plan.length} passes planned, ${outputs.length} outputs`);
  const attention = new Float64Array(sliceTotal);
  let probability = 0;
  plan.forEach((pass, j) => {
    const out = outputs[j]!;
    if (out.attention.length !== pass.length) throw new RangeError(`pass ${j}: ${pass.length} slices but ${out.attention.length} attention weights`);
    probability += covidProbability(out.logits);
    const scale = pass.length / sliceTotal;
    pass.forEach((k, i) => (attention[k] = out.attention[i]! * scale));
  });
  return { probability: probability / plan.length, attention };
}

/** Slice verdicts by the card's rule (all negative when the volume is negative). */
export function slicePositives(attention: ArrayLike<number>, probability: number, threshold: number, rule: SlicePositiveRule): boolean[] {
  const n = attention.length;
  const volumePositive = probability >= threshold;
  return Array.from({ length: n }, (_, k) => volumePositive && attention[k]! * n > rule.factor);
}
