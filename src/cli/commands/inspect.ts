import path from 'node:path';
import type { Command } from 'commander';
import Table from 'cli-table3';
import { inspectPaths } from '../../core/ingest/inspect.js';
import type { InspectResult } from '../../core/ingest/types.js';
import { parsePositiveInt, parseSpacing, SPACING_HELP } from '../options.js';

export function registerInspect(program: Command, setExit: (code: number) => void): void {
  program
    .command('inspect')
    .description('Find and read every CT series under the given files and folders; report geometry, values and problems.')
    .argument('<paths...>', 'DICOM folders or files, NIfTI (.nii, .nii.gz), MetaImage (.mhd, .mha), folders of PNG/JPEG slices')
    .option('--json', 'print one JSON object {series, rejected, ignored} instead of a table')
    .option('--checksum', 'add valueSha256 (SHA-256 of the HU values) to each series')
    .option('--workers <n>', 'worker threads for reading and decoding (default: all cores)', parsePositiveInt)
    .option('--spacing <x,y,z>', SPACING_HELP, parseSpacing)
    .action(async (paths: string[], opts: { json?: boolean; checksum?: boolean; workers?: number; spacing?: [number, number, number] }) => {
      const result = await inspectPaths(paths, { checksum: Boolean(opts.checksum), ...(opts.workers ? { workers: opts.workers } : {}), ...(opts.spacing ? { spacingMm: opts.spacing } : {}) });
      // Patient identifiers stay out of what the command prints (it ends up in logs and tickets);
      // stray files are counted, not listed.
      const printable = { ...result, series: result.series.map(({ patient: _patient, ...s }) => s), ignored: result.ignored.length };
      process.stdout.write(opts.json ? `${JSON.stringify(printable, null, 2)}\n` : formatInspect(result));
      setExit(result.series.length > 0 ? 0 : 2);
    });
}

const fixed = (values: number[], digits: number) => values.map((v) => v.toFixed(digits)).join('×');
/** Paths under the working folder are shown relative to it, others in full. */
const displayPath = (p: string) => {
  const relative = path.relative(process.cwd(), p);
  return relative === '' ? '.' : relative.startsWith('..') ? p : relative;
};
const truncate = (text: string, n: number) => (text.length > n ? `${text.slice(0, n - 1)}…` : text);

/** The human-readable report: one row per series, then warnings and rejections. */
export function formatInspect(result: InspectResult): string {
  const lines: string[] = [];
  if (result.series.length > 0) {
    const table = new Table({
      head: ['#', 'source', 'mod.', 'description', 'columns×rows×slices', 'spacing mm', 'values', 'path'],
      style: { head: [], border: [] },
    });
    result.series.forEach((s, i) => {
      table.push([
        String(i + 1),
        s.source,
        s.modality || '—',
        truncate(s.seriesDescription || '—', 28),
        s.dimensions.join('×'),
        `${fixed(s.spacingMm, 2)}${s.spacingSource === 'header' ? '' : ` (${s.spacingSource})`}`,
        `${s.valueRange[0]}…${s.valueRange[1]} ${s.units === 'HU' ? 'HU' : '(uncalibrated)'}`,
        displayPath(s.path),
      ]);
    });
    lines.push(table.toString());
    // The same warning on many series (a folder of image stacks) is listed once.
    const bySentence = new Map<string, number[]>();
    result.series.forEach((s, i) => {
      for (const w of s.warnings) {
        const key = `${w.code}: ${w.message}`;
        bySentence.set(key, [...(bySentence.get(key) ?? []), i + 1]);
      }
    });
    for (const [sentence, numbers] of bySentence) lines.push(`  warning (series ${numbers.join(', ')}) ${sentence}`);
  } else {
    lines.push('No usable CT series found.');
  }
  if (result.rejected.length > 0) {
    lines.push('', `Rejected (${result.rejected.length}):`);
    for (const r of result.rejected) lines.push(`  ${r.path}\n    ${r.code}: ${r.message}`);
  }
  const ignored = result.ignored.length > 0 ? `, ${result.ignored.length} non-image file${result.ignored.length === 1 ? '' : 's'} ignored (${[...new Set(result.ignored.map((f) => path.basename(f)))].slice(0, 3).join(', ')}${result.ignored.length > 3 ? ', …' : ''})` : '';
  lines.push('', `${result.series.length} series, ${result.rejected.length} rejected${ignored}.`);
  return `${lines.join('\n')}\n`;
}
