/**
 * The WebAssembly SIMD kernels of lung-kernel.wat: the smoothing-and-threshold of a slice (about
 * 10× faster than the JavaScript loops of gaussian.ts, same results up to float32 rounding) and
 * the y and z sweeps of the dilation (distance.ts; same results), the 2 × 2 block means of
 * coarse-grid.ts (same results). One kernel instance per thread,
 * created on first use; null where the runtime has no WebAssembly SIMD (then JavaScript is used).
 */
import { LUNG_KERNEL_WASM_BASE64 } from './lung-kernel.wasm.js';
import { KernelSlot, WASM_PAGE_BYTES, type WasmMemory } from '../wasm/wasm-api.js';

type SmoothBelowFn = (src: number, nx: number, ny: number, tmp: number, q: number, bits: number, thr: number, w0: number, w1: number, w2: number) => void;
type PlaneReachFn = (
  d: number, reach: number, bw: number, ya: number, yb1: number, xa: number, xb1: number,
  sy: number, radius: number, invSz: number, eps: number, limit: number, cap: number,
) => void;
type ZReachFn = (reach: number, plane: number, total: number) => void;
type BlockMean2Fn = (src: number, nx: number, ny: number, dst: number, stride: number) => void;

/** Views on the dilation's buffers in the kernel's memory (valid until the memory grows). */
export interface DilationBuffers {
  /** One plane of in-plane distances (Float32). */
  d: Float32Array;
  /** The box of slice reaches (Int8); after `zReach`, 0/1 (read it through `out`). */
  reach: Int8Array;
  out: Uint8Array;
  dPtr: number;
  reachPtr: number;
}

/** The smallest slice the kernel handles (its border code assumes these). */
export const KERNEL_MIN_NX = 8;
export const KERNEL_MIN_NY = 3;

export class LungKernel {
  private readonly memory: WasmMemory;
  private readonly fn: SmoothBelowFn;
  private readonly planeReachFn: PlaneReachFn;
  private readonly zReachFn: ZReachFn;
  private readonly blockMean2Fn: BlockMean2Fn;

  constructor() {
    const exports = slot.instantiate();
    this.memory = exports['memory'] as WasmMemory;
    this.fn = exports['smoothBelow'] as SmoothBelowFn;
    this.planeReachFn = exports['planeReach'] as PlaneReachFn;
    this.zReachFn = exports['zReach'] as ZReachFn;
    this.blockMean2Fn = exports['blockMean2'] as BlockMean2Fn;
  }

  /** Bytes of memory the kernel holds (it never shrinks: see `releaseLargeLungKernel`). */
  get memoryBytes(): number {
    return this.memory.buffer.byteLength;
  }

  private ensure(end: number): ArrayBuffer {
    const have = this.memory.buffer.byteLength;
    if (end > have) this.memory.grow(Math.ceil((end - have) / WASM_PAGE_BYTES));
    return this.memory.buffer;
  }

  /** Memory for the dilation of a box of `plane` × `depth` voxels. */
  dilationBuffers(plane: number, depth: number): DilationBuffers {
    const dPtr = 0;
    const reachPtr = align(plane * 4 + 64);
    const buffer = this.ensure(reachPtr + plane * depth + 64);
    return {
      d: new Float32Array(buffer, dPtr, plane),
      reach: new Int8Array(buffer, reachPtr, plane * depth),
      out: new Uint8Array(buffer, reachPtr, plane * depth),
      dPtr,
      reachPtr,
    };
  }

  /** See `planeReach` in lung-kernel.wat (one slice: y sweeps, then reach). */
  planeReach(
    b: DilationBuffers, planeOffset: number, bw: number, ya: number, yb1: number, xa: number, xb1: number,
    sy: number, radius: number, invSz: number, eps: number, limit: number, cap: number,
  ): void {
    this.planeReachFn(b.dPtr, b.reachPtr + planeOffset, bw, ya, yb1, xa, xb1, sy, radius, invSz, eps, limit, cap);
  }

  /** See `zReach` in lung-kernel.wat (plane ≥ 16). */
  zReach(b: DilationBuffers, plane: number, depth: number): void {
    this.zReachFn(b.reachPtr, plane, plane * depth);
  }

  /**
   * The means of the whole 2 × 2 blocks of one slice (⌊nx/2⌋ × ⌊ny/2⌋, rounded half up), written
   * into `out` with rows of `stride` values starting at `offset`.
   */
  blockMean2(slice: Int16Array, nx: number, ny: number, out: Int16Array, offset: number, stride: number): void {
    const cx = nx >> 1;
    const cy = ny >> 1;
    const src = 0;
    const dst = align(nx * ny * 2 + 16);
    const buffer = this.ensure(dst + cx * cy * 2 + 64);
    new Int16Array(buffer, src, nx * ny).set(slice);
    this.blockMean2Fn(src, nx, ny, dst, cx);
    const means = new Int16Array(buffer, dst, cx * cy);
    if (stride === cx) out.set(means, offset);
    else for (let y = 0; y < cy; y++) out.set(means.subarray(y * cx, (y + 1) * cx), offset + y * stride);
  }

  /**
   * Smooths one slice (nx ≥ 8, ny ≥ 3) with the kernel weights [centre, ±1, ±2] and returns, for each row, the bits "smoothed < below":
   * `wordsPerRow` u16 words per row, bit b of word w is voxel x = 16w + b; bits at x ≥ nx are
   * undefined. The returned view is valid until the next call.
   */
  smoothBelow(
    slice: Int16Array,
    nx: number,
    ny: number,
    below: number,
    [w0, w1, w2]: readonly [number, number, number],
  ): { bits: Uint16Array; wordsPerRow: number } {
    const q = Math.ceil(nx / 16) * 16;
    const wordsPerRow = q / 16;
    const src = 0;
    const tmp = align(src + nx * ny * 2 + 16);
    const bits = align(tmp + q * ny * 4 + 64);
    const buffer = this.ensure(bits + wordsPerRow * ny * 2 + 64);
    new Int16Array(buffer, src, nx * ny).set(slice);
    this.fn(src, nx, ny, tmp, q, bits, below, w0, w1, w2);
    return { bits: new Uint16Array(buffer, bits, wordsPerRow * ny), wordsPerRow };
  }
}

const align = (n: number) => Math.ceil(n / 64) * 64;

const slot = new KernelSlot(LUNG_KERNEL_WASM_BASE64, () => new LungKernel());

/** Whether this runtime validates the kernel (WebAssembly with 128-bit SIMD). */
export const lungSimdAvailable = (): boolean => slot.available();

/** This thread's kernel (null without WebAssembly SIMD). */
export const lungKernel = (): LungKernel | null => slot.get();

/** WebAssembly memory never shrinks: past this, the kernel is dropped after use (a new one is cheap). */
const KEEP_BYTES = 64 << 20;

/** Lets the garbage collector take this thread's kernel back when a big volume grew its memory. */
export function releaseLargeLungKernel(): void {
  slot.releaseIf((kernel) => kernel.memoryBytes > KEEP_BYTES);
}
