import path from 'node:path';
import type { SeriesResult } from '../../core/analysis/index.js';
import { scanPaths } from '../../core/scan/scan.js';
import type { ScanRow } from '../../shared/api.js';
import type { ServiceContext } from './context.js';
import type { ModelHolder } from './model.js';
import type { ReviewService } from './review.js';

/**
 * Batch scans of folders (core/scan) into `<data>/scans/<time>`, as cancellable jobs with a
 * progress event per series, on the backend's warm analysis threads; every analysed series joins
 * the review queue.
 */
export class ScansService {
  constructor(private readonly ctx: ServiceContext, private readonly model: ModelHolder, private readonly review: ReviewService) {}

  scan(paths: string[]): { jobId: string } {
    const engine = this.model.require();
    const out = path.join(this.ctx.options.dataDir, 'scans', new Date().toISOString().replace(/[:.]/g, '-'));
    const { jobs, log, pools } = this.ctx;
    const { jobId, job } = jobs.start();
    void scanPaths(paths, {
      out, engine, pools, signal: job.controller.signal,
      onAnalysed: (summary, result) => this.review.add(summary, result, engine.identity.sha256, 'scan'),
      onProgress: (e) => jobs.emit({ type: 'progress', jobId, done: e.done, total: e.total, ...(e.item ? { row: scanRow(e.item) } : {}) }),
    }).then(
      (results) => {
        log.event('scan', { series: results.summary.series, ok: results.summary.ok, error: results.summary.error, skipped: results.summary.skipped, complete: results.complete });
        jobs.emit({ type: 'done', jobId, outDir: out, cancelled: !results.complete });
      },
      (error: unknown) => jobs.ended(jobId, error),
    );
    return { jobId };
  }
}

function scanRow(i: SeriesResult): ScanRow {
  return {
    id: i.id, path: i.path, seriesDescription: i.seriesDescription, status: i.status, probability: i.probability, verdict: i.verdict,
    slices: i.dimensions?.[2] ?? null, lungVolumeMl: i.lungVolumeMl, totalMs: i.timingsMs['total'] ?? null, ...(i.error ? { error: i.error } : {}),
    ...(i.reasons ? { reasons: i.reasons } : {}),
  };
}
