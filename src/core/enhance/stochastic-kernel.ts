/**
 * The JavaScript side of the WebAssembly SIMD kernel (stochastic-kernel.wat): the compiled module,
 * the layout of the shared memory it works on, and the row loop each thread runs.
 *
 * One shared `WebAssembly.Memory` per enhancer holds everything: a job block (the round's
 * parameters, written before each round), the spray angle table, the image's 16-bit codes, its
 * values, the interleaved (value, gradient) pairs the walk reads, the running sums, the preview's
 * sums and image, and one scratch area per thread. Worker threads receive the memory and the
 * compiled module by postMessage (nothing is copied: both are shared), instantiate the module on
 * the memory and call `row` for the rows they claim with Atomics.add on the job block's counter.
 * The calling thread's instance prepares the image (`prepare`: codes, values, Sobel gradient) and
 * upsamples previews (`upsample`), so no large loop runs as cold JavaScript before a preview.
 */
import { STOCHASTIC_KERNEL_WASM_BASE64 } from './stochastic-kernel.wasm.js';
import { sprayAngles } from './stochastic-angles.js';
import type { StochasticSums } from './stochastic-combine.js';
import type { ChainConstants } from './stochastic-reference.js';
import { WASM_PAGE_BYTES, wasmApi, type WasmApi } from '../wasm/wasm-api.js';
import { runRows, type RowFn } from './stochastic-worker.js';

/** A shared WebAssembly.Memory (the part of the API used here). */
export interface SharedWasmMemory {
  readonly buffer: SharedArrayBuffer;
}
type SharedMemoryApi = WasmApi & { Memory: new (descriptor: { initial: number; maximum: number; shared: true }) => SharedWasmMemory };

/** Byte offsets of the job block's fields (see `row` in the .wat). */
const JOB = {
  width: 0, height: 4, step: 8, gridColumns: 12, chainStart: 20, chainEnd: 24, samples: 28, halfSteps: 32, r1sq: 36, seed: 40,
  imageGrad: 48, sumWI: 56, sumW: 60, sumS: 64, batch: 68, taskCapacity: 72,
  r1: 76, invSigmaI: 80, invSigmaG: 84, minWeight: 88, minCode: 92, maxCode: 96, radiusInner: 104, radiusOuter: 112,
  counter: 120,
} as const;
const JOB_BYTES = 128;
/** Byte address of the round's row counter (an Int32 for Atomics). */
export const COUNTER_BYTE = JOB.counter;
/** Fixed addresses the .wat uses as load offsets: the angle table and the 16-bit codes. */
const ANGLES_AT = 1024;
const CODES_AT = 132096;
/** Chains per batch inside `row` (bounds the scratch: 64 bytes per chain and grid column). */
const BATCH = 32;

let compiled: object | undefined;

/** The compiled kernel (shared by every instance and thread); throws where the runtime lacks it. */
export function stochasticModule(): object {
  if (compiled) return compiled;
  const wa = wasmApi();
  const bytes = Uint8Array.from(Buffer.from(STOCHASTIC_KERNEL_WASM_BASE64, 'base64'));
  if (!wa || !wa.validate(bytes) || !('Memory' in wa)) {
    throw new Error('stochastic enhancement: this runtime lacks WebAssembly SIMD with shared memory, which the kernel needs');
  }
  compiled = new wa.Module(bytes);
  return compiled;
}

interface KernelExports {
  row: RowFn;
  prepare(job: number, input: number, values: number): void;
  upsample(grid: number, gridWidth: number, gridHeight: number, step: number, width: number, height: number, out: number): void;
}

const align = (n: number): number => Math.ceil(n / 64) * 64;

/** What one round runs: chains [chainStart, chainEnd) of every step-th pixel of every step-th row. */
export interface RoundSpec {
  chainStart: number;
  chainEnd: number;
  step: number;
  /** Which sums the round adds into. */
  target: 'main' | 'preview';
}

/** The shared memory of one enhancer, its layout, and the calling thread's kernel instance. */
export class KernelMemory {
  readonly memory: SharedWasmMemory;
  /** The image as the enhancement sees it (quantiseImage's values), a view on the memory. */
  readonly image: Float32Array;
  readonly jobPtr = 0;
  readonly sums: StochasticSums;
  readonly previewSums: StochasticSums;
  readonly counter: Int32Array;
  readonly slots: number;
  private readonly kernel: KernelExports;
  private readonly scratchPtr: number;
  private readonly scratchBytes: number;
  private readonly width: number;
  private readonly height: number;
  private readonly sumPtrs: { main: number[]; preview: number[] };
  private readonly pairsPtr: number;
  private readonly gridPtr: number;
  private readonly previewPtr: number;
  private readonly i32: Int32Array;
  private readonly f32: Float32Array;
  private readonly f64: Float64Array;

  /** `slots`: how many threads may run a round at once (one scratch area each). */
  constructor(input: Float32Array, width: number, height: number, slots: number) {
    const n = width * height;
    this.width = width;
    this.height = height;
    this.slots = slots;
    const angles = sprayAngles();
    let at = CODES_AT + n * 2;
    const take = (bytes: number): number => {
      const p = align(at);
      at = p + bytes;
      return p;
    };
    const valuesPtr = take(n * 4);
    this.pairsPtr = take(n * 8);
    const main = [take(n * 8), take(n * 8), take(n * 8)];
    const preview = [take(n * 8), take(n * 8), take(n * 8)];
    this.gridPtr = take(n * 4);
    this.previewPtr = take(n * 4);
    const taskCapacity = BATCH * width;
    this.scratchBytes = align(1024 + 64 * taskCapacity + 16 * width);
    this.scratchPtr = take(this.scratchBytes * slots);
    const pages = Math.ceil(at / WASM_PAGE_BYTES);
    if (pages > 65536) throw new RangeError(`stochastic enhancement: ${width}×${height} needs more than 4 GiB of kernel memory`);
    const wa = wasmApi() as SharedMemoryApi;
    const module = stochasticModule();
    this.memory = new wa.Memory({ initial: pages, maximum: pages, shared: true });
    this.kernel = new wa.Instance(module, { env: { memory: this.memory } }).exports as unknown as KernelExports;
    const buffer = this.memory.buffer;
    this.sumPtrs = { main, preview };
    this.i32 = new Int32Array(buffer, 0, JOB_BYTES / 4);
    this.f32 = new Float32Array(buffer, 0, JOB_BYTES / 4);
    this.f64 = new Float64Array(buffer, 0, JOB_BYTES / 8);
    this.counter = new Int32Array(buffer, COUNTER_BYTE, 1);
    new Float32Array(buffer, ANGLES_AT, angles.length).set(angles);
    const sumsOf = (p: number[]): StochasticSums => ({ sumWI: new Float64Array(buffer, p[0]!, n), sumW: new Float64Array(buffer, p[1]!, n), sumS: new Float64Array(buffer, p[2]!, n) });
    this.sums = sumsOf(main);
    this.previewSums = sumsOf(preview);
    this.image = new Float32Array(buffer, valuesPtr, n);
    const i = this.i32;
    i[JOB.width / 4] = width;
    i[JOB.height / 4] = height;
    i[JOB.imageGrad / 4] = this.pairsPtr;
    i[JOB.batch / 4] = BATCH;
    i[JOB.taskCapacity / 4] = taskCapacity;
    // the input passes through the preview image's place (runPreview clears its sums before use)
    new Float32Array(buffer, this.previewPtr, n).set(input);
    this.kernel.prepare(this.jobPtr, this.previewPtr, valuesPtr);
  }

  /** The gradient magnitude the walk uses (a copy; for tests and diagnostics). */
  gradient(): Float32Array {
    const pairs = new Float32Array(this.memory.buffer, this.pairsPtr, 2 * this.width * this.height);
    return Float32Array.from({ length: this.width * this.height }, (_, k) => pairs[2 * k + 1]!);
  }

  /** The 16-bit codes (a copy; for tests and diagnostics). */
  codes(): Uint16Array {
    return new Uint16Array(this.memory.buffer, CODES_AT, this.width * this.height).slice();
  }

  /** Writes the parameters every round shares. */
  setParams(samples: number, radiusInnerPx: number, radiusOuterPx: number, seed: number, k: ChainConstants): void {
    const i = this.i32;
    i[JOB.samples / 4] = samples;
    i[JOB.halfSteps / 4] = k.halfSteps;
    i[JOB.r1sq / 4] = k.r1sq;
    i[JOB.seed / 4] = seed;
    this.f32[JOB.r1 / 4] = k.r1;
    this.f32[JOB.invSigmaI / 4] = k.invSigmaI;
    this.f32[JOB.invSigmaG / 4] = k.invSigmaG;
    this.f32[JOB.minWeight / 4] = k.minWeight;
    this.f64[JOB.radiusInner / 8] = radiusInnerPx;
    this.f64[JOB.radiusOuter / 8] = radiusOuterPx;
  }

  /** Prepares a round (the counter included); returns the number of grid rows. */
  setRound(round: RoundSpec): number {
    const i = this.i32;
    const sums = this.sumPtrs[round.target];
    i[JOB.step / 4] = round.step;
    i[JOB.gridColumns / 4] = Math.ceil(this.width / round.step);
    i[JOB.chainStart / 4] = round.chainStart;
    i[JOB.chainEnd / 4] = round.chainEnd;
    i[JOB.sumWI / 4] = sums[0]!;
    i[JOB.sumW / 4] = sums[1]!;
    i[JOB.sumS / 4] = sums[2]!;
    Atomics.store(this.counter, 0, 0);
    return Math.ceil(this.height / round.step);
  }

  /** Runs a round on the calling thread (scratch slot 0); returns the samples read. */
  runLocal(round: RoundSpec): number {
    const gridRows = this.setRound(round);
    return runRows(this.kernel.row, this.counter, gridRows, this.jobPtr, this.scratch(0));
  }

  /** Byte address of thread slot k's scratch area. */
  scratch(slot: number): number {
    return this.scratchPtr + slot * this.scratchBytes;
  }

  /** Bilinear upsampling of a grid (grid point (gx, gy) = pixel (gx·step, gy·step)) to the image size, into `out`. */
  upsample(grid: Float32Array, gridWidth: number, gridHeight: number, step: number, out: Float32Array): Float32Array {
    const n = this.width * this.height;
    new Float32Array(this.memory.buffer, this.gridPtr, grid.length).set(grid);
    this.kernel.upsample(this.gridPtr, gridWidth, gridHeight, step, this.width, this.height, this.previewPtr);
    out.set(new Float32Array(this.memory.buffer, this.previewPtr, n));
    return out;
  }
}
