/**
 * A DICOM series on disk → the detector's analysis → the result objects (SR, SEG, KOS, SC) as
 * files: what the node does with each stable series it receives and what `lunglens send` does
 * with the paths it is given. Each content identity (geometry and voxels) is analysed once per
 * journal: the same study sent again, even under new UIDs, is recognised and not analysed again.
 */
import path from 'node:path';
import { analyzeVolume, contentIdentity, type AnalysisPools, type SeriesResult } from '../analysis/index.js';
import {
  keyObjectSelection, lungSegmentation, measurementReport, resultInput, summaryImage, writeResultFiles, type ResultAnalysis, type ResultObject,
} from '../dicom-results/index.js';
import type { InferenceEngine } from '../inference/engine.js';
import type { AnalysedJournal } from './journal.js';

export interface AnalyseContext {
  engine: InferenceEngine;
  pools: AnalysisPools;
  /** LungLens's version, written into the objects. */
  softwareVersion: string;
  institutionName?: string;
  /** The objects of each series go to `<resultsDir>/<Study UID>/<Series UID>/`. */
  resultsDir: string;
  /** Content already analysed is skipped (absent: analyse everything, e.g. `lunglens send`). */
  journal?: AnalysedJournal;
  /**
   * Called with the SR's file as soon as it is written, before the SEG, KOS and SC are made (≈ 1 s
   * for a 300-slice SEG): the node sends the report first, which is what a PACS user waits for.
   */
  onReport?: (file: string, series: { studyInstanceUid: string; seriesInstanceUid: string }) => Promise<void>;
}

export interface AnalysedSeries {
  studyInstanceUid: string;
  seriesInstanceUid: string;
  identity: string;
  result: SeriesResult | null;
  objects: ResultObject[];
  files: string[];
  /** Why there are no objects: not DICOM, not analysable, or analysed before. */
  skipped?: { code: string; message: string };
  /**
   * Where the time went, in ms: reading the series, its content identity, the analysis and within
   * it the lung mask and the model, making and writing the SR, `onReport` (sending it), the other
   * objects.
   */
  timingsMs: Partial<Record<'read' | 'identity' | 'analysis' | 'mask' | 'inference' | 'report' | 'reportSent' | 'otherObjects', number>>;
}

/** The analysis in the shape the result objects are written from. */
export function resultAnalysisOf(result: SeriesResult, lungMask: Uint8Array | undefined): ResultAnalysis | null {
  if (result.status !== 'ok' || result.probability === null) return null;
  if (result.verdict === null) return null;
  return {
    probability: result.probability,
    verdict: result.verdict,
    reasons: result.verdict === 'indeterminate' ? (result.reasons ?? []).map((r) => r.message) : [],
    threshold: result.threshold,
    sliceAttention: result.sliceAttention,
    slicePositive: result.slicePositive,
    topSlices: result.topSlices,
    lungMask: lungMask ?? null,
    lungVolumeMl: result.lungVolumeMl,
  };
}

const ms = (v: number) => Math.round(v);

export async function analyseDicomSeries(paths: string[], ctx: AnalyseContext): Promise<AnalysedSeries[]> {
  const out: AnalysedSeries[] = [];
  let readStarted = performance.now();
  await ctx.pools.readSeries(paths, {
    onVolume: async (summary, volume, dicom) => {
      const timingsMs: AnalysedSeries['timingsMs'] = { read: ms(performance.now() - readStarted) };
      const base = { studyInstanceUid: summary.studyInstanceUid, seriesInstanceUid: summary.seriesInstanceUid, objects: [], files: [], timingsMs };
      const done = (a: AnalysedSeries) => {
        out.push(a);
        readStarted = performance.now();
      };
      if (!dicom) return done({ ...base, identity: '', result: null, skipped: { code: 'not-dicom', message: 'Results as DICOM objects need a DICOM source series.' } });
      let t = performance.now();
      const identity = contentIdentity(volume);
      timingsMs.identity = ms(performance.now() - t);
      const before = ctx.journal?.get(identity);
      if (before) {
        return done({ ...base, identity, result: null, files: before.files, skipped: { code: 'already-analysed', message: 'This content was analysed before; its result objects are kept.' } });
      }
      t = performance.now();
      const analysis = await analyzeVolume(summary, volume, identity, { readMs: timingsMs.read!, identityMs: timingsMs.identity }, {
        engine: ctx.engine, compute: ctx.pools.compute, keepLungMask: true, thumbnails: false,
      });
      timingsMs.analysis = ms(performance.now() - t);
      for (const k of ['mask', 'inference'] as const) {
        const v = analysis.result.timingsMs[k];
        if (v !== undefined) timingsMs[k] = ms(v);
      }
      const ra = resultAnalysisOf(analysis.result, analysis.lungMask);
      if (!ra) return done({ ...base, identity, result: analysis.result, skipped: analysis.result.error ?? { code: analysis.result.status, message: 'No result to write.' } });
      t = performance.now();
      const m = ctx.engine.identity;
      const input = resultInput({
        dicom, volume, analysis: ra, model: { name: m.name, version: m.version, sha256: m.sha256 },
        softwareVersion: ctx.softwareVersion, ...(ctx.institutionName ? { institutionName: ctx.institutionName } : {}),
      });
      const dir = path.join(ctx.resultsDir, summary.studyInstanceUid, summary.seriesInstanceUid);
      const report = measurementReport(input);
      const [reportFile] = await writeResultFiles([report], dir);
      timingsMs.report = ms(performance.now() - t);
      t = performance.now();
      await ctx.onReport?.(reportFile!, { studyInstanceUid: summary.studyInstanceUid, seriesInstanceUid: summary.seriesInstanceUid });
      timingsMs.reportSent = ms(performance.now() - t);
      t = performance.now();
      const rest = [lungSegmentation(input), keyObjectSelection(input), summaryImage(input, volume)].filter((o): o is ResultObject => o !== null);
      const objects = [report, ...rest];
      const files = [reportFile!, ...await writeResultFiles(rest, dir)];
      timingsMs.otherObjects = ms(performance.now() - t);
      await ctx.journal?.add({ identity, seriesInstanceUid: summary.seriesInstanceUid, files });
      return done({ ...base, identity, result: analysis.result, objects, files });
    },
  });
  return out;
}
