import { LungLensError } from '../errors.js';
import { deriveSeed, Rng } from './random.js';
import type { ConfounderFinding, CovidFinding, PhantomCaseSpec } from './types.js';

export interface PlanOptions {
  count: number;
  seed: number | string;
  /** Fraction of COVID-19 cases (default 0.5); the count is rounded, the order shuffled. */
  positiveRate?: number;
  /** In-plane size (default 512). Other sizes scale the pixel spacing by 512 / size. */
  size?: number;
  /** Slice count range [min, max] (default [60, 160]). */
  slices?: [number, number];
}

/** Slice thicknesses scanners reconstruct (mm). */
const THICKNESSES = [0.625, 0.75, 1, 1.25, 1.5, 2, 2.5, 3, 5] as const;
/** Cranio-caudal coverage of a whole-chest scan (mm). */
const CHEST_MM: [number, number] = [250, 350];
const CONFOUNDERS: readonly ConfounderFinding[] = ['nodule', 'emphysema', 'atelectasis', 'effusion', 'motion'];

/**
 * Draws the specs of `count` cases from one seed: label, scanner (pixel spacing 0.5–0.9 mm at 512,
 * slice thickness, noise from standard to low dose, kernel, storage), COVID-19 findings and
 * extent, confounders. Whole-chest coverage (250–350 mm) wherever the slice range allows; one case
 * in five (or all, where no thickness fits) takes a thickness freely and may cover only part of
 * the chest, centred on the lungs.
 */
export function planCases(options: PlanOptions): PhantomCaseSpec[] {
  const { count, seed } = options;
  const positiveRate = options.positiveRate ?? 0.5;
  const size = options.size ?? 512;
  const [minSlices, maxSlices] = options.slices ?? [60, 160];
  const fail = (why: string): never => {
    throw new LungLensError('usage', `Cannot plan phantom cases: ${why}.`);
  };
  if (!Number.isInteger(count) || count < 0) fail(`count must be a whole number ≥ 0, got ${count}`);
  if (!(positiveRate >= 0 && positiveRate <= 1)) fail(`the positive rate must be within 0…1, got ${positiveRate}`);
  if (!Number.isInteger(size) || size < 16 || size > 2048) fail(`size must be an integer in 16…2048, got ${size}`);
  if (!Number.isInteger(minSlices) || !Number.isInteger(maxSlices) || minSlices < 1 || maxSlices < minSlices) {
    fail(`the slice range must be whole numbers 1 ≤ min ≤ max, got ${minSlices}..${maxSlices}`);
  }

  const run = new Rng(`${String(seed)}/plan`);
  const positives = Math.round(count * positiveRate);
  const labels = Array.from({ length: count }, (_, i) => i < positives);
  for (let i = labels.length - 1; i > 0; i--) {
    const j = run.int(0, i);
    [labels[i], labels[j]] = [labels[j]!, labels[i]!];
  }
  return labels.map((covid, i) => planOne(new Rng(`${String(seed)}/case/${i}`), i, deriveSeed(seed, `case/${i}`), covid, size, minSlices, maxSlices));
}

function planOne(rng: Rng, index: number, seed: number, covid: boolean, size: number, minSlices: number, maxSlices: number): PhantomCaseSpec {
  // Field of view 256–460 mm, i.e. 0.5–0.9 mm pixels at 512.
  const pixelSpacingMm = Math.round((rng.uniform(0.5, 0.9) * 512) / size * 1e4) / 1e4;
  const { thickness, slices } = drawCoverage(rng, minSlices, maxSlices);
  const lowDose = rng.chance(0.4);
  const noiseHu = Math.round((lowDose ? rng.uniform(18, 40) : rng.uniform(7, 14)) * 10) / 10;
  const kernel = rng.chance(0.5) ? 'smooth' : 'sharp';
  const storage = rng.chance(0.5) ? 'unsigned' : 'signed';

  let findings: { findings: CovidFinding[]; extent: number } | null = null;
  let confounders: ConfounderFinding[] = [];
  if (covid) {
    findings = drawCovidFindings(rng);
    if (rng.chance(0.25)) confounders = [rng.pick(CONFOUNDERS)];
  } else if (!rng.chance(0.15)) {
    const n = rng.int(1, 3);
    const pool = [...CONFOUNDERS];
    for (let k = 0; k < n; k++) confounders.push(pool.splice(rng.int(0, pool.length - 1), 1)[0]!);
    confounders.sort((a, b) => CONFOUNDERS.indexOf(a) - CONFOUNDERS.indexOf(b));
  }
  return {
    id: `case-${String(index + 1).padStart(4, '0')}`,
    seed,
    label: covid ? 'covid' : 'non-covid',
    size,
    slices,
    pixelSpacingMm,
    sliceThicknessMm: thickness,
    noiseHu,
    kernel,
    storage,
    covid: findings,
    confounders,
  };
}

/**
 * A COVID-19 case's findings: extent from early (0) to peak (1), skewed toward the early half;
 * ground glass always, crazy-paving and consolidation more likely the further it extends.
 */
export function drawCovidFindings(rng: Rng): { findings: CovidFinding[]; extent: number } {
  const extent = Math.round(Math.pow(rng.random(), 0.8) * 100) / 100;
  const findings: CovidFinding[] = ['ground-glass'];
  if (rng.chance(0.3 + 0.35 * extent)) findings.push('crazy-paving');
  if (rng.chance(0.2 + 0.55 * extent)) findings.push('consolidation');
  return { findings, extent };
}

/**
 * The findings of realism v2 and of inserted cases: as `drawCovidFindings`, and the organising
 * stage in one case in five (more at larger extent), alone with ground glass in a few.
 */
export function drawCovidFindingsV2(rng: Rng): { findings: CovidFinding[]; extent: number } {
  const extent = Math.round(Math.pow(rng.random(), 0.8) * 100) / 100;
  const findings: CovidFinding[] = ['ground-glass'];
  if (rng.chance(0.3 + 0.35 * extent)) findings.push('crazy-paving');
  if (rng.chance(0.2 + 0.55 * extent)) findings.push('consolidation');
  if (rng.chance(0.12 + 0.16 * extent)) findings.push('organizing');
  return { findings, extent };
}

function drawCoverage(rng: Rng, minSlices: number, maxSlices: number): { thickness: number; slices: number } {
  const [lo, hi] = CHEST_MM;
  const whole = THICKNESSES.filter((t) => Math.ceil(lo / t) <= maxSlices && Math.floor(hi / t) >= minSlices);
  if (whole.length && !rng.chance(0.2)) {
    const t = rng.pick(whole);
    return { thickness: t, slices: rng.int(Math.max(minSlices, Math.ceil(lo / t)), Math.min(maxSlices, Math.floor(hi / t))) };
  }
  // Free choice: at most a whole chest (or the fewest slices allowed), possibly partial.
  const fits = THICKNESSES.filter((t) => minSlices * t <= hi);
  const t = fits.length ? rng.pick(fits) : THICKNESSES[0];
  const most = Math.max(minSlices, Math.min(maxSlices, Math.floor(hi / t)));
  return { thickness: t, slices: rng.int(minSlices, most) };
}
