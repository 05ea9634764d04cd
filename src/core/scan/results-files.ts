/**
 * The scan's outputs: results.json (DESIGN.md §3), results.csv (one row per series) and the HTML
 * report — each written to a temporary file and renamed into place, so a reader never sees half.
 */
import path from 'node:path';
import { writeAtomically } from '../dataset/write-atomic.js';
import type { ScanItem, ScanResults } from './types.js';

export function summarize(items: readonly ScanItem[]): ScanResults['summary'] {
  return {
    series: items.length,
    ok: items.filter((i) => i.status === 'ok').length,
    error: items.filter((i) => i.status === 'error').length,
    skipped: items.filter((i) => i.status === 'skipped').length,
    covid: items.filter((i) => i.verdict === 'covid').length,
    nonCovid: items.filter((i) => i.verdict === 'non-covid').length,
  };
}

export const CSV_COLUMNS = ['id', 'status', 'verdict', 'probability', 'threshold', 'slices', 'positive_slices', 'top_slices', 'lung_volume_ml',
  'series_instance_uid', 'series_description', 'path', 'error_code', 'error_message', 'warnings', 'total_ms'] as const;

/** RFC 4180 field: quoted when it holds a comma, quote or line break; cells that a spreadsheet would run as a formula get a leading apostrophe. */
export function csvField(value: string | number | null | undefined): string {
  let text = value === null || value === undefined ? '' : String(value);
  if (/^[=+\-@\t\r]/.test(text) && typeof value === 'string') text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function resultsCsv(items: readonly ScanItem[]): string {
  const rows = items.map((i) => [
    i.id, i.status, i.verdict, i.probability === null ? null : i.probability.toFixed(6), i.threshold, i.sliceAttention.length || i.dimensions?.[2],
    i.slicePositive.filter(Boolean).length, i.topSlices.join(' '), i.lungVolumeMl, i.seriesInstanceUid, i.seriesDescription, i.path,
    i.error?.code, i.error?.message, i.warnings.map((w) => w.code).join(' '), i.timingsMs['total'],
  ].map(csvField).join(','));
  return [CSV_COLUMNS.join(','), ...rows].join('\r\n') + '\r\n';
}

export async function writeResults(dir: string, results: ScanResults, reportHtml: string | null): Promise<void> {
  await writeAtomically(path.join(dir, 'results.json'), [`${JSON.stringify(results, null, 1)}\n`]);
  await writeAtomically(path.join(dir, 'results.csv'), [resultsCsv(results.items)]);
  if (reportHtml !== null) await writeAtomically(path.join(dir, 'report.html'), [reportHtml]);
}
