/**
 * `lunglens prepare`: every series under the given paths becomes the two tensors the detector
 * reads (DESIGN.md §4) — the slices through `prepareSlice`, the dilated lung mask through
 * `prepareMask` — written as .npy files with a manifest (manifest.ts) for the Python training
 * package. The one implementation of preprocessing; Python only reads the result.
 *
 * Reading runs on the ingest worker pool; the lung mask, the tensors and the files of each volume
 * on a second pool (prepare-worker.ts), one volume per thread, while the first pool reads the
 * next series: both cores of a 2-core machine are busy, and at most one volume per preparing
 * thread plus the one being read is in memory. One bad series becomes a rejection and never stops the run; failing to write the
 * output does.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { readSeries } from '../ingest/read-series.js';
import type { SeriesSummary } from '../ingest/types.js';
import { IngestPool } from '../ingest/ingest-pool.js';
import type { InputPreprocessing } from '../model/preprocess.js';
import type { Volume } from '../volume/volume.js';
import type { LabelCase, Labels } from './labels.js';
import { MANIFEST_FORMAT, MANIFEST_VERSION, type PreparedCase, type PreparedManifest, type PrepareRejection } from './manifest.js';
import type { PrepareCaseResult } from './prepare-worker.js';
import type * as PrepareWorker from './prepare-worker.js';
import { defaultThreads, WorkerPool } from '../workers/worker-pool.js';
import { writeAtomically } from '../util/write-atomically.js';

export interface PrepareOptions {
  /** Output folder: manifest.json and cases/. */
  out: string;
  preprocessing: InputPreprocessing;
  /** When given, every series must have a label (else it is rejected as `unlabeled`). */
  labels?: Labels | null;
  /** Files never to report as rejected inputs (the labels file when it sits among the inputs). */
  ignore?: string[];
  /** Threads of each pool, reading and preparing (default: all cores to read, all but one to prepare). */
  workers?: number;
  /** `lunglens <version>`. */
  createdBy: string;
  /** Voxel spacing [x, y, z] mm given by the user (`--spacing`): replaces the header's or the estimate. */
  spacingMm?: [number, number, number];
  /** Called after each series, prepared or rejected. */
  onSeries?: (event: { prepared?: PreparedCase; rejected?: PrepareRejection; timingsMs: { mask: number; tensors: number; write: number } }) => void;
}

/** The output could not be written (disk full, no permission): the run stops, with this sentence. */
export class PrepareOutputError extends Error {
  override readonly name = 'PrepareOutputError';
}

/** Ids become file names: letters, digits, `.`, `_`, `-`, not starting with a dot. */
const SAFE_ID = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/;

/**
 * Prepares every series under `paths` into `options.out` and writes `manifest.json` last
 * (atomically; a manifest of an earlier run is removed first, so an interrupted run leaves none).
 * Never throws for bad input: unusable files and series are in `rejected`.
 */
export async function prepareDataset(paths: string[], options: PrepareOptions): Promise<PreparedManifest> {
  const out = path.resolve(options.out);
  const manifestFile = path.join(out, 'manifest.json');
  try {
    await fs.mkdir(path.join(out, 'cases'), { recursive: true });
    await fs.rm(manifestFile, { force: true });
  } catch (error) {
    throw new PrepareOutputError(`The output folder ${out} cannot be written: ${(error as Error).message}`);
  }

  const pre = options.preprocessing;
  const cases: { order: number; prepared: PreparedCase }[] = [];
  const rejected: { order: number; rejection: PrepareRejection }[] = [];
  const usedIds = new Set<string>();
  const usedLabels = new Set<LabelCase>();
  const noTimings = { mask: 0, tensors: 0, write: 0 };
  const reject = (order: number, rejection: PrepareRejection) => {
    rejected.push({ order, rejection });
    options.onSeries?.({ rejected: rejection, timingsMs: noTimings });
  };

  /** The case's id and label, or why it cannot be prepared; reserves both. */
  const admit = (summary: SeriesSummary, slices: number): { id: string; label: LabelCase | undefined } | Omit<PrepareRejection, 'path'> => {
    const label = options.labels?.find(summary.seriesInstanceUid, summary.path);
    if (options.labels && !label) {
      return {
        code: 'unlabeled',
        message: summary.seriesInstanceUid
          ? `The labels file has no case with this series' SeriesInstanceUID (${summary.seriesInstanceUid}).`
          : 'The labels file has no case for this file: a series without a SeriesInstanceUID (NIfTI, MetaImage, image stack) is matched by the path labels.json gives it.',
      };
    }
    if (label && usedLabels.has(label)) return { code: 'duplicate-series', message: `Label "${label.id}" already went to another series with the same identity; a label is used once.` };
    const id = label?.id ?? summary.id;
    if (!SAFE_ID.test(id)) return { code: 'invalid-id', message: `The case id "${id}" cannot be used in a file name (letters, digits, ".", "_" and "-" only).` };
    if (usedIds.has(id)) return { code: 'duplicate-series', message: `Another series was already prepared as "${id}".` };
    if (label?.slicePositive && label.slicePositive.length !== slices) {
      return { code: 'slice-count-mismatch', message: `The label of "${id}" gives slicePositive for ${label.slicePositive.length} slices, but the series has ${slices}; the slice truth cannot be aligned, so the case is left out.` };
    }
    usedIds.add(id);
    if (label) usedLabels.add(label);
    return { id, label };
  };

  const ingest = new IngestPool(options.workers);
  // By default one core reads while the others prepare: each preparing thread pays its own JIT
  // warm-up (≈ 2–3 s of CPU), which a second thread on a 2-core machine shared with other work did
  // not earn back (measured: 20 phantoms, 17–19 s with one thread, 23–28 s with two).
  const compute = new WorkerPool<typeof PrepareWorker>(import.meta.url, './prepare-worker', { threads: options.workers ?? Math.max(1, defaultThreads() - 1) });
  const inFlight = new Set<Promise<void>>();
  let writeError: unknown = null;
  let order = 0;

  const prepareOne = async (summary: SeriesSummary, volume: Volume, index: number): Promise<void> => {
    const slices = volume.dimensions[2];
    const admitted = admit(summary, slices);
    if (!('id' in admitted)) return reject(index, { path: summary.path, ...admitted });
    const { id, label } = admitted;
    const slicesFile = `cases/${id}-slices.npy`;
    const masksFile = `cases/${id}-masks.npy`;
    const task = {
      volume: {
        dimensions: volume.dimensions, spacingMm: volume.spacingMm, originLps: volume.originLps, direction: volume.direction,
        voxels: volume.voxels, ...volume.provenance,
      },
      preprocessing: pre,
      slicesPath: path.join(out, slicesFile),
      masksPath: path.join(out, masksFile),
    };
    let result: PrepareCaseResult;
    try {
      result = await compute.call('prepareCase', task);
    } catch (error) {
      // The worker itself failed (out of memory, a crash): this volume is lost, the run goes on.
      result = { ok: false, code: 'prepare-failed', message: `The case could not be prepared: ${error instanceof Error ? error.message : String(error)}` };
    }
    if (!result.ok && result.fatal) throw new PrepareOutputError(result.message);
    if (!result.ok) return reject(index, { path: summary.path, code: result.code as PrepareRejection['code'], message: result.message });
    const prepared: PreparedCase = {
      id,
      seriesInstanceUid: summary.seriesInstanceUid || label?.seriesInstanceUid || '',
      source: path.resolve(summary.path),
      label: label?.label ?? null,
      // the manifest's slice truth is whole or absent (a partly marked review gives the volume label only)
      slicePositive: label?.slicePositive && label.slicePositive.every((v) => v !== null) ? label.slicePositive.map((v) => v === true) : null,
      slices,
      lungVolumeMl: Math.round(result.lungVolumeMl * 10) / 10,
      lungStatus: result.lungStatus,
      slicesFile,
      masksFile,
    };
    cases.push({ order: index, prepared });
    options.onSeries?.({ prepared, timingsMs: result.timingsMs });
  };

  let inspected;
  try {
    inspected = await readSeries(paths, ingest, {
      ...(options.spacingMm ? { spacingMm: options.spacingMm } : {}),
      // One volume per compute thread at a time, while the ingest pool reads the next one.
      onVolume: async (summary, volume) => {
        while (inFlight.size >= compute.threads) await Promise.race(inFlight);
        if (writeError) return;
        const job: Promise<void> = prepareOne(summary, volume, order++)
          .catch((error: unknown) => void (writeError ??= error)) // failing to write the output ends the run
          .finally(() => inFlight.delete(job));
        inFlight.add(job);
      },
    });
    await Promise.all(inFlight);
  } finally {
    await Promise.all([ingest.close(), compute.close()]);
  }
  if (writeError) throw writeError;

  const ignore = new Set((options.ignore ?? []).map((p) => path.resolve(p)));
  const inputRejections = inspected.rejected.filter((r) => {
    const p = path.resolve(r.path);
    return !ignore.has(p) && p !== out && !p.startsWith(out + path.sep);
  });
  const manifest: PreparedManifest = {
    format: MANIFEST_FORMAT,
    version: MANIFEST_VERSION,
    preprocessing: { size: pre.size, huWindow: { ...pre.huWindow }, normalization: { ...pre.normalization }, ...(pre.crop ? { crop: { ...pre.crop } } : {}) },
    mask: 'dilated',
    createdBy: options.createdBy,
    cases: cases.sort((a, b) => a.order - b.order).map((c) => c.prepared),
    rejected: [...inputRejections, ...rejected.sort((a, b) => a.order - b.order).map((r) => r.rejection)],
  };
  await writeAtomically(manifestFile, [`${JSON.stringify(manifest, null, 1)}\n`]);
  return manifest;
}
