import { createHash } from 'node:crypto';
import path from 'node:path';
import { toRejection, type Rejection } from '../errors.js';
import { sniffImageSize } from '../formats/index.js';
import type { DicomInstance } from '../dicom/header.js';
import { valueSha256 } from './checksum.js';
import { dicomSeriesIdentity, type DicomSeriesIdentity } from './dicom-identity.js';
import { discover, type Candidate } from './discover.js';
import { loadSeries } from './load-series.js';
import { readPrefix } from './read-prefix.js';
import { buildSeries, type SeriesPlan } from './series-builder.js';
import type { InspectOptions, InspectResult, SeriesSummary } from './types.js';
import { Volume } from '../volume/volume.js';
import type { IngestPool } from './ingest-pool.js';

/** Files per header task: amortises messaging while keeping both threads busy. */
const HEADERS_PER_TASK = 16;

const shortHash = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 16);

/**
 * Called with each series as soon as it is read; the volume is not kept after the call returns.
 * DICOM series come with their identity (patient, study, the instance of each slice) for objects
 * derived from them; it is kept out of the summary, which is printed.
 */
export type VolumeVisitor = (summary: SeriesSummary, volume: Volume, dicom?: DicomSeriesIdentity) => void | Promise<void>;

export interface ReadSeriesOptions extends InspectOptions {
  onVolume?: VolumeVisitor;
  /** Told how many series (DICOM series and other volumes) will be read, once it is known. */
  onPlan?: (series: number) => void;
  /** After it aborts, no further series is read (what was found so far is returned). */
  signal?: AbortSignal;
}

/**
 * Finds every series under the given paths (DICOM folders, NIfTI, MetaImage, PNG/JPEG stacks, a
 * whole archive) and reads each one whole on the pool's threads, one series after another: the
 * reading of `lunglens inspect`, of an analysis (scan, app, listener) and of `lunglens prepare`.
 * One bad file or series becomes a rejection; nothing throws for bad input.
 */
export async function readSeries(paths: string[], pool: IngestPool, options: ReadSeriesOptions = {}): Promise<InspectResult> {
  const { candidates, rejected } = await discover(paths);
  const series: SeriesSummary[] = [];
  const emit = async (summary: SeriesSummary, volume: Volume, dicom?: DicomSeriesIdentity) => {
    if (options.checksum) summary.valueSha256 = await valueSha256(volume.voxels);
    series.push(summary);
    await options.onVolume?.(summary, volume, dicom);
  };
  const byKind = (kind: Candidate['kind']) => candidates.filter((c) => c.kind === kind).map((c) => c.path);

  // DICOM: headers in parallel, then series, then each series decoded by all threads.
  const dicomPaths = byKind('dicom');
  const headerTasks = [];
  for (let i = 0; i < dicomPaths.length; i += HEADERS_PER_TASK) {
    headerTasks.push(pool.call('readHeaders', { paths: dicomPaths.slice(i, i + HEADERS_PER_TASK) }));
  }
  const instances: DicomInstance[] = [];
  for (const r of await Promise.all(headerTasks)) {
    instances.push(...r.instances);
    rejected.push(...r.rejected);
  }
  const built = buildSeries(instances);
  rejected.push(...built.rejected);
  const imageGroups = groupImages(byKind('image'), rejected);
  options.onPlan?.(built.plans.length + byKind('nifti').length + byKind('metaimage').length + imageGroups.length);
  for (const planned of built.plans) {
    if (options.signal?.aborted) break;
    const { loaded, rejected: unreadable } = await loadSeries(planned, pool);
    rejected.push(...unreadable);
    if (!loaded) continue;
    const plan = loaded.plan;
    await emit({
      id: dicomSeriesId(plan),
      source: 'dicom',
      path: plan.folder,
      seriesInstanceUid: plan.seriesInstanceUid,
      studyInstanceUid: plan.studyInstanceUid,
      modality: plan.modality,
      seriesDescription: plan.seriesDescription,
      patient: plan.patient,
      dimensions: loaded.volume.dimensions,
      spacingMm: loaded.volume.spacingMm,
      originLps: loaded.volume.originLps,
      direction: loaded.volume.direction,
      units: 'HU',
      valueRange: loaded.valueRange,
      valueMean: loaded.valueMean,
      transferSyntaxUids: plan.transferSyntaxUids,
      warnings: loaded.warnings,
      files: [...new Set(plan.slices.map((s) => s.instance.path))],
    }, loaded.volume, dicomSeriesIdentity(plan));
  }

  // Volumes from other formats: one file each, or one stack per folder and image size.
  const formatJobs: { kind: 'nifti' | 'metaimage' | 'image-stack'; paths: string[] }[] = [
    ...byKind('nifti').map((p) => ({ kind: 'nifti' as const, paths: [p] })),
    ...byKind('metaimage').map((p) => ({ kind: 'metaimage' as const, paths: [p] })),
    ...imageGroups.map((g) => ({ kind: 'image-stack' as const, paths: g })),
  ];
  for (const job of formatJobs) {
    if (options.signal?.aborted) break;
    try {
      const r = await pool.call('readFormat', job);
      const volume = Volume.create({ ...r, voxels: new Int16Array(r.voxels) });
      const stats = r.statistics;
      await emit({
        id: shortHash(`${r.source}|${r.files.map((f: string) => path.basename(f)).join('|')}|${r.dimensions.join('x')}|${stats.mean}`),
        source: r.source,
        path: job.kind === 'image-stack' ? path.dirname(job.paths[0]!) : job.paths[0]!,
        seriesInstanceUid: '',
        studyInstanceUid: '',
        modality: 'CT',
        seriesDescription: r.description,
        patient: { name: '', id: '' },
        dimensions: r.dimensions,
        spacingMm: r.spacingMm,
        originLps: r.originLps,
        direction: r.direction,
        units: r.units,
        valueRange: [stats.min, stats.max],
        valueMean: stats.mean,
        transferSyntaxUids: [],
        warnings: r.warnings,
        files: r.files,
      }, volume);
    } catch (error) {
      rejected.push(toRejection(job.kind === 'image-stack' ? path.dirname(job.paths[0]!) : job.paths[0]!, error));
    }
  }
  return { series, rejected };
}

function dicomSeriesId(plan: SeriesPlan): string {
  const first = plan.slices[0]!;
  return shortHash(
    [plan.studyInstanceUid, plan.seriesInstanceUid, `${plan.columns}x${plan.rows}`, plan.direction.map((v) => v.toFixed(4)).join(','),
      (first.frame.positionLps ?? []).map((v) => v.toFixed(3)).join(','), plan.slices.length].join('|'),
  );
}

/** Images grouped by folder and size; unrecognised images become rejections. */
function groupImages(files: string[], rejected: Rejection[]): string[][] {
  const groups = new Map<string, string[]>();
  for (const file of files) {
    let size: ReturnType<typeof sniffImageSize>;
    try {
      size = sniffImageSize(readPrefix(file, 64 * 1024));
    } catch (error) {
      rejected.push(toRejection(file, error, 'unreadable'));
      continue;
    }
    if (!size) {
      rejected.push({ path: file, code: 'not-an-image', message: 'The file has an image extension but is not a PNG or JPEG image.' });
      continue;
    }
    const key = `${path.dirname(file)}|${size.width}x${size.height}`;
    groups.set(key, [...(groups.get(key) ?? []), file]);
  }
  return [...groups.values()];
}

