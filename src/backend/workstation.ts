/**
 * The backend of the reading room: one implementation of the API contract (src/shared/api.ts)
 * over src/core, shared by the Electron main process and `lunglens serve`. It keeps the opened
 * series (their volumes, analyses and lung masks), the running jobs (batch scans, stochastic
 * enhancements) and the preferences; the transports only validate and carry.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { enhanceStochastic } from '../core/enhance/stochastic.js';
import { windowHu } from '../core/enhance/tone-map.js';
import { InferenceEngine } from '../core/inference/engine.js';
import type { SeriesSummary } from '../core/ingest/types.js';
import { encodeMesh, surfaceNets } from '../core/mesh/surface-nets.js';
import { writePhantoms, type PhantomLabels } from '../core/phantom/index.js';
import { ReviewStore, type ReviewChanges, type SliceMark as CoreSliceMark } from '../core/review/review-store.js';
import { AnalysisPools, analyzeVolume, contentIdentity, sliceThumbnail, type SeriesResult, type VolumeAnalysis } from '../core/analysis/index.js';
import { scanPaths } from '../core/scan/scan.js';
import type { Volume } from '../core/volume/volume.js';
import type { Analysis, AppInfo, JobEvent, OpenResult, QueueRow, Review, ScanRow, SeriesView, Settings, StochasticRequestParams } from '../shared/api.js';
import { ApiError, toProblem } from './api-error.js';
import { Log } from './log.js';
import { Preferences } from './preferences.js';

/** The bundled sample studies: phantom chest CTs with known answers, written on first use. */
export const SAMPLE_STUDIES = { count: 4, seed: 'lunglens-samples', positiveRate: 0.5, size: 512, slices: [60, 100] as [number, number] };
/** Voxel bytes of opened series kept in memory; the least recently used are let go beyond it. */
const MAX_OPEN_BYTES = 3 * 1024 ** 3;

interface OpenedSeries {
  summary: SeriesSummary;
  volume: Volume;
  view: SeriesView;
  analysis?: Promise<VolumeAnalysis>;
  mesh?: Buffer;
  /** Its key in the review queue (content identity), once analysed. */
  reviewKey?: string;
}

interface Job {
  controller: AbortController;
  /** Latest estimate of an enhancement (columns × rows, [0, 1]). */
  image?: Float32Array;
}

export interface WorkstationOptions {
  dataDir: string;
  transport: AppInfo['transport'];
  version: string;
}

export class Workstation {
  private engine: InferenceEngine | null = null;
  private modelProblem: { code: string; message: string } | null = null;
  private readonly series = new Map<string, OpenedSeries>();
  private readonly jobs = new Map<string, Job>();
  private readonly listeners = new Set<(event: JobEvent) => void>();
  /** Reading and compute threads for everything: opening, analysis, batch scans (warm after start). */
  private readonly pools = new AnalysisPools();
  private enhancing: string | null = null;
  private reviews: ReviewStore | null = null;
  private reviewProblem: string | null = null;
  /** Structured local log (no patient identifiers: see log.ts). */
  readonly log: Log;

  private constructor(private readonly options: WorkstationOptions, private readonly prefs: Preferences) {
    this.log = new Log(path.join(options.dataDir, 'logs'));
  }

  static async start(options: WorkstationOptions): Promise<Workstation> {
    const ws = new Workstation(options, await Preferences.load(options.dataDir));
    await ws.openEngine();
    // In the background while the user picks a study: the first one is then as fast as the next.
    if (ws.engine) void ws.pools.compute.warmUp(ws.engine.card.preprocessing);
    try {
      ws.reviews = ReviewStore.open(path.join(options.dataDir, 'review.sqlite'));
    } catch (error) {
      ws.reviewProblem = (error as Error).message; // the reading room works without it; review says why not
    }
    const e = ws.engine;
    ws.log.event('start', { version: options.version, transport: options.transport, model: e?.identity.name ?? 'none', provider: e?.identity.executionProvider ?? 'none', modelProblem: ws.modelProblem?.code ?? '', reviewDb: ws.reviews !== null });
    return ws;
  }

  private async openEngine(): Promise<void> {
    const s = this.prefs.settings;
    const previous = this.engine;
    this.engine = null;
    await previous?.close();
    try {
      this.engine = await InferenceEngine.open({ ...(s.modelPath ? { model: s.modelPath } : {}), provider: s.provider, ...(s.threads > 0 ? { threads: s.threads } : {}) });
      this.modelProblem = null;
    } catch (error) {
      const p = toProblem(error);
      this.modelProblem = { code: p.code, message: `${p.message} Choose another model file in Settings.` };
    }
  }

  onEvent(listener: (event: JobEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(event: JobEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  info(): AppInfo {
    const e = this.engine;
    return {
      version: this.options.version,
      transport: this.options.transport,
      dataDir: this.options.dataDir,
      model: e && {
        name: e.identity.name, version: e.identity.version, sha256: e.identity.sha256, threshold: e.card.threshold,
        intendedUse: e.card.intendedUse, inputSize: e.card.preprocessing.size,
        provider: { requested: e.identity.provider.requested, used: e.identity.provider.used, ...(e.identity.provider.fallbackReason ? { fallbackReason: e.identity.provider.fallbackReason } : {}) },
      },
      modelProblem: this.modelProblem,
      settings: this.prefs.settings,
      recent: this.prefs.recent,
    };
  }

  async open(paths: string[]): Promise<OpenResult> {
    const started = performance.now();
    const views: SeriesView[] = [];
    const result = await this.pools.readSeries(paths, {
      onVolume: (summary, volume) => {
        // A series opened again (same UIDs and geometry) keeps its analysis and mesh.
        const kept = this.series.get(summary.id);
        const entry = kept ?? { summary, volume, view: seriesView(summary, volume) };
        this.series.delete(summary.id);
        this.series.set(summary.id, entry);
        // The reading room shows the first series at once: its analysis starts as soon as it is
        // read, not when the page asks (the rest of the study is read meanwhile).
        if (views.length === 0) void this.startAnalysis(entry)?.catch(() => undefined);
        views.push(entry.view);
      },
    });
    this.evict();
    for (const p of paths) {
      const found = views.filter((v) => v.path === path.resolve(p) || v.path.startsWith(path.resolve(p) + path.sep));
      if (found.length > 0) await this.prefs.remember({ path: path.resolve(p), label: found[0]!.seriesDescription || path.basename(p) });
    }
    this.log.event('open', { series: views.length, rejected: result.rejected.length, ms: Math.round(performance.now() - started) });
    return { series: views, rejected: result.rejected.map((r) => ({ path: r.path, code: r.code, message: r.message })) };
  }

  async openSamples(): Promise<OpenResult> {
    const dir = path.join(this.options.dataDir, 'samples');
    const labels = path.join(dir, 'labels.json');
    if (!existsSync(labels)) await writePhantoms({ out: dir, ...SAMPLE_STUDIES });
    const truth = JSON.parse(readFileSync(labels, 'utf8')) as PhantomLabels;
    return this.open(truth.cases.map((c) => path.join(dir, c.path)));
  }

  /** Lets go of the least recently used series beyond MAX_OPEN_BYTES (they can be opened again). */
  private evict(): void {
    let bytes = 0;
    for (const s of [...this.series.values()].reverse()) {
      bytes += s.volume.voxels.byteLength;
      if (bytes > MAX_OPEN_BYTES) this.series.delete(s.summary.id);
    }
  }

  private opened(id: string): OpenedSeries {
    const s = this.series.get(id);
    if (!s) throw new ApiError('unknown-series', 'This series is no longer open (or never was): open its folder again.', 404);
    this.series.delete(id); // most recently used last
    this.series.set(id, s);
    return s;
  }

  async analyze(seriesId: string): Promise<Analysis> {
    const s = this.opened(seriesId);
    if (!this.engine) throw new ApiError('no-model', this.modelProblem?.message ?? 'No model is loaded. Choose a model file in Settings.', 409);
    const a = await this.startAnalysis(s)!;
    return { ...analysisView(seriesId, a), reviewKey: a.result.status === 'ok' ? s.reviewKey ?? null : null };
  }

  /**
   * The series' one analysis, started now unless it is under way or done (null without a model).
   * Its item's identity is the content identity (the key a batch scan of it would give), hashed
   * while the lung mask is made; an analysed series joins the review queue under it.
   */
  private startAnalysis(s: OpenedSeries): Promise<VolumeAnalysis> | null {
    const engine = this.engine;
    if (!engine) return null;
    if (s.analysis) return s.analysis;
    const analysis = analyzeVolume(s.summary, s.volume, () => s.reviewKey ?? contentIdentity(s.volume), { readMs: 0, identityMs: 0 }, { engine, compute: this.pools.compute, keepLungMask: true, thumbnails: false });
    s.analysis = analysis;
    analysis.then((a) => {
      this.log.event('analyze', { status: a.result.status, code: a.result.error?.code ?? '', slices: a.result.sliceAttention.length, ms: a.result.timingsMs['total'] ?? 0 });
      s.reviewKey = a.result.identity;
      try {
        if (a.result.status === 'ok') this.queueForReview(s.summary, a.result, 'opened');
      } catch (error) {
        this.log.event('review-queue-failed', { code: toProblem(error).code }); // the analysis stands
      }
    }, () => {
      if (s.analysis === analysis) delete s.analysis; // a later call tries again
    });
    return analysis;
  }

  private queueForReview(summary: SeriesSummary, item: SeriesResult, source: 'opened' | 'scan'): void {
    if (!this.reviews || item.status !== 'ok' || !item.dimensions) return;
    this.reviews.addStudy({
      key: item.identity, seriesInstanceUid: summary.seriesInstanceUid, studyInstanceUid: summary.studyInstanceUid, description: summary.seriesDescription, path: summary.path,
      patient: { ...summary.patient }, slices: item.dimensions[2],
      ai: { probability: item.probability, verdict: item.verdict, threshold: item.threshold, attention: item.sliceAttention, slicePositive: item.slicePositive, modelSha256: this.engine?.identity.sha256 ?? '' },
    }, source, source === 'scan' ? 'batch scan' : 'reading room');
  }

  private reviewStore(): ReviewStore {
    if (!this.reviews) throw new ApiError('review-db', `${this.reviewProblem ?? 'The review database is not open.'} Check the data folder ${this.options.dataDir}.`, 503);
    return this.reviews;
  }

  reviewQueue(filter: { aiVerdict?: 'covid' | 'non-covid'; status?: QueueRow['status'] }): { rows: QueueRow[] } {
    return { rows: this.reviewStore().queue(filter) };
  }

  review(key: string): Review {
    const s = this.reviewStore().get(key);
    if (!s) throw new ApiError('review-unknown-study', 'This study is not in the review queue.', 404);
    // no patient identifiers to the page: the reader identifies the study by its description and path
    return { key: s.key, description: s.description, path: s.path, slices: s.slices, ai: { probability: s.ai.probability, verdict: s.ai.verdict, threshold: s.ai.threshold, attention: s.ai.attention, slicePositive: s.ai.slicePositive }, review: s.review, marks: s.marks };
  }

  reviewSet(key: string, reviewer: string, changes: ReviewChanges): Review {
    this.reviewStore().setReview(key, reviewer, { ...changes, reviewer });
    return this.review(key);
  }

  reviewMark(key: string, reviewer: string, slice: number, mark: CoreSliceMark | null): Review {
    this.reviewStore().setMark(key, reviewer, slice, mark);
    return this.review(key);
  }

  slice(seriesId: string, index: number): Buffer {
    const { volume } = this.opened(seriesId);
    checkIndex(volume, index);
    const pixels = volume.slice(index);
    return Buffer.from(pixels.buffer, pixels.byteOffset, pixels.byteLength);
  }

  private async lungMask(seriesId: string): Promise<{ s: OpenedSeries; mask: Uint8Array | null }> {
    const s = this.opened(seriesId);
    if (!s.analysis) throw new ApiError('not-analysed', 'The lung mask comes with the analysis: analyse the series first.', 409);
    const a = await s.analysis;
    return { s, mask: a.lungMask ?? null };
  }

  async mask(seriesId: string, index: number): Promise<Buffer> {
    const { s, mask } = await this.lungMask(seriesId);
    checkIndex(s.volume, index);
    const area = s.volume.dimensions[0] * s.volume.dimensions[1];
    return mask ? Buffer.from(mask.buffer, mask.byteOffset + index * area, area) : Buffer.alloc(area);
  }

  async mesh(seriesId: string): Promise<Buffer> {
    const { s, mask } = await this.lungMask(seriesId);
    if (!mask) throw new ApiError('no-lung', 'No lung was found in this series, so there is no surface to show.', 409);
    s.mesh ??= encodeMesh(surfaceNets({ mask, dimensions: s.volume.dimensions, spacingMm: s.volume.spacingMm, originLps: s.volume.originLps, direction: s.volume.direction }));
    return s.mesh;
  }

  /** Starts the stochastic enhancement of one slice (in the lung window); a previous one is stopped. */
  enhance(seriesId: string, index: number, params: StochasticRequestParams): { jobId: string } {
    const { volume } = this.opened(seriesId);
    checkIndex(volume, index);
    if (this.enhancing) this.cancel(this.enhancing);
    const [w, h] = volume.dimensions;
    const image = windowHu(volume.slice(index));
    const core = {
      ...(params.chains !== undefined ? { chains: params.chains } : {}), ...(params.samples !== undefined ? { samples: params.samples } : {}),
      ...(params.sigmaI !== undefined ? { sigmaIntensity: params.sigmaI } : {}), ...(params.sigmaG !== undefined ? { sigmaGradient: params.sigmaG } : {}),
      ...(params.k !== undefined ? { gain: params.k } : {}), ...(params.gamma1 !== undefined ? { gamma1: params.gamma1 } : {}), ...(params.gamma2 !== undefined ? { gamma2: params.gamma2 } : {}),
    };
    const total = core.chains ?? 20;
    const { jobId, job } = this.newJob();
    this.enhancing = jobId;
    void enhanceStochastic(image, w, h, core, {
      signal: job.controller.signal,
      onPreview: (estimate) => {
        job.image = estimate;
        this.emit({ type: 'progress', jobId, done: 0, total });
      },
      onProgress: (done, estimate) => {
        job.image = estimate;
        this.emit({ type: 'progress', jobId, done, total });
      },
    }).then(
      () => this.emit({ type: 'done', jobId, cancelled: false }),
      (error: unknown) => this.jobEnded(jobId, error),
    );
    return { jobId };
  }

  enhanceImage(jobId: string): Buffer {
    const job = this.jobs.get(jobId);
    if (!job) throw new ApiError('unknown-job', 'This enhancement is no longer available: it was replaced by a newer one.', 404);
    if (!job.image) throw new ApiError('not-ready', 'The enhancement has no estimate yet: wait for its first progress event.', 409);
    return Buffer.from(job.image.buffer, job.image.byteOffset, job.image.byteLength);
  }

  /** Batch scan of folders into `<data>/scans/<time>`: a progress event per series. */
  scan(paths: string[]): { jobId: string } {
    const engine = this.engine;
    if (!engine) throw new ApiError('no-model', this.modelProblem?.message ?? 'No model is loaded. Choose a model file in Settings.', 409);
    const out = path.join(this.options.dataDir, 'scans', new Date().toISOString().replace(/[:.]/g, '-'));
    const { jobId, job } = this.newJob();
    void scanPaths(paths, {
      out, engine, pools: this.pools, signal: job.controller.signal,
      onAnalysed: (summary, item) => this.queueForReview(summary, item, 'scan'),
      onProgress: (e) => this.emit({ type: 'progress', jobId, done: e.done, total: e.total, ...(e.item ? { row: scanRow(e.item) } : {}) }),
    }).then(
      (results) => {
        this.log.event('scan', { series: results.summary.series, ok: results.summary.ok, error: results.summary.error, skipped: results.summary.skipped, complete: results.complete });
        this.emit({ type: 'done', jobId, outDir: out, cancelled: !results.complete });
      },
      (error: unknown) => this.jobEnded(jobId, error),
    );
    return { jobId };
  }

  cancel(jobId: string): { cancelled: boolean } {
    const job = this.jobs.get(jobId);
    if (!job || job.controller.signal.aborted) return { cancelled: false };
    job.controller.abort();
    return { cancelled: true };
  }

  async setSettings(settings: Settings): Promise<AppInfo> {
    const before = this.prefs.settings;
    await this.prefs.saveSettings(settings);
    if (before.modelPath !== settings.modelPath || before.provider !== settings.provider || before.threads !== settings.threads) {
      await this.openEngine();
      for (const s of this.series.values()) {
        delete s.analysis; // they were the old model's
        delete s.mesh;
      }
    }
    return this.info();
  }

  private newJob(): { jobId: string; job: Job } {
    const jobId = randomBytes(9).toString('base64url');
    const job: Job = { controller: new AbortController() };
    this.jobs.set(jobId, job);
    // Only the latest jobs are kept (a finished enhancement's image is read right after its events).
    if (this.jobs.size > 16) this.jobs.delete(this.jobs.keys().next().value!);
    return { jobId, job };
  }

  private jobEnded(jobId: string, error: unknown): void {
    if (this.jobs.get(jobId)?.controller.signal.aborted) this.emit({ type: 'done', jobId, cancelled: true });
    else {
      const p = toProblem(error);
      this.emit({ type: 'failed', jobId, error: { code: p.code, message: p.message } });
    }
  }

  async close(): Promise<void> {
    for (const job of this.jobs.values()) job.controller.abort();
    await Promise.allSettled([this.engine?.close(), this.pools.close()]);
    this.reviews?.close();
  }
}

function checkIndex(volume: Volume, index: number): void {
  const n = volume.dimensions[2];
  if (!Number.isInteger(index) || index < 0 || index >= n) throw new ApiError('out-of-range', `Slice ${index} does not exist: this series has slices 0 to ${n - 1}.`);
}

function seriesView(summary: SeriesSummary, volume: Volume): SeriesView {
  const middle = Math.floor(volume.dimensions[2] / 2);
  return {
    id: summary.id, source: summary.source, path: summary.path, studyInstanceUid: summary.studyInstanceUid, seriesInstanceUid: summary.seriesInstanceUid,
    seriesDescription: summary.seriesDescription, modality: summary.modality, dimensions: [...summary.dimensions], spacingMm: [...summary.spacingMm],
    originLps: [...summary.originLps], direction: [...summary.direction], units: summary.units, valueRange: [...summary.valueRange],
    warnings: summary.warnings.map((w) => ({ code: w.code, message: w.message })),
    thumbnail: `data:image/png;base64,${sliceThumbnail(volume, middle, 128).toString('base64')}`,
  };
}

function analysisView(seriesId: string, a: VolumeAnalysis): Analysis {
  const i = a.result;
  return {
    seriesId, status: i.status, probability: i.probability, verdict: i.verdict, threshold: i.threshold, sliceAttention: i.sliceAttention,
    slicePositive: i.slicePositive, topSlices: i.topSlices, lungVolumeMl: i.lungVolumeMl, slicesWithLung: a.slicesWithLung, reviewKey: null,
    executionProvider: i.executionProvider, timingsMs: i.timingsMs, ...(i.error ? { error: i.error } : {}),
  };
}

function scanRow(i: SeriesResult): ScanRow {
  return {
    id: i.id, path: i.path, seriesDescription: i.seriesDescription, status: i.status, probability: i.probability, verdict: i.verdict,
    slices: i.dimensions?.[2] ?? null, lungVolumeMl: i.lungVolumeMl, totalMs: i.timingsMs['total'] ?? null, ...(i.error ? { error: i.error } : {}),
  };
}
