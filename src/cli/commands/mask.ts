import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { writeNifti } from '../../core/formats/index.js';
import { openLargestVolume } from '../../core/ingest/open-volume.js';
import { computeLungMask, DEFAULT_LUNG_MASK_OPTIONS } from '../../core/lung/index.js';
import { parsePositiveInt, parseSpacing, SPACING_HELP } from '../options.js';

/** Exit codes (DESIGN.md §3): 2 when nothing usable was found, including no lung. */
const EXIT_NOTHING = 2;

export function registerMask(program: Command, setExit: (code: number) => void): void {
  program
    .command('mask')
    .description('Find the lungs in the largest CT series under PATH and write the mask as NIfTI (uint8, same voxel grid and affine).')
    .argument('<path>', 'a DICOM folder or file, NIfTI (.nii, .nii.gz) or MetaImage (.mhd, .mha)')
    .requiredOption('--out <file>', 'the mask to write (.nii or .nii.gz)')
    .option('--dilated', `write the mask dilated by ${DEFAULT_LUNG_MASK_OPTIONS.dilationMm} mm (what the model sees) instead of the per-lung convex-hulled mask`)
    .option('--json', 'print { lungVolumeMl, slicesWithLung } (with status and reason when no lung was found)')
    .option('--workers <n>', 'worker threads for reading and decoding (default: all cores)', parsePositiveInt)
    .option('--spacing <x,y,z>', SPACING_HELP, parseSpacing)
    .action(async (input: string, opts: { out: string; dilated?: boolean; json?: boolean; workers?: number; spacing?: [number, number, number] }) => {
      const print = (text: string) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
      const loaded = await openLargestVolume([input], { ...(opts.workers ? { workers: opts.workers } : {}), ...(opts.spacing ? { spacingMm: opts.spacing } : {}) });
      if (!loaded.series) {
        const reason = 'No usable CT series was found.';
        if (opts.json) print(JSON.stringify({ status: 'no-series', reason, rejected: loaded.rejected }, null, 2));
        else print([reason, ...loaded.rejected.map((r) => `  ${r.path}\n    ${r.code}: ${r.message}`)].join('\n'));
        setExit(EXIT_NOTHING);
        return;
      }
      const volume = loaded.series.volume;
      const result = computeLungMask(volume);
      // What was assumed (DESIGN.md §3): a lung volume from an estimated spacing is an estimate.
      const assumed = volume.units === 'HU' && volume.spacing.source === 'header' && volume.contiguous
        ? {}
        : { calibrated: volume.units === 'HU', spacingMm: volume.spacingMm, spacingSource: volume.spacing.source, contiguous: volume.contiguous, warnings: [...loaded.series.summary.warnings, ...(result.warnings ?? [])] };
      const summary = { lungVolumeMl: Math.round(result.lungVolumeMl * 10) / 10, slicesWithLung: result.slicesWithLung, ...assumed };
      if (result.status !== 'ok') {
        if (opts.json) print(JSON.stringify({ ...summary, status: result.status, reason: result.reason }, null, 2));
        else print(`No mask written: ${result.reason ?? result.status}`);
        setExit(EXIT_NOTHING);
        return;
      }
      const out = path.resolve(opts.out);
      await fs.mkdir(path.dirname(out), { recursive: true });
      await writeNifti(out, {
        geometry: volume,
        data: opts.dilated ? result.dilatedMask : result.mask,
        description: opts.dilated ? `LungLens lung mask, dilated ${DEFAULT_LUNG_MASK_OPTIONS.dilationMm} mm` : 'LungLens lung mask',
      });
      if (opts.json) print(JSON.stringify(summary, null, 2));
      else {
        const estimate = volume.spacing.source === 'estimated' || !volume.contiguous ? ' (an estimate: the spacing was estimated from anatomy)' : '';
        print(`Lungs: ${summary.lungVolumeMl.toFixed(0)} mL${estimate} in ${summary.slicesWithLung} of ${volume.dimensions[2]} slices (${loaded.series.summary.path}) → ${out}${opts.dilated ? ' (dilated)' : ''}`);
        for (const w of [...(volume.units === 'HU' ? [] : loaded.series.summary.warnings), ...(result.warnings ?? [])]) print(`  ${w.code}: ${w.message}`);
      }
      setExit(0);
    });
}

