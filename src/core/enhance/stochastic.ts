/**
 * The stochastic random-walk enhancement (paper §III-A1, DESIGN.md §5), progressive and
 * parallel:
 *
 *   const e = new StochasticEnhancer(windowed, 512, 512, { seed: 7 }); // starts + warms the workers
 *   await e.runPreview(4); show(e.previewEstimate()!); // chain 0 of every 4th pixel, interpolated
 *   await e.runChains(1);  show(e.estimate());     // first chain of every pixel
 *   await e.runChains(19); show(e.estimate());     // the full n = 20 result replaces it
 *   await e.close();
 *
 * or `enhanceStochastic(windowed, w, h, params, { onPreview, onProgress })`. Each round adds its chains'
 * per-pixel Σ w·I, Σ w and Σ s to the running sums, so later rounds refine earlier ones and the
 * result after n chains is the same whatever the rounds were. Rows are shared between worker
 * threads through SharedArrayBuffers (claimed in blocks off an atomic counter); random numbers
 * are counter-based per (seed, pixel, chain, draw), so the output is bit-identical for a seed
 * whatever the thread count or schedule. Workers are started (and their kernel compiled on a small
 * warm-up job) when the enhancer is constructed and live until close(); a freshly started worker
 * takes a few hundred ms before its first round can start, so construct the enhancer early.
 */
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { sobelMagnitude } from './gradient.js';
import { angleTables } from './stochastic-angles.js';
import { baseLayer, combineStochastic, type StochasticSums } from './stochastic-combine.js';
import { stochasticKernel, type KernelJob } from './stochastic-kernel.js';
import { resolveStochasticParams, type StochasticParams } from './stochastic-params.js';

export { DEFAULT_STOCHASTIC, resolveStochasticParams, type StochasticParams } from './stochastic-params.js';

/** exp table resolution: a step of 1/256 with linear interpolation is within 2e-6 relative. */
const EXP_SCALE = 256;
const ROW_BLOCK = 4;
const WARM_UP = 24;

let sprayTables: { coarse: Float64Array; fine: Float64Array } | undefined;
function sharedAngleTables(): { coarse: Float64Array; fine: Float64Array } {
  sprayTables ??= angleTables((n) => new Float64Array(new SharedArrayBuffer(n * 8)));
  return sprayTables;
}

function expTable(minWeight: number): Float32Array {
  const limit = minWeight > 0 ? Math.min(-Math.log(minWeight), 60) : 60;
  const n = Math.ceil(limit * EXP_SCALE) + 2;
  const t = new Float32Array(new SharedArrayBuffer(n * 4));
  for (let k = 0; k < n; k++) t[k] = Math.exp(-k / EXP_SCALE);
  return t;
}

function sharedF32(n: number): Float32Array {
  return new Float32Array(new SharedArrayBuffer(n * 4));
}
function sharedF64(n: number): Float64Array {
  return new Float64Array(new SharedArrayBuffer(n * 8));
}

const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const stochasticKernel = ${stochasticKernel.toString()};
parentPort.on('message', (job) => {
  if (job.warmUp) { try { stochasticKernel(job); } catch {} return; } // no reply: see warmUpJob
  try { parentPort.postMessage({ samples: stochasticKernel(job) }); }
  catch (error) { parentPort.postMessage({ error: String(error && error.stack || error) }); }
});
`;

export interface EnhancerOptions {
  /** Worker threads (default: available cores; 0 runs on the calling thread). */
  threads?: number;
}

export class StochasticEnhancer {
  readonly params: StochasticParams;
  readonly width: number;
  readonly height: number;
  private readonly image: Float32Array;
  private readonly grad: Float32Array;
  private readonly sums: StochasticSums;
  private readonly counter = new Int32Array(new SharedArrayBuffer(4));
  private readonly expTable: Float32Array;
  private readonly threads: number;
  private workers: Worker[] = [];
  private done = 0;
  private busy = false;
  private preview: { step: number; sums: StochasticSums } | undefined;
  /** Samples read so far (for throughput figures). */
  samplesRead = 0;

  constructor(image: Float32Array, width: number, height: number, params: Partial<StochasticParams> = {}, options: EnhancerOptions = {}) {
    if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1 || image.length !== width * height) {
      throw new RangeError(`stochastic enhancement: ${image.length} values for ${width}×${height}`);
    }
    this.params = resolveStochasticParams(params);
    this.width = width;
    this.height = height;
    const n = width * height;
    this.image = sharedF32(n);
    for (let i = 0; i < n; i++) {
      const v = image[i]!;
      this.image[i] = v > 0 ? (v < 1 ? v : 1) : 0; // I ∈ [0, 1]; NaN → 0
    }
    this.grad = sobelMagnitude(this.image, width, height, sharedF32(n));
    this.sums = { sumWI: sharedF64(n), sumW: sharedF64(n), sumS: sharedF64(n) };
    this.expTable = expTable(this.params.minWeight);
    this.threads = Math.max(0, Math.floor(options.threads ?? os.availableParallelism()));
    this.spawnWorkers(); // start-up overlaps with the caller's work before the first round
  }

  /** Chains run so far (per pixel). */
  get chainsDone(): number {
    return this.done;
  }

  private job(chainStart: number, chainEnd: number, pixelStep = 1, sums: StochasticSums = this.sums): KernelJob {
    const p = this.params;

    return {
      image: this.image, grad: this.grad, width: this.width, height: this.height,
      angleCoarse: sharedAngleTables().coarse, angleFine: sharedAngleTables().fine, expTable: this.expTable, expScale: EXP_SCALE,
      chainStart, chainEnd, samples: p.samples, radiusInnerPx: p.radiusInnerPx, radiusOuterPx: p.radiusOuterPx,
      sigmaIntensity: p.sigmaIntensity, sigmaGradient: p.sigmaGradient, minWeight: p.minWeight, seed: p.seed,
      counter: this.counter, rowBlock: ROW_BLOCK, pixelStep, ...sums,
    };
  }

  private clampCount(k: number): number {
    if (!Number.isInteger(k) || k < 0) throw new RangeError(`runChains: k must be a non-negative integer, got ${k}`);
    return Math.min(k, this.params.chains - this.done);
  }

  /** Runs the next k chains on the calling thread (blocking). */
  runChainsSync(k: number): void {
    const count = this.clampCount(k);
    if (count === 0) return;
    this.counter[0] = 0;
    this.samplesRead += stochasticKernel(this.job(this.done, this.done + count));
    this.done += count;
  }

  /** Runs the next k chains (capped at params.chains) on the worker threads. */
  async runChains(k: number): Promise<void> {
    const count = this.clampCount(k);
    if (count === 0) return;
    if (this.threads === 0) return this.runChainsSync(count);
    await this.runRound(this.job(this.done, this.done + count));
    this.done += count;
  }

  /**
   * A quick preview: chain 0 of every `step`-th pixel in x and y only (1/step² of the work), into
   * sums of its own (the full rounds are unaffected and recompute those pixels). Read it with
   * previewEstimate(), which interpolates between the computed pixels.
   */
  async runPreview(step = 4): Promise<void> {
    if (!Number.isInteger(step) || step < 1) throw new RangeError(`runPreview: step must be a positive integer, got ${step}`);
    const n = this.width * this.height;
    const sums = { sumWI: sharedF64(n), sumW: sharedF64(n), sumS: sharedF64(n) };
    const job = this.job(0, 1, step, sums);
    if (this.threads === 0) {
      this.counter[0] = 0;
      this.samplesRead += stochasticKernel(job);
    } else {
      await this.runRound(job);
    }
    this.preview = { step, sums };
  }

  /** The preview (see runPreview), bilinearly interpolated to the full size; undefined before one ran. */
  previewEstimate(out: Float32Array = new Float32Array(this.width * this.height)): Float32Array | undefined {
    if (!this.preview) return undefined;
    const { step, sums } = this.preview;
    const { width: w, height: h } = this;
    const gw = Math.ceil(w / step), gh = Math.ceil(h / step);
    const gi = new Float32Array(gw * gh);
    const gs: StochasticSums = { sumWI: new Float64Array(gw * gh), sumW: new Float64Array(gw * gh), sumS: new Float64Array(gw * gh) };
    for (let gy = 0; gy < gh; gy++) {
      for (let gx = 0; gx < gw; gx++) {
        const q = gy * step * w + gx * step, g = gy * gw + gx;
        gi[g] = this.image[q]!;
        gs.sumWI[g] = sums.sumWI[q]!;
        gs.sumW[g] = sums.sumW[q]!;
        gs.sumS[g] = sums.sumS[q]!;
      }
    }
    const small = combineStochastic(gi, gs, 1, this.params);
    for (let y = 0; y < h; y++) {
      const fy = y / step, y1 = Math.min(gh - 1, Math.floor(fy)), y2 = Math.min(gh - 1, y1 + 1), ty = y2 > y1 ? fy - y1 : 0;
      for (let x = 0; x < w; x++) {
        const fx = x / step, x1 = Math.min(gw - 1, Math.floor(fx)), x2 = Math.min(gw - 1, x1 + 1), tx = x2 > x1 ? fx - x1 : 0;
        const a = small[y1 * gw + x1]! + (small[y1 * gw + x2]! - small[y1 * gw + x1]!) * tx;
        const b = small[y2 * gw + x1]! + (small[y2 * gw + x2]! - small[y2 * gw + x1]!) * tx;
        out[y * w + x] = a + (b - a) * ty;
      }
    }
    return out;
  }

  private spawnWorkers(): void {
    while (this.workers.length < this.threads) {
      const w = new Worker(WORKER_SOURCE, { eval: true });
      w.unref();
      w.postMessage(this.warmUpJob());
      this.workers.push(w);
    }
  }

  /**
   * A small job (WARM_UP² pixels, one chain, this enhancer's parameters and the same job shape)
   * that a new worker runs before anything else, without replying: the kernel is then compiled
   * by the time the first real round (typically the preview) arrives.
   */
  private warmUpJob(): KernelJob & { warmUp: true } {
    const n = WARM_UP * WARM_UP;
    const image = sharedF32(n);
    for (let i = 0; i < n; i++) image[i] = ((Math.imul(i, 0x9e3779b1) >>> 8) & 0xffff) / 65536;
    const job = this.job(0, 1, 1, { sumWI: sharedF64(n), sumW: sharedF64(n), sumS: sharedF64(n) });
    return { ...job, image, grad: sobelMagnitude(image, WARM_UP, WARM_UP, sharedF32(n)), width: WARM_UP, height: WARM_UP, counter: new Int32Array(new SharedArrayBuffer(4)), warmUp: true };
  }

  /** One job on every worker (they share the rows through the counter); workers live across rounds. */
  private async runRound(job: KernelJob): Promise<void> {
    if (this.busy) throw new Error('runChains: a round is already running');
    this.busy = true;
    try {
      this.spawnWorkers();
      this.counter[0] = 0;
      const results = await Promise.all(this.workers.map((w) => new Promise<number>((resolve, reject) => {
        const onMessage = (m: { samples?: number; error?: string }): void => {
          w.off('error', onError);
          if (m.error !== undefined) reject(new Error(`stochastic worker: ${m.error}`));
          else resolve(m.samples ?? 0);
        };
        const onError = (e: Error): void => {
          w.off('message', onMessage);
          reject(e);
        };
        w.once('message', onMessage);
        w.once('error', onError);
        w.ref();
        w.postMessage(job);
      })));
      for (const w of this.workers) w.unref();
      this.samplesRead += results.reduce((a, b) => a + b, 0);
    } finally {
      this.busy = false;
    }
  }

  /** The enhanced image from the chains run so far (the input itself before any chain). */
  estimate(out?: Float32Array): Float32Array {
    return combineStochastic(this.image, this.sums, this.done, this.params, out);
  }

  /** The base layer B from the chains run so far. */
  base(out?: Float32Array): Float32Array {
    return baseLayer(this.image, this.sums, out);
  }

  /** The running sums (read-only use: tests and diagnostics). */
  get rawSums(): Readonly<StochasticSums> {
    return this.sums;
  }

  async close(): Promise<void> {
    const ws = this.workers;
    this.workers = [];
    await Promise.all(ws.map((w) => w.terminate()));
  }
}

export interface EnhanceOptions extends EnhancerOptions {
  /** Called after each round with the chains done so far and the current estimate (a new array). */
  onProgress?: (chainsDone: number, estimate: Float32Array) => void;
  /** Chains per round, repeated from its last entry (default [1, 1, 2, 4, 4, 8]: early previews). */
  schedule?: readonly number[];
  signal?: AbortSignal;
  /**
   * Before the first round, a quick preview of every previewStep-th pixel (1/previewStep² of a
   * chain's work), interpolated, is passed to onPreview (default 4; only when onPreview is given).
   */
  previewStep?: number;
  onPreview?: (estimate: Float32Array) => void;
}

/** The whole enhancement, progressively; resolves to the n-chain result. */
export async function enhanceStochastic(image: Float32Array, width: number, height: number, params: Partial<StochasticParams> = {}, options: EnhanceOptions = {}): Promise<Float32Array> {
  const e = new StochasticEnhancer(image, width, height, params, options);
  const schedule = options.schedule && options.schedule.length > 0 ? options.schedule : [1, 1, 2, 4, 4, 8];
  try {
    if (options.onPreview) {
      options.signal?.throwIfAborted();
      await e.runPreview(options.previewStep ?? 4);
      options.onPreview(e.previewEstimate()!);
    }
    for (let round = 0; e.chainsDone < e.params.chains; round++) {
      options.signal?.throwIfAborted();
      const k = Math.max(1, Math.floor(schedule[Math.min(round, schedule.length - 1)]!));
      await e.runChains(k);
      if (options.onProgress && e.chainsDone < e.params.chains) options.onProgress(e.chainsDone, e.estimate());
    }
    const result = e.estimate();
    options.onProgress?.(e.chainsDone, result);
    return result;
  } finally {
    await e.close();
  }
}
