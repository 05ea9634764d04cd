import { enhanceStochastic } from '../../core/enhance/stochastic.js';
import { windowHu } from '../../core/enhance/tone-map.js';
import type { StochasticRequestParams } from '../../shared/api.js';
import { ApiError } from '../api-error.js';
import type { ServiceContext } from './context.js';
import { checkIndex, type StudiesService } from './studies.js';

/**
 * The stochastic enhancement of one slice (in the lung window) as a job whose progress events say
 * how many chains are done; its latest estimate is read with `image`. One at a time: a new one
 * stops the last.
 */
export class EnhancementService {
  private enhancing: string | null = null;

  constructor(private readonly ctx: ServiceContext, private readonly studies: StudiesService) {}

  enhance(seriesId: string, index: number, params: StochasticRequestParams): { jobId: string } {
    const { volume } = this.studies.opened(seriesId);
    checkIndex(volume, index);
    if (this.enhancing) this.ctx.jobs.cancel(this.enhancing);
    const [w, h] = volume.dimensions;
    const image = windowHu(volume.slice(index));
    const core = {
      ...(params.chains !== undefined ? { chains: params.chains } : {}), ...(params.samples !== undefined ? { samples: params.samples } : {}),
      ...(params.sigmaI !== undefined ? { sigmaIntensity: params.sigmaI } : {}), ...(params.sigmaG !== undefined ? { sigmaGradient: params.sigmaG } : {}),
      ...(params.k !== undefined ? { gain: params.k } : {}), ...(params.gamma1 !== undefined ? { gamma1: params.gamma1 } : {}), ...(params.gamma2 !== undefined ? { gamma2: params.gamma2 } : {}),
    };
    const total = core.chains ?? 20;
    const { jobs } = this.ctx;
    const { jobId, job } = jobs.start();
    this.enhancing = jobId;
    void enhanceStochastic(image, w, h, core, {
      signal: job.controller.signal,
      onPreview: (estimate) => {
        job.image = estimate;
        jobs.emit({ type: 'progress', jobId, done: 0, total });
      },
      onProgress: (done, estimate) => {
        job.image = estimate;
        jobs.emit({ type: 'progress', jobId, done, total });
      },
    }).then(
      () => jobs.emit({ type: 'done', jobId, cancelled: false }),
      (error: unknown) => jobs.ended(jobId, error),
    );
    return { jobId };
  }

  image(jobId: string): Buffer {
    const job = this.ctx.jobs.get(jobId);
    if (!job) throw new ApiError('unknown-job', 'This enhancement is no longer available: it was replaced by a newer one.', 404);
    if (!job.image) throw new ApiError('not-ready', 'The enhancement has no estimate yet: wait for its first progress event.', 409);
    return Buffer.from(job.image.buffer, job.image.byteOffset, job.image.byteLength);
  }
}
