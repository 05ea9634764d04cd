/**
 * The WebAssembly SIMD kernel of input-kernel.wat: one slice's `slices` input (window, separable
 * resampling to S×S, normalisation) — the same numbers as the JavaScript of preprocess.ts up to
 * float32 rounding (tested), several times faster. One instance per thread, created on first
 * use; null where the runtime has no WebAssembly SIMD (then JavaScript is used).
 */
import { INPUT_KERNEL_WASM_BASE64 } from './input-kernel.wasm.js';
import { KernelSlot, WASM_PAGE_BYTES, type WasmMemory } from '../wasm/wasm-api.js';

type SliceInputFn = (
  src: number, cols: number, size: number, lo: number, inv: number, mean: number, std: number,
  yStart: number, yIndex: number, yWeight: number, xStart: number, xIndex: number, xWeight: number,
  tmp: number, stride: number, out: number,
) => void;

/** One axis of the resampling (preprocess.ts `axisWeights`). */
export interface KernelAxis {
  start: Int32Array;
  index: Int32Array;
  weight: Float32Array;
}

const align = (n: number) => Math.ceil(n / 64) * 64;

/** The kernel's memory laid out for one slice geometry, weights copied in once. */
export class SliceInputKernel {
  private readonly memory: WasmMemory;
  private readonly fn: SliceInputFn;
  private layout: { key: unknown; ptrs: number[]; src: number; tmp: number; stride: number; out: number } | null = null;

  constructor() {
    const exports = slot.instantiate();
    this.memory = exports['memory'] as WasmMemory;
    this.fn = exports['sliceInput'] as SliceInputFn;
  }

  /**
   * `out` (S×S) = the normalised, resampled window of `hu` (cols × rows). `key` identifies the
   * weights: they are copied into the kernel's memory when it changes.
   */
  run(key: unknown, hu: Int16Array, cols: number, rows: number, size: number, wy: KernelAxis, wx: KernelAxis,
    window: { lo: number; inv: number }, norm: { mean: number; std: number }, out: Float32Array): Float32Array {
    let layout = this.layout;
    if (!layout || layout.key !== key) layout = this.layout = this.place(key, cols, rows, size, wy, wx);
    const { ptrs, src, tmp, stride, out: outPtr } = layout;
    const buffer = this.memory.buffer;
    new Int16Array(buffer, src, hu.length).set(hu);
    this.fn(src, cols, size, window.lo, window.inv, norm.mean, norm.std, ptrs[0]!, ptrs[1]!, ptrs[2]!, ptrs[3]!, ptrs[4]!, ptrs[5]!, tmp, stride, outPtr);
    out.set(new Float32Array(buffer, outPtr, size * size));
    return out;
  }

  private place(key: unknown, cols: number, rows: number, size: number, wy: KernelAxis, wx: KernelAxis) {
    const arrays = [wy.start, wy.index, wy.weight, wx.start, wx.index, wx.weight];
    const ptrs: number[] = [];
    let end = 0;
    for (const a of arrays) {
      ptrs.push(end);
      end = align(end + a.byteLength + 16);
    }
    const src = end;
    const stride = Math.ceil(cols / 8) * 8;
    const tmp = align(src + cols * rows * 2 + 32); // 16 bytes of slack: the last chunk of a row reads past it
    const out = align(tmp + size * stride * 4);
    const need = out + size * size * 4 + 64;
    const have = this.memory.buffer.byteLength;
    if (need > have) this.memory.grow(Math.ceil((need - have) / WASM_PAGE_BYTES));
    const buffer = this.memory.buffer;
    arrays.forEach((a, i) => new Uint8Array(buffer, ptrs[i]!, a.byteLength).set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength)));
    return { key, ptrs, src, tmp, stride, out };
  }
}

const slot = new KernelSlot(INPUT_KERNEL_WASM_BASE64, () => new SliceInputKernel());

/** Whether this runtime validates the kernel (WebAssembly with 128-bit SIMD). */
export const inputSimdAvailable = (): boolean => slot.available();

/** This thread's kernel (null without WebAssembly SIMD). */
export const sliceInputKernel = (): SliceInputKernel | null => slot.get();
