/**
 * The inference engine (DESIGN.md §4): a model file with its card, checked, on a worker thread.
 *
 * `InferenceEngine.open` refuses a model whose sha256 differs from its card's, or whose graph
 * does not take `slices`/`masks` [N,1,S,S] with the card's S; it picks the execution provider
 * (execution-provider.ts) and reports the one actually used. `infer` runs a whole volume with
 * the card's slice strategy (slice-strategy.ts) — deterministic, every slice gets a weight.
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { outsideAsar } from './asar-path.js';
import { LungLensError } from '../errors.js';
import { calibratedProbability, combineFeatures, oodScore } from '../model/abstention.js';
import { readModelCard, type ModelCard } from '../model/card.js';
import { combinePasses, interleavedPasses, slicePositives } from '../model/slice-strategy.js';
import { WorkerPool } from '../workers/worker-pool.js';
import type { ProviderPreference, ProviderReport } from './execution-provider.js';
import type * as EngineWorker from './engine-worker.js';

export interface EngineOptions {
  /** The .onnx file; its card is `<name>.card.json` beside it. Default: the bundled model. */
  model?: string;
  provider?: ProviderPreference;
  /** onnxruntime intra-op threads (default: all cores). */
  threads?: number;
}

export interface VolumeInference {
  /** Calibrated (the card's `probabilityCalibration`) where the card has one. */
  probability: number;
  /** At the threshold, before any abstention (the analysis decides that, with the input's facts). */
  verdict: 'covid' | 'non-covid';
  /** The OOD score of the passes' mean `features` (model/abstention.ts), where the card has an OOD model; NaN when the graph gave none. */
  oodScore?: number;
  threshold: number;
  /** One weight per slice, slice-index order, summing to 1. */
  attention: Float64Array;
  slicePositive: boolean[];
  passes: number;
  ms: number;
}

/** Identity of the model, as results.json's `model` block (DESIGN.md §3) reports it. */
export interface ModelIdentity {
  name: string;
  version: string;
  sha256: string;
  executionProvider: ProviderReport['used'];
  provider: ProviderReport;
  threads: number;
}

/** The bundled model (models/ at the project root; in the packaged app, unpacked beside app.asar). */
export function defaultModelPath(): string {
  const root = fileURLToPath(new URL('../../../', import.meta.url));
  return outsideAsar(path.join(root, 'models', 'lunglens-compact.onnx'));
}

export function cardPathFor(modelPath: string): string {
  return path.join(path.dirname(modelPath), `${path.basename(modelPath, '.onnx')}.card.json`);
}

async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export class InferenceEngine {
  private constructor(
    private readonly pool: WorkerPool<typeof EngineWorker>,
    readonly card: ModelCard,
    readonly modelPath: string,
    readonly identity: ModelIdentity,
  ) {}

  static async open(options: EngineOptions = {}): Promise<InferenceEngine> {
    const modelPath = path.resolve(options.model ?? defaultModelPath());
    if (!existsSync(modelPath)) throw new LungLensError('bad-model', `The model file ${modelPath} does not exist.`);
    const card = await readModelCard(cardPathFor(modelPath));
    const sha256 = await sha256File(modelPath);
    if (sha256 !== card.sha256) {
      throw new LungLensError('bad-model', `The model file ${path.basename(modelPath)} is not the one its card describes (sha256 ${sha256.slice(0, 12)}… instead of ${card.sha256.slice(0, 12)}…); refusing to run it.`);
    }
    const threads = Math.max(1, Math.floor(options.threads ?? os.availableParallelism()));
    // One worker: onnxruntime parallelises inside a pass with its own threads.
    const pool = new WorkerPool<typeof EngineWorker>(import.meta.url, './engine-worker', { threads: 1, idleTimeoutMs: Infinity });
    let info: EngineWorker.OpenResult;
    try {
      info = await pool.call('open', { modelPath, provider: options.provider ?? 'auto', threads });
    } catch (error) {
      await pool.close();
      throw new LungLensError('bad-model', `onnxruntime cannot load ${path.basename(modelPath)}: ${(error as Error).message}`);
    }
    const problem = checkGraph(info, card);
    if (problem) {
      await pool.close();
      throw new LungLensError('bad-model', `The model ${path.basename(modelPath)} does not match its card: ${problem}`);
    }
    const version = typeof card['createdAt'] === 'string' ? card['createdAt'] : card.sha256.slice(0, 12);
    return new InferenceEngine(pool, card, modelPath, { name: card.name, version, sha256, executionProvider: info.provider.used, provider: info.provider, threads });
  }

  /**
   * Runs a whole volume: `slices` [N,1,S,S] and `masks` [N,1,S,S] as the card's preprocessing
   * made them (pass them on SharedArrayBuffers to avoid a copy into the worker).
   */
  async infer(slices: Float32Array, masks: Uint8Array, sliceTotal: number): Promise<VolumeInference> {
    const size = this.card.preprocessing.size;
    if (slices.length !== sliceTotal * size * size || masks.length !== slices.length) {
      throw new LungLensError('inference-failed', `The model needs ${sliceTotal}×${size}×${size} values per input, got ${slices.length} and ${masks.length}.`);
    }
    const plan = interleavedPasses(sliceTotal, this.card.sliceStrategy);
    let result: EngineWorker.RunResult;
    try {
      result = await this.pool.call('run', { slices, masks, size, passes: plan });
    } catch (error) {
      throw new LungLensError('inference-failed', `The model could not be run: ${(error as Error).message}`);
    }
    const combined = combinePasses(sliceTotal, plan, result.passes);
    const { attention } = combined;
    const { probabilityCalibration, ood } = this.card;
    const probability = probabilityCalibration ? calibratedProbability(result.passes.map((p) => p.logits), probabilityCalibration.temperature) : combined.probability;
    const threshold = this.card.threshold;
    return {
      probability,
      ...(ood ? { oodScore: volumeOodScore(ood, result.passes) } : {}),
      verdict: probability >= threshold ? 'covid' : 'non-covid',
      threshold,
      attention,
      slicePositive: slicePositives(attention, probability, threshold, this.card.slicePositiveRule),
      passes: plan.length,
      ms: result.ms,
    };
  }

  /** Releases the onnxruntime session in its thread, then ends the thread (a thread ended with a live session can abort the process while it is torn down). */
  async close(): Promise<void> {
    await this.pool.call('close').catch(() => undefined);
    await this.pool.close();
  }
}

/** The OOD score of the mean of the passes' features; NaN (which abstains) when a pass has none. */
function volumeOodScore(ood: NonNullable<ModelCard['ood']>, passes: EngineWorker.RunResult['passes']): number {
  const features = passes.map((p) => p.features);
  if (features.some((f) => f === undefined)) return Number.NaN;
  return oodScore(ood, combineFeatures(features as number[][]));
}

/** Why the graph cannot take the card's inputs, or null when it can. */
function checkGraph(info: EngineWorker.OpenResult, card: ModelCard): string | null {
  const size = card.preprocessing.size;
  if (info.inputNames.join(',') !== 'slices,masks') return `its inputs are [${info.inputNames.join(', ')}], expected [slices, masks].`;
  // logits and attention (DESIGN.md §4); a card with an OOD model also needs the graph's `features`.
  const outputs = new Set(info.outputNames);
  const needed = ['logits', 'attention', ...(card.ood ? ['features'] : [])];
  if (needed.some((name) => !outputs.has(name))) return `its outputs are [${info.outputNames.join(', ')}], expected ${needed.join(', ')}.`;
  for (const name of ['slices', 'masks']) {
    const shape = info.inputShapes[name];
    if (!shape || shape.length !== 4 || typeof shape[0] === 'number' || shape[1] !== 1 || shape[2] !== size || shape[3] !== size) {
      return `input "${name}" has shape [${(shape ?? []).join(', ')}], expected [N, 1, ${size}, ${size}] with N free (the card's size S = ${size}).`;
    }
  }
  return null;
}
