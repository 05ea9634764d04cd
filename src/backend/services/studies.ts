import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { sliceThumbnail, type VolumeAnalysis } from '../../core/analysis/index.js';
import type { DicomSeriesIdentity } from '../../core/ingest/dicom-identity.js';
import type { SeriesSummary } from '../../core/ingest/types.js';
import { writePhantoms, type PhantomLabels } from '../../core/phantom/index.js';
import type { Volume } from '../../core/volume/volume.js';
import type { OpenResult, SeriesView } from '../../shared/api.js';
import { ApiError } from '../api-error.js';
import type { ServiceContext } from './context.js';

/** The bundled sample studies: phantom chest CTs with known answers, written on first use. */
export const SAMPLE_STUDIES = { count: 4, seed: 'lunglens-samples', positiveRate: 0.5, size: 512, slices: [60, 100] as [number, number] };
/** Voxel bytes of opened series kept in memory; the least recently used are let go beyond it. */
const MAX_OPEN_BYTES = 3 * 1024 ** 3;

/** A series the reader has open, with what was computed for it. */
export interface OpenedSeries {
  summary: SeriesSummary;
  volume: Volume;
  view: SeriesView;
  /** A DICOM series' identity (patient, study, each slice's instance): what its result objects repeat and reference. */
  dicom?: DicomSeriesIdentity;
  analysis?: Promise<VolumeAnalysis>;
  mesh?: Buffer;
  /** Its key in the review queue (content identity), once analysed. */
  reviewKey?: string;
}

/**
 * The studies the reader opens: every series read on the analysis' reading threads and kept
 * (least recently used let go beyond 3 GB), their slices handed out without copying, the recent
 * list. The first series of a study is handed to `onFirstSeries` as soon as it is read, so its
 * analysis starts while the rest of the study is read.
 */
export class StudiesService {
  private readonly series = new Map<string, OpenedSeries>();

  constructor(private readonly ctx: ServiceContext, private readonly onFirstSeries: (series: OpenedSeries) => void) {}

  async open(paths: string[]): Promise<OpenResult> {
    const started = performance.now();
    const views: SeriesView[] = [];
    const imageSpacing = this.ctx.prefs.settings.imageSpacingMm;
    const result = await this.ctx.pools.readSeries(paths, {
      ...(imageSpacing ? { imageStackSpacingMm: imageSpacing } : {}),
      onVolume: (summary, volume, dicom) => {
        // A series opened again (same UIDs and geometry) keeps its analysis and mesh.
        const kept = this.series.get(summary.id);
        const entry: OpenedSeries = kept ?? { summary, volume, view: seriesView(summary, volume), ...(dicom ? { dicom } : {}) };
        this.series.delete(summary.id);
        this.series.set(summary.id, entry);
        if (views.length === 0) this.onFirstSeries(entry);
        views.push(entry.view);
      },
    });
    this.evict();
    for (const p of paths) {
      const found = views.filter((v) => v.path === path.resolve(p) || v.path.startsWith(path.resolve(p) + path.sep));
      if (found.length > 0) await this.ctx.prefs.remember({ path: path.resolve(p), label: found[0]!.seriesDescription || path.basename(p) });
    }
    this.ctx.log.event('open', { series: views.length, rejected: result.rejected.length, ms: Math.round(performance.now() - started) });
    return { series: views, rejected: result.rejected.map((r) => ({ path: r.path, code: r.code, message: r.message })) };
  }

  async openSamples(): Promise<OpenResult> {
    const dir = path.join(this.ctx.options.dataDir, 'samples');
    const labels = path.join(dir, 'labels.json');
    if (!existsSync(labels)) await writePhantoms({ out: dir, ...SAMPLE_STUDIES });
    const truth = JSON.parse(readFileSync(labels, 'utf8')) as PhantomLabels;
    return this.open(truth.cases.map((c) => path.join(dir, c.path)));
  }

  /** The open series `id` (now the most recently used), or `unknown-series`. */
  opened(id: string): OpenedSeries {
    const s = this.series.get(id);
    if (!s) throw new ApiError('unknown-series', 'This series is no longer open (or never was): open its folder again.', 404);
    this.series.delete(id); // most recently used last
    this.series.set(id, s);
    return s;
  }

  /** Every open series (e.g. to drop what was computed with a model that changed). */
  all(): Iterable<OpenedSeries> {
    return this.series.values();
  }

  slice(seriesId: string, index: number): Buffer {
    const { volume } = this.opened(seriesId);
    checkIndex(volume, index);
    const pixels = volume.slice(index);
    return Buffer.from(pixels.buffer, pixels.byteOffset, pixels.byteLength);
  }

  /** Lets go of the least recently used series beyond MAX_OPEN_BYTES (they can be opened again). */
  private evict(): void {
    let bytes = 0;
    for (const s of [...this.series.values()].reverse()) {
      bytes += s.volume.voxels.byteLength;
      if (bytes > MAX_OPEN_BYTES) this.series.delete(s.summary.id);
    }
  }
}

export function checkIndex(volume: Volume, index: number): void {
  const n = volume.dimensions[2];
  if (!Number.isInteger(index) || index < 0 || index >= n) throw new ApiError('out-of-range', `Slice ${index} does not exist: this series has slices 0 to ${n - 1}.`);
}

function seriesView(summary: SeriesSummary, volume: Volume): SeriesView {
  const middle = Math.floor(volume.dimensions[2] / 2);
  return {
    id: summary.id, source: summary.source, path: summary.path, studyInstanceUid: summary.studyInstanceUid, seriesInstanceUid: summary.seriesInstanceUid,
    seriesDescription: summary.seriesDescription, modality: summary.modality, dimensions: [...summary.dimensions], spacingMm: [...summary.spacingMm],
    originLps: [...summary.originLps], direction: [...summary.direction], units: summary.units, spacingSource: summary.spacingSource,
    contiguous: summary.contiguous, valueRange: [...summary.valueRange],
    warnings: summary.warnings.map((w) => ({ code: w.code, message: w.message })),
    thumbnail: `data:image/png;base64,${sliceThumbnail(volume, middle, 128).toString('base64')}`,
  };
}
