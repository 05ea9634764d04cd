import type { Rejection, Warning } from '../errors.js';
import { Volume } from '../volume/volume.js';
import type { DecodeItem, DecodeResult } from './ingest-worker.js';
import { planWithout, type SeriesPlan } from './series-builder.js';
import type { IngestPool } from './ingest-pool.js';

export interface LoadedSeries {
  /** The plan that was decoded: the one asked for, less any file that could not be decoded. */
  plan: SeriesPlan;
  volume: Volume;
  valueRange: [number, number];
  valueMean: number;
  warnings: Warning[];
}

/** Slices per decode task: enough to amortise messaging, small enough to balance the threads. */
const SLICES_PER_TASK = 8;

export interface SeriesLoad {
  /** Null when no slice of the series could be decoded. */
  loaded: LoadedSeries | null;
  /** Files that could not be decoded; the series is read without them. */
  rejected: Rejection[];
}

/**
 * Decodes a planned DICOM series into a Volume using the pool's threads, which write straight into
 * one shared buffer. A file that fails to decode is rejected and the series is planned again
 * without it (its hole becomes a `slice-gap` warning): one bad file never loses a series.
 */
export async function loadSeries(plan: SeriesPlan, pool: IngestPool): Promise<SeriesLoad> {
  const rejected: Rejection[] = [];
  for (let current: SeriesPlan | null = plan; current; ) {
    const attempt = await decodePlan(current, pool);
    if (!('failures' in attempt)) return { loaded: attempt, rejected };
    rejected.push(...attempt.failures);
    current = planWithout(current, new Set(attempt.failures.map((f) => f.path)));
  }
  return { loaded: null, rejected };
}

async function decodePlan(plan: SeriesPlan, pool: IngestPool): Promise<LoadedSeries | { failures: Rejection[] }> {
  const sliceLength = plan.columns * plan.rows;
  const target = new SharedArrayBuffer(sliceLength * plan.slices.length * 2);

  // One item per file, holding all of that file's frames, so each file is read once.
  const items = new Map<string, DecodeItem>();
  plan.slices.forEach((s, sliceIndex) => {
    const inst = s.instance;
    let item = items.get(inst.path);
    if (!item) {
      item = {
        path: inst.path,
        transferSyntaxUid: inst.transferSyntaxUid,
        pixel: inst.pixel,
        numberOfFrames: inst.numberOfFrames,
        padding: inst.padding,
        nativePixelData: inst.nativePixelData,
        frames: [],
      };
      items.set(inst.path, item);
    }
    item.frames.push({ frameIndex: s.frameIndex, sliceIndex, slope: s.frame.rescaleSlope, intercept: s.frame.rescaleIntercept });
  });
  const all = [...items.values()];
  const tasks: Promise<DecodeResult>[] = [];
  for (let i = 0; i < all.length; ) {
    const batch: DecodeItem[] = [];
    let frames = 0;
    while (i < all.length && (batch.length === 0 || frames + all[i]!.frames.length <= SLICES_PER_TASK)) {
      frames += all[i]!.frames.length;
      batch.push(all[i++]!);
    }
    tasks.push(pool.call('decodeSlices', { target, sliceLength, items: batch }));
  }
  const results = await Promise.all(tasks);

  const failures = results.flatMap((r) => r.failures);
  if (failures.length > 0) return { failures };
  let min = 32767;
  let max = -32768;
  let sum = 0;
  let clamped = 0;
  let padded = 0;
  const warnings = [...plan.warnings];
  for (const r of results) {
    for (const s of r.stats) {
      min = Math.min(min, s.min);
      max = Math.max(max, s.max);
      sum += s.sum;
      clamped += s.clamped;
      padded += s.padded;
    }
    for (const w of r.warnings) if (!warnings.some((x) => x.code === w.code)) warnings.push(w);
  }
  if (padded > 0) {
    warnings.push({ code: 'pixel-padding', message: `${padded} padding pixel(s) (outside the reconstructed field of view) were set to air, −1024 HU.` });
  }
  if (clamped > 0) {
    warnings.push({ code: 'hu-clamped', message: `${clamped} value(s) fell outside −32768…32767 HU and were clamped; the rescale values may be wrong.` });
  }
  const volume = Volume.create({
    dimensions: [plan.columns, plan.rows, plan.slices.length],
    spacingMm: plan.spacingMm,
    originLps: plan.originLps,
    direction: plan.direction,
    voxels: new Int16Array(target),
    units: 'HU',
  });
  return { plan, volume, valueRange: [min, max], valueMean: sum / (sliceLength * plan.slices.length), warnings };
}
