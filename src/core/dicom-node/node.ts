/**
 * The DICOM node at work: the listener receives, each stable CT series is analysed once per
 * content, and its result objects go to the destinations of the auto-send rule. One line per
 * received, analysed and sent series reaches `report` (the CLI prints them); the log gets codes.
 */
import {
  describeDestination, sendFiles, silentLog, startListener, uidKey,
  type Destination, type DimseImplementation, type Listener, type NetworkConfig, type NetworkLog, type StableSeries,
} from '../network/index.js';
import { analyseDicomSeries, type AnalyseContext, type AnalysedSeries } from './analyse.js';

export interface DicomNodeOptions {
  config: NetworkConfig;
  storeDir: string;
  implementation: DimseImplementation;
  analysis: AnalyseContext;
  /** Where result objects are sent as soon as they are written (the auto-send rule). */
  destinations: Destination[];
  report?: (line: string) => void;
  log?: NetworkLog;
  /** Called after a series was handled (tests, the app's study list). */
  onSeries?: (series: StableSeries, analysed: AnalysedSeries[]) => void;
  quietMs?: number;
}

const verdictText = (a: AnalysedSeries) => (a.result?.status === 'ok' ? `${a.result.verdict ?? 'indeterminate'} p=${a.result.probability?.toFixed(3)}` : a.skipped?.code ?? 'no result');

export async function startDicomNode(o: DicomNodeOptions): Promise<Listener> {
  const report = o.report ?? (() => undefined);
  const log = o.log ?? silentLog;
  return startListener({
    config: o.config, storeDir: o.storeDir, implementation: o.implementation, log,
    ...(o.quietMs !== undefined ? { quietMs: o.quietMs } : {}),
    onStableSeries: async (series) => {
      const key = uidKey(series.seriesInstanceUid);
      report(`received series ${key}: ${series.instances} ${series.kind === 'ct' ? 'CT images' : series.kind === 'seg' ? 'segmentation' : 'report'} in ${series.folder}`);
      if (series.kind !== 'ct') return o.onSeries?.(series, []);
      const send = async (files: string[]) => {
        const outcomes = new Map<string, { sent: number; failed: string[] }>();
        for (const d of o.destinations) {
          try {
            const sent = await sendFiles(files, d, { implementation: o.implementation, callingAeTitle: o.config.listener.aeTitle });
            outcomes.set(d.name, { sent: sent.sent, failed: sent.failed.map((f) => f.message) });
            log('results-sent', { series: key, destination: d.name, sent: sent.sent, failed: sent.failed.length });
          } catch (error) {
            outcomes.set(d.name, { sent: 0, failed: [(error as Error).message] });
            log('results-send-failed', { series: key, destination: d.name });
          }
        }
        return outcomes;
      };
      // The report goes first, as soon as it exists; the other objects follow once they are made.
      let first = new Map<string, { sent: number; failed: string[] }>();
      const analysed = await analyseDicomSeries([series.folder], { ...o.analysis, onReport: async (file) => { first = await send([file]); } });
      for (const a of analysed) {
        report(`analysed series ${key}: ${verdictText(a)}${a.files.length ? `, ${a.files.length} result objects` : ''}`);
        log('series-analysed', { series: key, status: a.result?.status ?? 'skipped', code: a.skipped?.code ?? 'ok', objects: a.objects.length });
        if (a.objects.length === 0 || o.destinations.length === 0) continue;
        const rest = await send(a.files.slice(1));
        for (const d of o.destinations) {
          const sent = (first.get(d.name)?.sent ?? 0) + (rest.get(d.name)?.sent ?? 0);
          const failed = [...(first.get(d.name)?.failed ?? []), ...(rest.get(d.name)?.failed ?? [])];
          report(`sent series ${key}: ${sent} of ${a.files.length} result objects to ${d.name} (${describeDestination(d)})${failed.length ? `; failed: ${failed.join('; ')}` : ''}`);
        }
      }
      o.onSeries?.(series, analysed);
    },
  });
}
