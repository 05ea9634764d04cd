/**
 * The backend's services, one per domain, started together and reached only through the
 * dispatcher (../dispatch.ts):
 *
 * - studies      open studies and the sample studies, hand out slices (studies.ts)
 * - analysis     analyse a series, its lung mask and lung surface (analysis.ts)
 * - enhancement  the stochastic enhancement of a slice as a job (enhancement.ts)
 * - scans        batch scans as jobs (scans.ts)
 * - review       the review queue and the clinicians' reviews (review.ts)
 * - settings     app info and settings; the model they choose (settings.ts, model.ts)
 *
 * - network      the DICOM node: its settings, listener, query/retrieve, sending results (network.ts),
 *                on the same analysis threads and model
 */
import { AnalysisPools } from '../../core/analysis/index.js';
import { Preferences } from '../preferences.js';
import { AnalysisService } from './analysis.js';
import { Jobs, logFor, type BackendOptions, type ServiceContext } from './context.js';
import { EnhancementService } from './enhancement.js';
import { ModelHolder } from './model.js';
import { NetworkService } from './network.js';
import { ReviewService } from './review.js';
import { ScansService } from './scans.js';
import { SettingsService } from './settings.js';
import { StudiesService } from './studies.js';

export type { BackendOptions } from './context.js';
export { SAMPLE_STUDIES } from './studies.js';

export class Services {
  private constructor(
    readonly ctx: ServiceContext,
    readonly model: ModelHolder,
    readonly studies: StudiesService,
    readonly analysis: AnalysisService,
    readonly enhancement: EnhancementService,
    readonly scans: ScansService,
    readonly review: ReviewService,
    readonly settings: SettingsService,
    readonly network: NetworkService,
  ) {}

  static async start(options: BackendOptions): Promise<Services> {
    const ctx: ServiceContext = { options, log: logFor(options), prefs: await Preferences.load(options.dataDir), jobs: new Jobs(), pools: new AnalysisPools() };
    const model = new ModelHolder();
    await model.open(ctx.prefs.settings);
    // In the background while the user picks a study: the first one is then as fast as the next.
    if (model.engine) void ctx.pools.compute.warmUp(model.engine.card.preprocessing);
    const review = ReviewService.open(ctx);
    // The reading room shows the first series of a study at once: its analysis starts as soon as
    // it is read, not when the page asks (the rest of the study is read meanwhile).
    const studies = new StudiesService(ctx, (s) => void analysis.start(s)?.catch(() => undefined));
    const analysis = new AnalysisService(ctx, model, studies, review);
    const network = await NetworkService.start(ctx, model, studies, analysis);
    review.onSignedOff = (r) => void network.onSignedOff(r);
    const services = new Services(ctx, model, studies, analysis, new EnhancementService(ctx, studies), new ScansService(ctx, model, review), review, new SettingsService(ctx, model, analysis), network);
    const e = model.engine;
    ctx.log.event('start', { version: options.version, transport: options.transport, model: e?.identity.name ?? 'none', provider: e?.identity.executionProvider ?? 'none', modelProblem: model.problem?.code ?? '', reviewDb: review.available });
    return services;
  }

  async close(): Promise<void> {
    this.ctx.jobs.stopAll();
    await this.network.close().catch(() => undefined);
    await Promise.allSettled([this.model.close(), this.ctx.pools.close()]);
    this.review.close();
  }
}
