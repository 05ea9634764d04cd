/**
 * The analysis of one volume (DESIGN.md §1): volume → lung mask → model tensors (on the compute
 * threads) → inference with the card's slice strategy (on the engine's thread) → its result.
 * Never throws for a bad volume: it becomes an `error` result with a code and a sentence.
 */
import { LungLensError, type Rejection } from '../errors.js';
import type { InferenceEngine } from '../inference/engine.js';
import type { SeriesSummary } from '../ingest/types.js';
import { topSlices } from '../model/top-slices.js';
import { inputRegion } from '../model/lung-crop.js';
import type { Volume, VolumeInit } from '../volume/volume.js';
import type { ComputePool } from './compute-pool.js';
import type { MaskInputsResult } from './compute-worker.js';
import { rejectionIdentity } from './identity.js';
import { TOP_SLICES, type SeriesResult } from './series-result.js';
import { sliceThumbnail } from './thumbnail.js';
import { inputFacts, judge } from './verdict.js';

export interface AnalyzeContext {
  engine: InferenceEngine;
  compute: ComputePool;
  /** Keep the lung mask (before dilation, one byte per voxel) in the analysis: the viewer shows it. */
  keepLungMask?: boolean;
  /** PNG thumbnails of the top slices (default true: the scan report shows them; the app does not need them). */
  thumbnails?: boolean;
}

export interface VolumeAnalysis {
  result: SeriesResult;
  /** PNG thumbnails of the top slices (slice index → PNG), for the report. */
  thumbnails: Map<number, Buffer>;
  /** The lung mask on the volume's grid, when `keepLungMask` asked for it and one was found. */
  lungMask?: Uint8Array;
  /** Slices where the lung mask is not empty (0 when none was found). */
  slicesWithLung: number;
}

/** Lung-mask outcomes that mean "not a chest CT in HU the detector can read", not a failure. */
const NOT_APPLICABLE = new Set(['no-lung-found', 'not-hu']);

type Stage = 'read' | 'identity' | 'mask' | 'maskTensors' | 'tensors' | 'inference' | 'thumbnails';

/** The result's fields that do not depend on the model's answer. */
export function baseResult(summary: SeriesSummary, identity: string, engine: InferenceEngine): SeriesResult {
  return {
    id: summary.id,
    identity,
    seriesInstanceUid: summary.seriesInstanceUid,
    studyInstanceUid: summary.studyInstanceUid,
    seriesDescription: summary.seriesDescription,
    path: summary.path,
    status: 'error',
    probability: null,
    verdict: null,
    threshold: engine.card.threshold,
    sliceAttention: [],
    slicePositive: [],
    topSlices: [],
    lungVolumeMl: null,
    dimensions: [...summary.dimensions],
    spacingMm: [...summary.spacingMm],
    executionProvider: engine.identity.executionProvider,
    timingsMs: {},
    warnings: summary.warnings.map((w) => ({ ...w })),
    // What was assumed about the input (DESIGN.md §3): the reader says it per series.
    units: summary.units,
    calibrated: summary.units === 'HU',
    spacingSource: summary.spacingSource,
    contiguous: summary.contiguous,
  };
}

/** A file or series the reader rejected, as an `error` result. */
export function rejectedResult(rejection: Rejection, engine: InferenceEngine): SeriesResult {
  const identity = rejectionIdentity(rejection.path, rejection.code);
  return {
    id: identity.slice(0, 16), identity, seriesInstanceUid: '', studyInstanceUid: '', seriesDescription: '', path: rejection.path,
    status: 'error', probability: null, verdict: null, threshold: engine.card.threshold, sliceAttention: [], slicePositive: [], topSlices: [],
    lungVolumeMl: null, dimensions: null, spacingMm: null, executionProvider: engine.identity.executionProvider, timingsMs: {}, warnings: [],
    error: { code: rejection.code, message: rejection.message },
  };
}

/**
 * `identity` is the volume's content identity (identity.ts), or the function that computes it:
 * then it runs here while the lung mask is made (its time overlaps the mask's).
 * `before` is the time already spent on the volume (reading, identity), which the result's timings
 * report with its own stages.
 */
export async function analyzeVolume(summary: SeriesSummary, volume: Volume, identity: string | (() => string), before: { readMs: number; identityMs: number }, ctx: AnalyzeContext): Promise<VolumeAnalysis> {
  const timings: Partial<Record<Stage | 'total', number>> = { read: round(before.readMs), identity: round(before.identityMs) };
  const started = performance.now();
  let t = performance.now();
  const result = baseResult(summary, typeof identity === 'string' ? identity : '', ctx.engine);
  const identify = () => {
    if (typeof identity === 'string') return;
    const t0 = performance.now();
    result.identity = identity();
    timings.identity = round(performance.now() - t0);
  };
  const finish = (): SeriesResult => {
    timings.total = round(before.readMs + before.identityMs + performance.now() - started);
    result.timingsMs = timings as Record<string, number>;
    return result;
  };
  if (summary.modality && summary.modality !== 'CT') {
    result.status = 'skipped';
    result.error = { code: 'not-ct', message: `The series is ${summary.modality}, not CT; the detector reads chest CT only.` };
    identify();
    return { result: finish(), thumbnails: new Map(), slicesWithLung: 0 };
  }
  const pre = ctx.engine.card.preprocessing;
  const n = volume.dimensions[2];
  const area = pre.size * pre.size;
  const slices = new Float32Array(new SharedArrayBuffer(n * area * 4));
  const masks = new Uint8Array(new SharedArrayBuffer(n * area));
  const lungMask = ctx.keepLungMask ? new Uint8Array(new SharedArrayBuffer(volume.voxels.length)) : undefined;
  const init = volumeInit(volume);
  const failed = (error: unknown) => ({ ok: false as const, code: 'prepare-failed', message: `The model input could not be made: ${(error as Error).message}`, timingsMs: { mask: 0, tensors: 0 } });
  const { sliced, inputs } = pre.crop
    ? await croppedModelInputs(ctx, volume, init, slices, masks, lungMask, identify, failed)
    : await wholeModelInputs(ctx, init, slices, masks, lungMask, identify, failed);
  timings.mask = round(inputs.timingsMs.mask);
  timings.maskTensors = round(inputs.timingsMs.tensors);
  if ('ms' in sliced) timings.tensors = round(sliced.ms);
  if ('ok' in sliced && !sliced.ok) {
    result.error = { code: sliced.code, message: sliced.message };
    return { result: finish(), thumbnails: new Map(), slicesWithLung: 0 };
  }
  if (!inputs.ok) {
    // A volume the reader accepted but the detector cannot read (no lung in it, values not in HU)
    // is skipped with the reason; anything else that went wrong is an error.
    if (NOT_APPLICABLE.has(inputs.code)) result.status = 'skipped';
    result.error = { code: inputs.code, message: inputs.message };
    return { result: finish(), thumbnails: new Map(), slicesWithLung: 0 };
  }
  result.lungVolumeMl = Math.round(inputs.lungVolumeMl * 10) / 10;
  if (inputs.warnings) result.warnings.push(...inputs.warnings);
  const lung = { slicesWithLung: inputs.slicesWithLung, ...(lungMask ? { lungMask } : {}) };
  const below = lungsBelowWindow(summary);
  if (below) {
    // The lungs were found (their mask is shown), but what the detector reads in them is gone.
    result.status = 'skipped';
    result.error = below;
    return { result: finish(), thumbnails: new Map(), ...lung };
  }
  try {
    t = performance.now();
    const inference = await ctx.engine.infer(slices, masks, n);
    timings.inference = round(performance.now() - t);
    result.status = 'ok';
    const judged = judge(ctx.engine.card, inference, (card) => inputFacts(card, volume, result.calibrated ?? volume.units === 'HU', inputs.lungVolumeMl, slices, masks));
    result.probability = inference.probability;
    result.verdict = judged.verdict;
    result.sliceAttention = Array.from(inference.attention);
    result.slicePositive = judged.slicePositive;
    if (judged.reasons) {
      result.oodScore = judged.oodScore ?? null;
      result.reasons = judged.reasons.map((r) => ({ code: r.code, message: r.message }));
    }
    result.topSlices = topSlices(inference.attention, TOP_SLICES);
  } catch (error) {
    const e = error instanceof LungLensError ? error : new LungLensError('inference-failed', `The model could not be run: ${(error as Error).message}`);
    result.error = { code: e.code, message: e.message };
    return { result: finish(), thumbnails: new Map(), ...lung };
  }
  t = performance.now();
  const thumbnails = new Map(ctx.thumbnails === false ? [] : result.topSlices.map((k) => [k, sliceThumbnail(volume, k)] as const));
  if (ctx.thumbnails !== false) timings.thumbnails = round(performance.now() - t);
  return { result: finish(), thumbnails, ...lung };
}

/**
 * A rendering whose window starts above lung (a soft-tissue or bone window) clips the lungs to
 * black: ground glass and crazy paving, the detector's evidence, are gone with them. Read through
 * it, the model answered "no COVID-19 pattern" for every one of 24 phantoms, half of them COVID-19
 * (scripts/measure-uncalibrated.ts) — an answer it cannot give; such a series is skipped, saying why.
 * Only where two tissues placed the window: a window guessed from one tissue and its spread (crops
 * whose lungs sit at the darkest level, slices-2d) may be a lung window after all, and is analysed
 * with its warning.
 */
function lungsBelowWindow(summary: SeriesSummary): { code: string; message: string } | null {
  const basis = summary.assumedWindow?.basis;
  const rendering = basis?.rendering;
  if ((rendering !== 'soft-tissue' && rendering !== 'bone') || basis!.anchors.length < 2) return null;
  const w = summary.assumedWindow!;
  return {
    code: 'lungs-below-window',
    message: `The images were rendered in a ${rendering === 'bone' ? 'bone' : 'soft-tissue (mediastinal)'} window (${w.lowHu} … ${w.highHu} HU), which shows the lungs black: ground glass and other lung opacities are lost, so the detector cannot read them. Export the slices in a lung window (e.g. centre −600, width 1500).`,
  };
}

type Failed = { ok: false; code: string; message: string; timingsMs: { mask: number; tensors: number } };
type ModelInputs = { sliced: { ms: number } | Failed; inputs: MaskInputsResult | Failed };

/**
 * The model's inputs over the whole field of view: the slices' tensors and the lung mask (then
 * its tensors) on two threads at once. The identity (when asked for) is hashed once the slices'
 * tensors are done: their thread is then free while the lung mask goes on.
 */
async function wholeModelInputs(ctx: AnalyzeContext, init: VolumeInit, slices: Float32Array, masks: Uint8Array, lungMask: Uint8Array | undefined, identify: () => void, failed: (e: unknown) => Failed): Promise<ModelInputs> {
  const pre = ctx.engine.card.preprocessing;
  const [sliced, inputs] = await Promise.all([
    ctx.compute.sliceInputs({ volume: init, preprocessing: pre, slices }).catch(failed).then((r) => (identify(), r)),
    ctx.compute.maskInputs({ volume: init, size: pre.size, masks, ...(lungMask ? { lungMask } : {}) }).catch(failed),
  ]);
  return { sliced, inputs };
}

/**
 * The inputs of a model that crops to the lungs (the card's `preprocessing.crop`): the lung mask
 * first (kept dilated in shared memory), the region from it, then both tensors over the region on
 * the threads; the identity is hashed between the two.
 */
async function croppedModelInputs(ctx: AnalyzeContext, volume: Volume, init: VolumeInit, slices: Float32Array, masks: Uint8Array, lungMask: Uint8Array | undefined, identify: () => void, failed: (e: unknown) => Failed): Promise<ModelInputs> {
  const pre = ctx.engine.card.preprocessing;
  const dilatedMask = new Uint8Array(new SharedArrayBuffer(volume.voxels.length));
  const inputs = await ctx.compute.maskInputs({ volume: init, size: pre.size, dilatedMask, ...(lungMask ? { lungMask } : {}) }).catch(failed);
  identify();
  if (!inputs.ok) return { sliced: { ms: 0 }, inputs };
  const region = inputRegion(volume, dilatedMask, pre);
  const sliced = await ctx.compute.croppedInputs({ volume: init, preprocessing: pre, dilatedMask, region, slices, masks }).catch(failed);
  return { sliced, inputs };
}

function volumeInit(volume: Volume): VolumeInit {
  return { dimensions: volume.dimensions, spacingMm: volume.spacingMm, originLps: volume.originLps, direction: volume.direction, voxels: volume.voxels, ...volume.provenance };
}

const round = (ms: number) => Math.round(ms * 10) / 10;
