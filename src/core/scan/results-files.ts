/**
 * The scan's outputs: results.json (DESIGN.md §3), results.csv (one row per series) and the HTML
 * report — each written to a temporary file and renamed into place, so a reader never sees half.
 */
import path from 'node:path';
import { csvField } from '../util/csv.js';
import { writeAtomically } from '../util/write-atomically.js';
import type { SeriesResult } from '../analysis/index.js';
import type { ScanResults } from './results-schema.js';

export function summarize(items: readonly SeriesResult[]): ScanResults['summary'] {
  return {
    series: items.length,
    ok: items.filter((i) => i.status === 'ok').length,
    error: items.filter((i) => i.status === 'error').length,
    skipped: items.filter((i) => i.status === 'skipped').length,
    covid: items.filter((i) => i.verdict === 'covid').length,
    nonCovid: items.filter((i) => i.verdict === 'non-covid').length,
    // Only from a model that can abstain (its items carry reasons): otherwise results.json is as before.
    ...(items.some((i) => i.reasons !== undefined) ? { indeterminate: items.filter((i) => i.verdict === 'indeterminate').length } : {}),
  };
}

export const CSV_COLUMNS = ['id', 'status', 'verdict', 'probability', 'threshold', 'slices', 'positive_slices', 'top_slices', 'lung_volume_ml',
  'series_instance_uid', 'series_description', 'path', 'error_code', 'error_message', 'warnings', 'total_ms',
  // What was assumed about the input (DESIGN.md §3): the lung volume is an estimate where the spacing is.
  'units', 'calibrated', 'spacing_mm', 'spacing_source', 'contiguous',
  // Where the model's card lets it abstain (empty otherwise).
  'ood_score', 'reasons'] as const;

export function resultsCsv(items: readonly SeriesResult[]): string {
  const rows = items.map((i) => [
    i.id, i.status, i.verdict, i.probability === null ? null : i.probability.toFixed(6), i.threshold, i.sliceAttention.length || i.dimensions?.[2],
    i.slicePositive.filter(Boolean).length, i.topSlices.join(' '), i.lungVolumeMl, i.seriesInstanceUid, i.seriesDescription, i.path,
    i.error?.code, i.error?.message, i.warnings.map((w) => w.code).join(' '), i.timingsMs['total'],
    i.units, i.calibrated === undefined ? null : String(i.calibrated), i.spacingMm?.map((v) => Math.round(v * 1000) / 1000).join(' '), i.spacingSource, i.contiguous === undefined ? null : String(i.contiguous),
    i.oodScore === undefined || i.oodScore === null ? null : i.oodScore.toFixed(3), i.reasons?.map((r) => r.message).join(' '),
  ].map(csvField).join(','));
  return [CSV_COLUMNS.join(','), ...rows].join('\r\n') + '\r\n';
}

export async function writeResults(dir: string, results: ScanResults, reportHtml: string | null): Promise<void> {
  await writeAtomically(path.join(dir, 'results.json'), [`${JSON.stringify(results, null, 1)}\n`]);
  await writeAtomically(path.join(dir, 'results.csv'), [resultsCsv(results.items)]);
  if (reportHtml !== null) await writeAtomically(path.join(dir, 'report.html'), [reportHtml]);
}
