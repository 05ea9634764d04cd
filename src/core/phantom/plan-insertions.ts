import { LungLensError } from '../errors.js';
import { drawCovidFindingsV2 } from './plan.js';
import { deriveSeed, Rng } from './random.js';
import type { CovidFinding, PhantomLabel } from './types.js';

/** One case made from a real background: which one, the label, and the lesions' findings and extent. */
export interface InsertionSpec {
  /** e.g. "case-0007" */
  id: string;
  /** Seed of the case's own stream: where the lesions go, their shapes and textures. */
  seed: number;
  label: PhantomLabel;
  /** Index into the run's backgrounds. */
  background: number;
  /** COVID-19 cases: the phantom's patterns and extent (0 early … 1 peak); null: the background untouched. */
  covid: { findings: CovidFinding[]; extent: number } | null;
}

export interface InsertionPlanOptions {
  count: number;
  seed: number | string;
  /** Number of usable backgrounds. */
  backgrounds: number;
  /** Fraction of COVID-19 cases (default 0.5). */
  positiveRate?: number;
}

/**
 * Draws `count` cases over the backgrounds from one seed: each background gets ⌊count / n⌋ or one
 * more cases, and within it the positive rate (so no background is mostly positive or mostly
 * negative: the model cannot learn the label from the patient); then the order is shuffled.
 * Findings and extent are drawn as for v2 phantoms (`drawCovidFindingsV2`).
 */
export function planInsertions(o: InsertionPlanOptions): InsertionSpec[] {
  const positiveRate = o.positiveRate ?? 0.5;
  const fail = (why: string): never => {
    throw new LungLensError('usage', `Cannot plan inserted cases: ${why}.`);
  };
  if (!Number.isInteger(o.count) || o.count < 0) fail(`count must be a whole number ≥ 0, got ${o.count}`);
  if (!(positiveRate >= 0 && positiveRate <= 1)) fail(`the positive rate must be within 0…1, got ${positiveRate}`);
  if (!Number.isInteger(o.backgrounds) || o.backgrounds < 1) fail('at least one usable background is needed');
  const run = new Rng(`${String(o.seed)}/insert-plan`);
  const n = o.backgrounds;
  const pairs: { background: number; covid: boolean }[] = [];
  const target = Math.round(o.count * positiveRate);
  let positives = 0;
  for (let b = 0; b < n; b++) {
    const cases = Math.floor(o.count / n) + (b < o.count % n ? 1 : 0);
    // Hand out positives so the running total tracks the rate; the last background evens it out.
    const upTo = b === n - 1 ? target : Math.round(((pairs.length + cases) * target) / Math.max(1, o.count));
    const here = Math.max(0, Math.min(cases, upTo - positives));
    for (let c = 0; c < cases; c++) pairs.push({ background: b, covid: c < here });
    positives += here;
  }
  for (let i = pairs.length - 1; i > 0; i--) {
    const j = run.int(0, i);
    [pairs[i], pairs[j]] = [pairs[j]!, pairs[i]!];
  }
  return pairs.map(({ background, covid }, i) => {
    const rng = new Rng(`${String(o.seed)}/insert/${i}`);
    return {
      id: `case-${String(i + 1).padStart(4, '0')}`,
      seed: deriveSeed(o.seed, `insert/${i}`),
      label: covid ? 'covid' : 'non-covid',
      background,
      covid: covid ? drawCovidFindingsV2(rng) : null,
    };
  });
}
