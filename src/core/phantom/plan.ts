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
  /**
   * Slice count range [min, max] (default [60, 160] in v1, [20, 200] in v2). v2 draws only
   * thicknesses whose min slices fit in 400 mm (10 mm slices need a floor of 40 or less).
   */
  slices?: [number, number];
  /** `v1` (default): the generator the shipped model was trained on; `v2`: real scanners' variety. */
  realism?: 'v1' | 'v2';
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
  const v2 = options.realism === 'v2';
  const [minSlices, maxSlices] = options.slices ?? (v2 ? [20, 200] : [60, 160]);
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
  const stream = v2 ? 'case-v2' : 'case';
  const draw = v2 ? planOneV2 : planOne;
  return labels.map((covid, i): PhantomCaseSpec => ({
    id: `case-${String(i + 1).padStart(4, '0')}`,
    seed: deriveSeed(seed, `${stream}/${i}`),
    label: covid ? 'covid' : 'non-covid',
    size,
    ...draw(new Rng(`${String(seed)}/${stream}/${i}`), covid, size, minSlices, maxSlices),
  }));
}

/** What a case's own stream draws: everything but its identity (id, seed, label, size). */
type DrawnSpec = Omit<PhantomCaseSpec, 'id' | 'seed' | 'label' | 'size'>;

function planOne(rng: Rng, covid: boolean, size: number, minSlices: number, maxSlices: number): DrawnSpec {
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
  return { slices, pixelSpacingMm, sliceThicknessMm: thickness, noiseHu, kernel, storage, covid: findings, confounders };
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
  // Consolidation is rare in early scans and common at the peak.
  if (rng.chance(0.08 + 0.67 * extent)) findings.push('consolidation');
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

/** Slice thicknesses of realism v2 (mm) and how often each is drawn: clinical thin to PET/CT and old thick. */
const THICKNESSES_V2: readonly [number, number][] = [
  [0.625, 1], [1, 2], [1.25, 2], [1.5, 1], [2, 2], [2.5, 2], [3, 2], [4, 1], [5, 3], [6, 1], [7.5, 1], [8, 1.5], [10, 1],
];
const CONFOUNDERS_V2: readonly [ConfounderFinding, number][] = [
  ['dependent-density', 4], ['atelectasis', 3], ['plate-atelectasis', 2], ['nodule', 2], ['nodules', 2], ['mass', 2],
  ['emphysema', 2.5], ['fibrosis', 1.5], ['effusion', 2], ['motion', 2.5], ['sternotomy', 1], ['clips', 1], ['lobectomy', 0.8],
];

function weighted<T>(rng: Rng, items: readonly (readonly [T, number])[]): T {
  const total = items.reduce((a, [, w]) => a + w, 0);
  let r = rng.random() * total;
  for (const [item, w] of items) {
    r -= w;
    if (r < 0) return item;
  }
  return items[items.length - 1]![0];
}

/**
 * Realism v2: the scanners and patients real chest CT comes from. Thickness 0.625–10 mm, a third
 * of thin-to-medium series reconstructed with overlap; smooth (PET/CT attenuation CT), standard
 * and sharp lung kernels as a continuous blur and edge gain, with noise from standard to very low
 * dose (sharp kernels are the noisiest); reconstruction circles inside the image with −1024,
 * −2000 or −3024 outside, declared as padding or not; one case in eight prone; arms down in two
 * of five. Confounders (up to four in non-COVID cases, none in one in ten; up to two in half the
 * COVID cases, so that no finding alone gives the label away).
 */
function planOneV2(rng: Rng, covid: boolean, size: number, minSlices: number, maxSlices: number): DrawnSpec {
  // An adult, and a field of view that fits them: tight with the arms up, wider with the arms
  // down, wide on PET/CT-style scans (the arms may still be cut off at its edge).
  const arms = rng.chance(0.4) ? 'down' as const : 'up' as const;
  const bodyWidthMm = Math.round(rng.uniform(280, 390));
  const fill = arms === 'down' ? rng.uniform(0.5, 0.7) : rng.chance(0.2) ? rng.uniform(0.5, 0.7) : rng.uniform(0.72, 0.92);
  const pixelSpacingMm = Math.round(Math.min(1.4, Math.max(0.45, bodyWidthMm / fill / 512)) * 512 / size * 1e4) / 1e4;
  // Thicknesses whose fewest slices still fit in 400 mm (the slice range is a contract).
  const fits = THICKNESSES_V2.filter(([t]) => minSlices * t <= 400);
  const thickness = weighted(rng, fits.length ? fits : THICKNESSES_V2.slice(0, 1));
  const overlap = thickness >= 1.25 && thickness <= 5 && rng.chance(0.33);
  const sliceSpacingMm = overlap ? Math.max(0.5, Math.round(thickness * rng.uniform(0.5, 0.8) * 4) / 4) : thickness;
  // Whole chest in four cases of five, within the slice range (beyond it, a partial scan centred
  // on the lungs, or a little beyond the chest).
  const coverage = rng.chance(0.8) ? rng.uniform(250, 350) : rng.uniform(120, 250);
  const slices = Math.min(maxSlices, Math.max(minSlices, Math.round(coverage / sliceSpacingMm)));
  const kernel = weighted(rng, [['smooth', 1], ['standard', 1.2], ['sharp', 1]] as const);
  const blurPx = kernel === 'smooth' ? rng.uniform(1.0, 1.8) : kernel === 'standard' ? rng.uniform(0.7, 1.1) : rng.uniform(0.6, 0.9);
  const edgeGain = kernel === 'smooth' ? 0 : kernel === 'standard' ? rng.uniform(0, 0.6) : rng.uniform(1.3, 1.9);
  const dose = rng.random();
  const base = kernel === 'smooth' ? [5, 14] : kernel === 'standard' ? [8, 20] : [18, 45];
  // Low dose in two cases of five: noise up to ≈ 2.5 times higher.
  const noiseHu = Math.round(rng.uniform(base[0]!, base[1]!) * (dose < 0.6 ? 1 : rng.uniform(1.4, 2.5)) * 10) / 10;
  const storage = rng.chance(0.5) ? 'unsigned' : 'signed';
  const circle = rng.chance(0.45);
  const outsideHu = rng.pick([-1024, -1024, -2000, -3024]);
  const v2 = {
    sliceSpacingMm,
    blurPx: Math.round(blurPx * 100) / 100,
    edgeGain: Math.round(edgeGain * 100) / 100,
    fovFraction: circle ? Math.round(rng.uniform(0.86, 0.99) * 1000) / 1000 : 1,
    outsideHu,
    paddingDeclared: outsideHu !== -1024 && rng.chance(0.5),
    position: rng.chance(0.125) ? 'prone' as const : 'supine' as const,
    arms,
    bodyWidthMm,
  };
  let findings: { findings: CovidFinding[]; extent: number } | null = null;
  let confounders: ConfounderFinding[] = [];
  const pool = [...CONFOUNDERS_V2];
  const draw = (n: number) => {
    for (let k = 0; k < n && pool.length; k++) {
      const c = weighted(rng, pool);
      confounders.push(c);
      pool.splice(pool.findIndex(([x]) => x === c), 1);
    }
  };
  if (covid) {
    findings = drawCovidFindingsV2(rng);
    if (rng.chance(0.5)) draw(rng.int(1, 2));
  } else if (!rng.chance(0.1)) {
    draw(rng.int(1, 4));
  }
  const order = CONFOUNDERS_V2.map(([c]) => c);
  confounders = confounders.sort((a, b) => order.indexOf(a) - order.indexOf(b));
  return { slices, pixelSpacingMm, sliceThicknessMm: thickness, noiseHu, kernel, storage, covid: findings, confounders, v2 };
}
