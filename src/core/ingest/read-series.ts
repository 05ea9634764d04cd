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
  const { candidates, rejected, ignored } = await discover(paths);
  const series: SeriesSummary[] = [];
  const emit = async (found: Omit<SeriesSummary, 'spacingSource' | 'contiguous' | 'assumedWindow'>, read: Volume, dicom?: DicomSeriesIdentity) => {
    const given = options.spacingMm;
    const volume = given && read.spacing.source !== 'given' ? read.respaced(given, { source: 'given' }) : read;
    const summary: SeriesSummary = {
      ...found,
      spacingMm: volume.spacingMm,
      spacingSource: volume.spacing.source,
      contiguous: volume.contiguous,
      ...(volume.assumedWindow ? { assumedWindow: volume.assumedWindow } : {}),
      warnings: volume === read ? found.warnings : [...found.warnings, spacingGivenWarning(read, given!)],
    };
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
    // A stack of one image is that image; a stack of several, their folder.
    const where = job.kind === 'image-stack' && job.paths.length > 1 ? path.dirname(job.paths[0]!) : job.paths[0]!;
    try {
      const given = options.spacingMm ?? (job.kind === 'image-stack' ? options.imageStackSpacingMm : undefined);
      const read = await pool.call('readFormat', { ...job, ...(given ? { spacingMm: [...given] as [number, number, number] } : {}) });
      if (read.refused) {
        rejected.push({ path: where, code: read.refused.code, message: read.refused.message });
        continue;
      }
      const r = read;
      const volume = Volume.create({ ...r, voxels: new Int16Array(r.voxels) });
      const stats = r.statistics;
      await emit({
        // The spacing is part of it: a stack opened again with another spacing is another volume.
        id: shortHash(`${r.source}|${r.files.map((f: string) => path.basename(f)).join('|')}|${r.dimensions.join('x')}|${stats.mean}${r.source === 'image-stack' ? `|${r.spacingMm.join('x')}` : ''}`),
        source: r.source,
        path: where,
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
      rejected.push(toRejection(where, error));
    }
  }
  return { series, rejected, ignored };
}

function spacingGivenWarning(read: Volume, given: readonly number[]): { code: string; message: string } {
  const was = read.spacingMm.map((v) => Math.round(v * 1000) / 1000).join(' × ');
  return { code: 'spacing-given', message: `The spacing given, ${given.join(' × ')} mm, replaced the ${read.spacing.source === 'header' ? "file's" : 'estimated'} ${was} mm.` };
}

function dicomSeriesId(plan: SeriesPlan): string {
  const first = plan.slices[0]!;
  return shortHash(
    [plan.studyInstanceUid, plan.seriesInstanceUid, `${plan.columns}x${plan.rows}`, plan.direction.map((v) => v.toFixed(4)).join(','),
      (first.frame.positionLps ?? []).map((v) => v.toFixed(3)).join(','), plan.slices.length].join('|'),
  );
}

/**
 * Images grouped by folder, family of names and size (a series' slices are named alike: `img12.jpg`
 * and `mosmed_img3.jpg` of one folder are two sets); unrecognised images become rejections. Within one numbered
 * family of names (`slice_001.png` …: the name with its digits taken out), a size held by at least
 * 60 % of the family's images, and three or more, is the series' size: images of other sizes in
 * that family are refused (`mixed-image-sizes`) instead of becoming stacks of their own. Families
 * without such a size (single slices of different patients, each cropped differently) keep one
 * stack per size.
 */
function groupImages(files: string[], rejected: Rejection[]): string[][] {
  const sized: { file: string; size: string; family: string }[] = [];
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
    const family = `${path.dirname(file)}|${path.basename(file).toLowerCase().replace(/\d+/g, '#')}`;
    sized.push({ file, size: `${size.width}×${size.height}`, family });
  }
  const families = new Map<string, typeof sized>();
  for (const s of sized) families.set(s.family, [...(families.get(s.family) ?? []), s]);
  const kept: typeof sized = [];
  for (const members of families.values()) {
    const counts = new Map<string, number>();
    for (const m of members) counts.set(m.size, (counts.get(m.size) ?? 0) + 1);
    const [main, n] = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]!;
    const series = counts.size > 1 && n >= 3 && n >= 0.6 * members.length;
    for (const m of members) {
      if (series && m.size !== main) {
        rejected.push({ path: m.file, code: 'mixed-image-sizes', message: `This image is ${m.size} but ${n} of the ${members.length} images named like it in its folder are ${main}: the slices of one series share a size, so it was left out of their stack.` });
      } else kept.push(m);
    }
  }
  const groups = new Map<string, string[]>();
  for (const s of kept) {
    const key = `${s.family}|${s.size}`;
    groups.set(key, [...(groups.get(key) ?? []), s.file]);
  }
  return [...groups.values()];
}
