/**
 * What an analysis had to assume about its input, in plain words, for everything that shows a
 * result (the reading room's band beside the verdict, the HTML report, the CSV): uncalibrated
 * grey levels read through a recognised window, a spacing estimated from anatomy or given, a sparse
 * set of slices, a pre-masked export. The sentences are the reader's and the lung mask's own
 * warnings (each says what was found and assumed); this module only picks and orders them.
 */
import type { SeriesResult } from './series-result.js';

/** Warning codes that are assumptions about the input, in the order they are shown. */
export const ASSUMPTION_CODES = [
  'values-uncalibrated', 'inverted-rendering', 'rendering-per-slice', 'pre-masked',
  'spacing-estimated', 'spacing-given', 'not-contiguous',
] as const;

export interface Assumptions {
  /** A short title for the band: "Uncalibrated input", or what else was assumed. */
  title: string;
  /** One sentence per assumption. */
  lines: string[];
  /** The lung volume rests on an estimated spacing (or a sparse set): show it as an estimate. */
  lungVolumeEstimated: boolean;
}

/** The assumptions behind a result, or null when its input needed none (calibrated, header spacing, contiguous). */
export function assumptionsOf(result: Pick<SeriesResult, 'units' | 'calibrated' | 'spacingSource' | 'contiguous' | 'warnings'>): Assumptions | null {
  const order = new Map<string, number>(ASSUMPTION_CODES.map((c, i) => [c, i]));
  const lines = result.warnings
    .filter((w) => order.has(w.code))
    .sort((a, b) => order.get(a.code)! - order.get(b.code)!)
    .map((w) => w.message);
  const uncalibrated = result.calibrated === false || result.units === 'unknown';
  if (lines.length === 0 && !uncalibrated && result.spacingSource !== 'estimated' && result.contiguous !== false) return null;
  const title = uncalibrated ? 'Uncalibrated input'
    : result.contiguous === false ? 'Sparse slices'
      : result.spacingSource === 'estimated' ? 'Spacing estimated'
        : 'Assumptions';
  if (uncalibrated && !lines.some((l) => /Hounsfield/.test(l))) lines.unshift('The values are not Hounsfield units: they were read from grey levels.');
  return { title, lines, lungVolumeEstimated: result.spacingSource === 'estimated' || result.contiguous === false };
}

/** A lung volume as text, marked as an estimate where it rests on assumptions: "≈ 2,140 mL (estimated)". */
export function lungVolumeText(result: Pick<SeriesResult, 'lungVolumeMl' | 'spacingSource' | 'contiguous'>): string | null {
  if (result.lungVolumeMl === null) return null;
  const ml = Math.round(result.lungVolumeMl).toLocaleString('en-US');
  return result.spacingSource === 'estimated' || result.contiguous === false ? `≈ ${ml} mL (estimated)` : `${ml} mL`;
}
