/**
 * The stochastic random-walk enhancement (paper §III-A1, DESIGN.md §5), progressive and
 * parallel:
 *
 *   warmUpStochastic();                                  // optional, at app start: threads + compiled kernel
 *   const e = new StochasticEnhancer(windowed, 512, 512, { seed: 7 });
 *   await e.runPreview(4); show(e.previewEstimate()!);   // chain 0 of every 4th pixel, interpolated
 *   await e.runChains(1);  show(e.estimate());           // first chain of every pixel
 *   await e.runChains(19); show(e.estimate());           // the full n = 20 result replaces it
 *   await e.close();
 *
 * or `enhanceStochastic(windowed, w, h, params, { onPreview, onProgress })`. Each round adds its
 * chains' per-pixel Σ w·I, Σ w and Σ s to the running sums, chain by chain in chain order, so later
 * rounds refine earlier ones and the sums after n chains are bit-identical whatever the rounds were.
 *
 * What makes a 512² slice at the paper's parameters (1.3·10⁹ samples) take seconds instead of a
 * minute (measured figures: src/bench/preprocess.ts, ARCHITECTURE.md):
 * - a WebAssembly SIMD kernel (stochastic-kernel.wat): four (pixel, chain) tasks per 128-bit
 *   vector, refilled lane by lane from a queue, float32 arithmetic, gathers by lane loads;
 * - exact shortcuts: sprayed samples only move a chain's min and max, so its spray stops once
 *   both equal the image's minimum and maximum (a windowed CT slice has large regions at its
 *   minimum — air at the scanner's floor or outside the field of view — and bone clipped at the
 *   window's top, so most chains get there early: 43% of the paper's samples are read on the
 *   benchmark's phantom slice); and sprays are proposed per quadrant of directions over the radii
 *   that can land in the image, 1.7 draws per sample instead of 2.3, same distribution;
 * - the spray reads the image as 16-bit codes (a quarter of the float32 image; the input is
 *   quantised to 1/65535 steps, which orders exactly as the values);
 * - worker threads from a module-level pool (stochastic-pool.ts) on one shared memory, rows
 *   claimed off an atomic counter; counter-based random numbers per (seed, pixel, chain, draw),
 *   so the output is bit-identical for a seed whatever the thread count or schedule.
 * stochastic-reference.ts states the algorithm plainly; the tests check the kernel against it bit
 * for bit. There is no JavaScript fast path: without WebAssembly SIMD the constructor throws.
 */
import { baseLayer, combineStochastic, type StochasticSums } from './stochastic-combine.js';
import { KernelMemory, type RoundSpec } from './stochastic-kernel.js';
import { resolveStochasticParams, type StochasticParams } from './stochastic-params.js';
import { defaultThreads } from '../workers/worker-pool.js';
import { ensureWorkers, runOnPool } from './stochastic-pool.js';
import { chainConstants } from './stochastic-reference.js';

export { DEFAULT_STOCHASTIC, resolveStochasticParams, type StochasticParams } from './stochastic-params.js';
export { warmUpStochastic } from './stochastic-pool.js';

/** Largest side accepted (the kernel packs walk positions as 16-bit x and y). */
const MAX_SIDE = 32767;

export interface EnhancerOptions {
  /** Worker threads (default: available cores; 0 runs on the calling thread). */
  threads?: number;
}

export class StochasticEnhancer {
  readonly params: StochasticParams;
  readonly width: number;
  readonly height: number;
  private readonly kernel: KernelMemory;
  private readonly image: Float32Array;
  private readonly sums: StochasticSums;
  private readonly threads: number;
  private done = 0;
  private busy = false;
  private closed = false;
  private previewStep: number | undefined;
  private previewUsed = false;
  /** Samples actually read so far (x0, walk and sprayed samples; see the early stop in the kernel). */
  samplesRead = 0;

  constructor(image: Float32Array, width: number, height: number, params: Partial<StochasticParams> = {}, options: EnhancerOptions = {}) {
    if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1 || image.length !== width * height) {
      throw new RangeError(`stochastic enhancement: ${image.length} values for ${width}×${height}`);
    }
    if (width > MAX_SIDE || height > MAX_SIDE) throw new RangeError(`stochastic enhancement: ${width}×${height} is larger than ${MAX_SIDE} px on a side`);
    this.params = resolveStochasticParams(params);
    this.width = width;
    this.height = height;
    this.threads = Math.max(0, Math.floor(options.threads ?? defaultThreads()));
    if (this.threads > 0) ensureWorkers(this.threads); // their start-up overlaps with the set-up below
    // I = the input clamped to [0, 1] in 1/65535 steps (NaN → 0), and its gradient: see quantiseImage
    this.kernel = new KernelMemory(image, width, height, Math.max(1, this.threads));
    this.image = this.kernel.image;
    const p = this.params;
    this.kernel.setParams(p.samples, p.radiusInnerPx, p.radiusOuterPx, p.seed, chainConstants(p));
    this.sums = this.kernel.sums;
  }

  /** Chains run so far (per pixel). */
  get chainsDone(): number {
    return this.done;
  }

  private clampCount(k: number): number {
    if (!Number.isInteger(k) || k < 0) throw new RangeError(`runChains: k must be a non-negative integer, got ${k}`);
    return Math.min(k, this.params.chains - this.done);
  }

  /** Runs the next k chains on the calling thread (blocking). */
  runChainsSync(k: number): void {
    const count = this.clampCount(k);
    if (count === 0) return;
    this.runLocal({ chainStart: this.done, chainEnd: this.done + count, step: 1, target: 'main' });
    this.done += count;
  }

  /** Runs the next k chains (capped at params.chains) on the worker threads. */
  async runChains(k: number): Promise<void> {
    const count = this.clampCount(k);
    if (count === 0) return;
    await this.runRound({ chainStart: this.done, chainEnd: this.done + count, step: 1, target: 'main' });
    this.done += count;
  }

  /**
   * A quick preview: chain 0 of every `step`-th pixel in x and y only (1/step² of the work), into
   * sums of its own (the full rounds are unaffected and recompute those pixels). Read it with
   * previewEstimate(), which interpolates between the computed pixels.
   */
  async runPreview(step = 4): Promise<void> {
    if (!Number.isInteger(step) || step < 1) throw new RangeError(`runPreview: step must be a positive integer, got ${step}`);
    this.assertIdle();
    if (this.previewUsed) {
      const { sumWI, sumW, sumS } = this.kernel.previewSums;
      sumWI.fill(0);
      sumW.fill(0);
      sumS.fill(0);
    }
    this.previewStep = undefined;
    this.previewUsed = true; // (the kernel's memory starts zeroed)
    await this.runRound({ chainStart: 0, chainEnd: 1, step, target: 'preview' });
    this.previewStep = step;
  }

  /** One round on the worker threads (or on this thread when threads = 0). */
  private async runRound(round: RoundSpec): Promise<void> {
    if (this.threads === 0) return this.runLocal(round);
    this.claim();
    try {
      const gridRows = this.kernel.setRound(round);
      this.samplesRead += await runOnPool(this.threads, this.kernel.memory, this.kernel.jobPtr, gridRows, (slot) => this.kernel.scratch(slot));
    } finally {
      this.busy = false;
    }
  }

  private runLocal(round: RoundSpec): void {
    this.claim();
    try {
      this.samplesRead += this.kernel.runLocal(round);
    } finally {
      this.busy = false;
    }
  }

  private assertIdle(): void {
    if (this.closed) throw new Error('stochastic enhancement: the enhancer is closed');
    if (this.busy) throw new Error('runChains: a round is already running');
  }

  private claim(): void {
    this.assertIdle();
    this.busy = true;
  }

  /** The preview (see runPreview), bilinearly interpolated to the full size; undefined before one ran. */
  previewEstimate(out: Float32Array = new Float32Array(this.width * this.height)): Float32Array | undefined {
    const step = this.previewStep;
    if (step === undefined) return undefined;
    const sums = this.kernel.previewSums;
    const { width: w } = this;
    const gw = Math.ceil(w / step), gh = Math.ceil(this.height / step);
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
    // between grid points: a + (b − a)·t along x on the two neighbouring grid rows, then along y
    return this.kernel.upsample(combineStochastic(gi, gs, 1, this.params), gw, gh, step, out);
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

  /** Ends the enhancer (its memory goes with it; the pool's threads stay for the next one). */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.resolve();
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
