import path from 'node:path';
import type { SeriesResult } from '../../core/analysis/index.js';
import type { SeriesSummary } from '../../core/ingest/types.js';
import { ReviewStore, type ReviewChanges, type SliceMark } from '../../core/review/review-store.js';
import type { QueueRow, Review } from '../../shared/api.js';
import { ApiError } from '../api-error.js';
import type { ServiceContext } from './context.js';

/**
 * The review queue and the clinicians' reviews (core/review: SQLite in the data folder). Every
 * study analysed in the reading room and every series of a batch scan joins the queue. No patient
 * identifiers go to the page: a reader knows a study by its description and path.
 */
export class ReviewService {
  private constructor(private readonly ctx: ServiceContext, private readonly store: ReviewStore | null, private readonly problem: string | null) {}

  /** Opens the database; the reading room works without it (review then says why not). */
  static open(ctx: ServiceContext): ReviewService {
    try {
      return new ReviewService(ctx, ReviewStore.open(path.join(ctx.options.dataDir, 'review.sqlite')), null);
    } catch (error) {
      return new ReviewService(ctx, null, (error as Error).message);
    }
  }

  get available(): boolean {
    return this.store !== null;
  }

  /** Queues an analysed series (no-op without the database or for a result that is not ok). */
  add(summary: SeriesSummary, result: SeriesResult, modelSha256: string, source: 'opened' | 'scan'): void {
    if (!this.store || result.status !== 'ok' || !result.dimensions) return;
    this.store.addStudy({
      key: result.identity, seriesInstanceUid: summary.seriesInstanceUid, studyInstanceUid: summary.studyInstanceUid, description: summary.seriesDescription, path: summary.path,
      patient: { ...summary.patient }, slices: result.dimensions[2],
      ai: {
        probability: result.probability, verdict: result.verdict, threshold: result.threshold, attention: result.sliceAttention, slicePositive: result.slicePositive, modelSha256,
        ...(result.verdict === 'indeterminate' ? { reasons: (result.reasons ?? []).map((r) => r.message) } : {}),
      },
    }, source, source === 'scan' ? 'batch scan' : 'reading room');
  }

  private reviews(): ReviewStore {
    if (!this.store) throw new ApiError('review-db', `${this.problem ?? 'The review database is not open.'} Check the data folder ${this.ctx.options.dataDir}.`, 503);
    return this.store;
  }

  queue(filter: { aiVerdict?: NonNullable<QueueRow['aiVerdict']>; status?: QueueRow['status'] }): { rows: QueueRow[] } {
    return { rows: this.reviews().queue(filter) };
  }

  review(key: string): Review {
    const s = this.reviews().get(key);
    if (!s) throw new ApiError('review-unknown-study', 'This study is not in the review queue.', 404);
    return { key: s.key, description: s.description, path: s.path, slices: s.slices, ai: { probability: s.ai.probability, verdict: s.ai.verdict, threshold: s.ai.threshold, attention: s.ai.attention, slicePositive: s.ai.slicePositive, ...(s.ai.reasons ? { reasons: s.ai.reasons } : {}) }, review: s.review, marks: s.marks };
  }

  /** Told when a clinician signs a study off (its review set to done): the DICOM node writes the VERIFIED report. */
  onSignedOff: ((review: Review) => void) | null = null;

  set(key: string, reviewer: string, changes: ReviewChanges): Review {
    this.reviews().setReview(key, reviewer, { ...changes, reviewer });
    const review = this.review(key);
    if (changes.status === 'done') this.onSignedOff?.(review);
    return review;
  }

  mark(key: string, reviewer: string, slice: number, mark: SliceMark | null): Review {
    this.reviews().setMark(key, reviewer, slice, mark);
    return this.review(key);
  }

  close(): void {
    this.store?.close();
  }
}
