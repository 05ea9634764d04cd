import path from 'node:path';
import { resultAnalysisOf } from '../../core/dicom-node/index.js';
import { measurementReport, resultInput, resultObjects, verifiedReport, writeResultFiles, type ResultInput, type ResultObject } from '../../core/dicom-results/index.js';
import { LungLensError } from '../../core/errors.js';
import {
  dimseImplementation, loadNetworkConfig, pacsNamed, parseNetworkConfig, retrieveByDicomWeb, retrieveByMove, saveNetworkConfig,
  searchStudies, sendFiles, startListener, uidKey, type Destination, type Listener, type NetworkConfig, type StableSeries,
} from '../../core/network/index.js';
import type { NetworkSettings, NetworkView, PacsStudy, RequestOf, Review, SendOutcome } from '../../shared/api.js';
import { ApiError, toProblem } from '../api-error.js';
import type { AnalysisService } from './analysis.js';
import type { ServiceContext } from './context.js';
import type { ModelHolder } from './model.js';
import type { OpenedSeries, StudiesService } from './studies.js';

/**
 * The DICOM node in the app (DESIGN.md §8): its settings (`network.json`, the same file as
 * `lunglens pacs`), its listener — off by default; received series are opened like any study, so
 * they join the study list and the review queue, and are analysed on the same threads and model —
 * query/retrieve against the PACS nodes, and sending an analysed series' result objects (the
 * VERIFIED report too once a clinician signed the study off). Auto-send sends both by itself.
 */
export class NetworkService {
  private node: Listener | null = null;
  private problem: { code: string; message: string } | null = null;

  private constructor(
    private readonly ctx: ServiceContext,
    private readonly model: ModelHolder,
    private readonly studies: StudiesService,
    private readonly analysis: AnalysisService,
    private config: NetworkConfig,
  ) {}

  static async start(ctx: ServiceContext, model: ModelHolder, studies: StudiesService, analysis: AnalysisService): Promise<NetworkService> {
    let config: NetworkConfig;
    let problem: NetworkService['problem'] = null;
    try {
      config = await loadNetworkConfig(ctx.options.dataDir);
    } catch (error) {
      // A damaged file keeps the node off and says why; saving from Settings replaces it.
      config = parseNetworkConfig({});
      problem = { code: 'bad-node-config', message: (error as Error).message };
    }
    const service = new NetworkService(ctx, model, studies, analysis, config);
    service.problem = problem;
    if (config.listener.enabled && !problem) await service.listen();
    return service;
  }

  private get storeDir(): string {
    return path.join(this.ctx.options.dataDir, 'received');
  }

  private get resultsDir(): string {
    return path.join(this.ctx.options.dataDir, 'results');
  }

  private get implementation() {
    return dimseImplementation(this.config.dimse);
  }

  private log = (event: string, fields: Record<string, string | number | boolean> = {}) => this.ctx.log.event(`dicom-${event}`, fields);

  view(): NetworkView {
    const c = this.config;
    return {
      settings: { listener: { ...c.listener }, pacs: c.pacs.map((p) => ({ ...p })), destinations: c.destinations.map((d) => ({ ...d })), autoSend: { ...c.autoSend } },
      status: { listening: this.node !== null, port: this.node?.port ?? null, problem: this.problem },
    };
  }

  async set(settings: NetworkSettings): Promise<NetworkView> {
    let next: NetworkConfig;
    try {
      next = parseNetworkConfig({ ...this.config, ...settings, listener: { ...this.config.listener, ...settings.listener } }, 'the settings');
    } catch (error) {
      throw new ApiError('bad-node-config', (error as Error).message);
    }
    await saveNetworkConfig(this.ctx.options.dataDir, next);
    this.config = next;
    this.problem = null;
    await this.stopListening();
    if (next.listener.enabled) await this.listen();
    return this.view();
  }

  private async listen(): Promise<void> {
    try {
      this.node = await startListener({
        config: this.config, storeDir: this.storeDir, implementation: this.implementation, log: this.log,
        onStableSeries: (series) => this.received(series),
      });
      this.log('listening', { port: this.node.port });
    } catch (error) {
      const p = toProblem(error);
      this.problem = { code: p.code, message: p.message };
      this.log('listen-failed', { code: p.code });
    }
  }

  private async stopListening(): Promise<void> {
    const node = this.node;
    this.node = null;
    await node?.close();
  }

  /** A received CT series: opened (study list), analysed (review queue), its results auto-sent. */
  private async received(series: StableSeries): Promise<void> {
    if (series.kind !== 'ct') return;
    const opened = await this.studies.open([series.folder]);
    for (const view of opened.series) {
      const s = this.studies.opened(view.id);
      const analysis = this.analysis.start(s);
      if (!analysis) return; // no model: the study waits in the list
      await analysis;
      for (const d of this.autoDestinations()) {
        await this.sendSeries(s, d).catch((error: unknown) => this.log('auto-send-failed', { series: uidKey(series.seriesInstanceUid), code: toProblem(error).code }));
      }
    }
  }

  private autoDestinations(): Destination[] {
    const c = this.config;
    return c.autoSend.enabled ? c.destinations.filter((d) => c.autoSend.destinations.includes(d.name)) : [];
  }

  private pacs(name: string) {
    try {
      return pacsNamed(this.config, name);
    } catch (error) {
      throw new ApiError('unknown-pacs', (error as Error).message, 404);
    }
  }

  async find(r: RequestOf<'pacsFind'>): Promise<{ studies: PacsStudy[] }> {
    const node = this.pacs(r.pacs);
    const query = {
      ...(r.patientId ? { patientId: r.patientId } : {}), ...(r.accessionNumber ? { accessionNumber: r.accessionNumber } : {}),
      ...(r.studyDate ? { studyDate: r.studyDate } : {}), ...(r.modality ? { modality: r.modality } : {}),
    };
    const found = await network(() => (r.dicomweb
      ? searchStudies({ url: requireDicomWeb(node) }, query)
      : this.implementation.client.findStudies(node.peer, { aeTitle: this.config.listener.aeTitle }, query)));
    this.log('find', { matches: found.length, dicomweb: r.dicomweb === true });
    return {
      studies: found.map((s) => ({
        studyInstanceUid: s.studyInstanceUid, studyDate: s.studyDate, accessionNumber: s.accessionNumber, studyDescription: s.studyDescription,
        modalitiesInStudy: s.modalitiesInStudy, numberOfSeries: s.numberOfSeries, numberOfInstances: s.numberOfInstances,
      })),
    };
  }

  async retrieve(r: RequestOf<'pacsRetrieve'>): Promise<{ paths: string[]; completed: number; failed: number }> {
    const node = this.pacs(r.pacs);
    const common = { config: this.config, node, studyInstanceUid: r.studyInstanceUid, ...(r.seriesInstanceUid ? { seriesInstanceUid: r.seriesInstanceUid } : {}), storeDir: this.storeDir, log: this.log };
    const outcome = await network(() => (r.dicomweb
      ? retrieveByDicomWeb({ ...common, ...(this.node ? { store: this.node.store } : {}) })
      : retrieveByMove({ ...common, implementation: this.implementation, running: this.node })));
    this.log('retrieve', { series: outcome.series.length, completed: outcome.completed, failed: outcome.failed });
    return { paths: outcome.series.map((s) => s.folder), completed: outcome.completed, failed: outcome.failed };
  }

  async send(seriesId: string, destinationName: string): Promise<SendOutcome> {
    const destination = this.config.destinations.find((d) => d.name === destinationName);
    if (!destination) throw new ApiError('unknown-destination', `No destination is named "${destinationName}"; add it in Settings.`, 404);
    return this.sendSeries(this.studies.opened(seriesId), destination);
  }

  /** The series' objects (and its VERIFIED report when its review is done), written and sent. */
  private async sendSeries(s: OpenedSeries, destination: Destination): Promise<SendOutcome> {
    const objects = await this.objectsOf(s);
    const files = await writeResultFiles(objects, path.join(this.resultsDir, s.summary.studyInstanceUid, s.summary.seriesInstanceUid));
    const sent = await network(() => sendFiles(files, destination, { implementation: this.implementation, callingAeTitle: this.config.listener.aeTitle }));
    this.log('sent', { series: uidKey(s.summary.seriesInstanceUid), destination: destination.name, sent: sent.sent, failed: sent.failed.length });
    return { destination: destination.name, sent: sent.sent, failed: sent.failed.map((f) => ({ file: path.basename(f.file), message: f.message })), objects: objects.map((o) => ({ kind: o.kind, sopInstanceUid: o.sopInstanceUid })) };
  }

  private async inputOf(s: OpenedSeries): Promise<ResultInput> {
    if (!s.dicom) throw new ApiError('not-dicom', 'Results go to a PACS as DICOM objects that reference the images: this series was not read from DICOM files.', 409);
    const engine = this.model.require();
    const a = await (this.analysis.start(s) ?? Promise.reject(new ApiError('no-model', 'No model is loaded.', 409)));
    const ra = resultAnalysisOf(a.result, a.lungMask);
    if (!ra) throw new ApiError('not-analysed', `This series has no result to send (${a.result.error?.message ?? a.result.status}).`, 409);
    const m = engine.identity;
    return resultInput({ dicom: s.dicom, volume: s.volume, analysis: ra, model: { name: m.name, version: m.version, sha256: m.sha256 }, softwareVersion: this.ctx.options.version });
  }

  private async objectsOf(s: OpenedSeries): Promise<ResultObject[]> {
    const input = await this.inputOf(s);
    const objects = resultObjects(input, s.volume);
    const review = s.reviewKey ? this.signedOff.get(s.reviewKey) : undefined;
    if (review) objects.push(this.verified(input, review, objects[0]!));
    return objects;
  }

  private verified(input: ResultInput, review: Review, predecessor: ResultObject): ResultObject {
    return verifiedReport(input, {
      reviewer: review.review.reviewer.slice(0, 64) || 'Unknown', verdict: review.review.verdict ?? 'indeterminate', note: review.review.note.slice(0, 1024),
      marks: review.marks, signedAt: review.review.updatedAt ? new Date(review.review.updatedAt) : new Date(),
    }, predecessor);
  }

  /** Reviews signed off in this session, by review key: their VERIFIED report goes with the series' objects. */
  private readonly signedOff = new Map<string, Review>();

  /** A clinician signed a study off: its VERIFIED report is written and, with auto-send, sent. */
  async onSignedOff(review: Review): Promise<void> {
    if (!review.review.verdict) return;
    this.signedOff.set(review.key, review);
    const s = [...this.studies.all()].find((x) => x.reviewKey === review.key);
    if (!s?.dicom) return; // sent with the series' objects when it is next opened and sent
    try {
      const input = await this.inputOf(s);
      const report = this.verified(input, review, measurementReport(input));
      const files = await writeResultFiles([report], path.join(this.resultsDir, s.summary.studyInstanceUid, s.summary.seriesInstanceUid));
      for (const d of this.autoDestinations()) {
        await sendFiles(files, d, { implementation: this.implementation, callingAeTitle: this.config.listener.aeTitle });
        this.log('verified-sent', { destination: d.name });
      }
    } catch (error) {
      this.log('verified-failed', { code: toProblem(error).code });
    }
  }

  async close(): Promise<void> {
    await this.stopListening();
  }
}

function requireDicomWeb(node: { name: string; dicomweb?: string | undefined }): string {
  if (!node.dicomweb) throw new ApiError('no-dicomweb', `PACS ${node.name} has no DICOMweb URL; add it in Settings.`, 409);
  return node.dicomweb;
}

/** Network failures become a `network` problem with their sentence (the page shows it). */
async function network<T>(act: () => Promise<T>): Promise<T> {
  try {
    return await act();
  } catch (error) {
    if (error instanceof LungLensError) throw new ApiError(error.code === 'usage' ? 'bad-request' : 'network', error.message, 502);
    throw error;
  }
}
