import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { toRejection, type Rejection } from '../../core/errors.js';
import type { DicomInstance } from '../../core/dicom/header.js';
import { writeNifti } from '../../core/formats/nifti-write.js';
import { discover, type Candidate } from '../../core/ingest/discover.js';
import { loadSeries } from '../../core/ingest/load-series.js';
import { buildSeries } from '../../core/ingest/series-builder.js';
import { IngestPool } from '../../core/ingest/worker-pool.js';
import { computeLungMask, DEFAULT_LUNG_MASK_OPTIONS } from '../../core/lung/index.js';
import { Volume } from '../../core/volume/volume.js';
import { parsePositiveInt } from '../options.js';

/** Exit codes (DESIGN.md §3): 2 when nothing usable was found, including no lung. */
const EXIT_NOTHING = 2;
const HEADERS_PER_TASK = 16;

export function registerMask(program: Command, setExit: (code: number) => void): void {
  program
    .command('mask')
    .description('Find the lungs in the largest CT series under PATH and write the mask as NIfTI (uint8, same voxel grid and affine).')
    .argument('<path>', 'a DICOM folder or file, NIfTI (.nii, .nii.gz) or MetaImage (.mhd, .mha)')
    .requiredOption('--out <file>', 'the mask to write (.nii or .nii.gz)')
    .option('--dilated', `write the mask dilated by ${DEFAULT_LUNG_MASK_OPTIONS.dilationMm} mm (what the model sees) instead of the per-lung convex-hulled mask`)
    .option('--json', 'print { lungVolumeMl, slicesWithLung } (with status and reason when no lung was found)')
    .option('--workers <n>', 'worker threads for reading and decoding (default: all cores)', parsePositiveInt)
    .action(async (input: string, opts: { out: string; dilated?: boolean; json?: boolean; workers?: number }) => {
      const print = (text: string) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
      const pool = new IngestPool(opts.workers);
      let loaded: LoadedVolume;
      try {
        loaded = await loadLargestVolume([input], pool);
      } finally {
        await pool.close();
      }
      if (!loaded.volume) {
        const reason = 'No usable CT series was found.';
        if (opts.json) print(JSON.stringify({ status: 'no-series', reason, rejected: loaded.rejected }, null, 2));
        else print([reason, ...loaded.rejected.map((r) => `  ${r.path}\n    ${r.code}: ${r.message}`)].join('\n'));
        setExit(EXIT_NOTHING);
        return;
      }
      const volume = loaded.volume;
      const result = computeLungMask(volume);
      const summary = { lungVolumeMl: Math.round(result.lungVolumeMl * 10) / 10, slicesWithLung: result.slicesWithLung };
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
        print(`Lungs: ${summary.lungVolumeMl.toFixed(0)} mL in ${summary.slicesWithLung} of ${volume.dimensions[2]} slices (${loaded.path}) → ${out}${opts.dilated ? ' (dilated)' : ''}`);
      }
      setExit(0);
    });
}

interface LoadedVolume {
  /** The largest usable series (by voxel count), or null. */
  volume: Volume | null;
  /** Where it came from (folder or file). */
  path: string;
  rejected: Rejection[];
}

/**
 * The Volume of the largest series under the given paths — the part of `inspectWithPool` that
 * keeps the voxels. Non-DICOM volumes are read first (one file each); DICOM series are planned
 * from their headers and only the largest is decoded (the next one if it cannot be).
 * TODO(core/ingest): belongs beside `inspectWithPool`; kept here until it moves.
 */
export async function loadLargestVolume(paths: string[], pool: IngestPool): Promise<LoadedVolume> {
  const { candidates, rejected } = await discover(paths);
  const byKind = (kind: Candidate['kind']) => candidates.filter((c) => c.kind === kind).map((c) => c.path);
  let best: { volume: Volume; path: string } | null = null;
  const voxelsOf = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);

  const images = new Map<string, string[]>();
  for (const file of byKind('image')) images.set(path.dirname(file), [...(images.get(path.dirname(file)) ?? []), file]);
  const jobs = [
    ...byKind('nifti').map((p) => ({ kind: 'nifti' as const, paths: [p] })),
    ...byKind('metaimage').map((p) => ({ kind: 'metaimage' as const, paths: [p] })),
    ...[...images.values()].map((files) => ({ kind: 'image-stack' as const, paths: files })),
  ];
  for (const job of jobs) {
    const where = job.kind === 'image-stack' ? path.dirname(job.paths[0]!) : job.paths[0]!;
    try {
      const r = await pool.call('readFormat', job);
      if (best && voxelsOf(r.dimensions) <= voxelsOf(best.volume.dimensions)) continue;
      const volume = Volume.create({
        dimensions: r.dimensions, spacingMm: r.spacingMm, originLps: r.originLps, direction: r.direction,
        voxels: new Int16Array(r.voxels), units: r.units, ...(r.assumedWindow ? { assumedWindow: r.assumedWindow } : {}),
      });
      best = { volume, path: where };
    } catch (error) {
      rejected.push(toRejection(where, error));
    }
  }

  const dicom = byKind('dicom');
  const tasks = [];
  for (let i = 0; i < dicom.length; i += HEADERS_PER_TASK) tasks.push(pool.call('readHeaders', { paths: dicom.slice(i, i + HEADERS_PER_TASK) }));
  const instances: DicomInstance[] = [];
  for (const r of await Promise.all(tasks)) {
    instances.push(...r.instances);
    rejected.push(...r.rejected);
  }
  const built = buildSeries(instances);
  rejected.push(...built.rejected);
  const plans = built.plans.sort((a, b) => b.columns * b.rows * b.slices.length - a.columns * a.rows * a.slices.length);
  for (const plan of plans) {
    if (best && plan.columns * plan.rows * plan.slices.length <= voxelsOf(best.volume.dimensions)) break;
    const { loaded, rejected: unreadable } = await loadSeries(plan, pool);
    rejected.push(...unreadable);
    if (loaded) {
      best = { volume: loaded.volume, path: loaded.plan.folder };
      break;
    }
  }
  return { volume: best?.volume ?? null, path: best?.path ?? '', rejected };
}
