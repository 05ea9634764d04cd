import { analyzeVolume, assumptionsOf, contentIdentity, type VolumeAnalysis } from '../../core/analysis/index.js';
import { encodeMesh, surfaceNets } from '../../core/mesh/surface-nets.js';
import type { Analysis } from '../../shared/api.js';
import { ApiError, toProblem } from '../api-error.js';
import type { ServiceContext } from './context.js';
import type { ModelHolder } from './model.js';
import type { ReviewService } from './review.js';
import { checkIndex, type OpenedSeries, type StudiesService } from './studies.js';

/**
 * The analysis of open series (core/analysis) and what comes with it: the lung mask's slices and
 * the lung surface. One analysis per series, shared by concurrent callers; an analysed series
 * joins the review queue under its content identity (the key a batch scan of it would give).
 */
export class AnalysisService {
  constructor(private readonly ctx: ServiceContext, private readonly model: ModelHolder, private readonly studies: StudiesService, private readonly review: ReviewService) {}

  async analyze(seriesId: string): Promise<Analysis> {
    const s = this.studies.opened(seriesId);
    this.model.require();
    const a = await this.start(s)!;
    return { ...analysisView(seriesId, a), reviewKey: a.result.status === 'ok' ? s.reviewKey ?? null : null };
  }

  /**
   * The series' one analysis, started now unless it is under way or done (null without a model).
   * The content identity is hashed while the lung mask is made.
   */
  start(s: OpenedSeries): Promise<VolumeAnalysis> | null {
    const engine = this.model.engine;
    if (!engine) return null;
    if (s.analysis) return s.analysis;
    const analysis = analyzeVolume(s.summary, s.volume, () => s.reviewKey ?? contentIdentity(s.volume), { readMs: 0, identityMs: 0 }, { engine, compute: this.ctx.pools.compute, keepLungMask: true, thumbnails: false });
    s.analysis = analysis;
    analysis.then((a) => {
      this.ctx.log.event('analyze', { status: a.result.status, code: a.result.error?.code ?? '', slices: a.result.sliceAttention.length, ms: a.result.timingsMs['total'] ?? 0 });
      s.reviewKey = a.result.identity;
      try {
        this.review.add(s.summary, a.result, engine.identity.sha256, 'opened');
      } catch (error) {
        this.ctx.log.event('review-queue-failed', { code: toProblem(error).code }); // the analysis stands
      }
    }, () => {
      if (s.analysis === analysis) delete s.analysis; // a later call tries again
    });
    return analysis;
  }

  /** What was computed with the model before it changed is dropped. */
  forgetAll(): void {
    for (const s of this.studies.all()) {
      delete s.analysis;
      delete s.mesh;
    }
  }

  private async lungMask(seriesId: string): Promise<{ s: OpenedSeries; mask: Uint8Array | null }> {
    const s = this.studies.opened(seriesId);
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
}

function analysisView(seriesId: string, a: VolumeAnalysis): Analysis {
  const i = a.result;
  return {
    seriesId, status: i.status, probability: i.probability, verdict: i.verdict, threshold: i.threshold, sliceAttention: i.sliceAttention,
    slicePositive: i.slicePositive, topSlices: i.topSlices, lungVolumeMl: i.lungVolumeMl, slicesWithLung: a.slicesWithLung, reviewKey: null,
    executionProvider: i.executionProvider, timingsMs: i.timingsMs, ...(i.error ? { error: i.error } : {}),
    ...(i.units ? { units: i.units } : {}), ...(i.calibrated !== undefined ? { calibrated: i.calibrated } : {}),
    ...(i.spacingSource ? { spacingSource: i.spacingSource } : {}), ...(i.contiguous !== undefined ? { contiguous: i.contiguous } : {}),
    assumptions: assumptionsOf(i),
    ...(i.reasons ? { reasons: i.reasons, oodScore: i.oodScore ?? null } : {}),
  };
}
