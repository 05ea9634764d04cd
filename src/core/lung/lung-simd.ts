/**
 * The WebAssembly SIMD kernels of lung-kernel.wat: the smoothing-and-threshold of a slice (about
 * 10× faster than the JavaScript loops of gaussian.ts, same results up to float32 rounding) and
 * the y and z sweeps of the dilation and the L1 distance transform (distance.ts; the same
 * values), the 2 × 2 block means of coarse-grid.ts, the growth of the lung separation
 * (separate.ts), the connected components of runs (components.ts) and the closing by a disc
 * (disc-closing.ts), each with the same results. One kernel instance per thread,
 * created on first use; null where the runtime has no WebAssembly SIMD (then JavaScript is used).
 */
import { LUNG_KERNEL_WASM_BASE64 } from './lung-kernel.wasm.js';
import { KernelSlot, WASM_PAGE_BYTES, type WasmMemory } from '../wasm/wasm-api.js';
import type { RunVolume } from './runs.js';

type SmoothBelowFn = (src: number, nx: number, ny: number, tmp: number, q: number, bits: number, thr: number, w0: number, w1: number, w2: number) => void;
type PlaneReachFn = (
  d: number, reach: number, bw: number, ya: number, yb1: number, xa: number, xb1: number,
  sy: number, radius: number, invSz: number, eps: number, limit: number, cap: number,
) => void;
type ZReachFn = (reach: number, plane: number, total: number) => void;
type BlockMean2Fn = (src: number, nx: number, ny: number, dst: number, stride: number) => void;
type L1RowsFn = (src: number, d: number, nx: number, rows: number, sx: number) => void;
type L1SweepFn = (d: number, from: number, to: number, step: number, s: number) => void;
type GrowWithinFn = (owner: number, outside: number, queue: number, n: number, w: number, plane: number) => void;
type CloseRowsFn = (
  inS: number, inA: number, inB: number, h: number, half: number, r: number, width: number,
  dS: number, dA: number, dB: number, eS: number, eA: number, eB: number, cur: number, next: number,
  oS: number, oA: number, oB: number,
) => number;
type LabelRunsFn = (
  rowStart: number, x0: number, x1: number, parent: number, label: number,
  ny: number, nz: number, count: number, grow: number, threeD: number, corners: number,
) => number;

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

/** Intervals [a[i], b[i]) per row: row j holds i = start[j] … start[j + 1] − 1 (disc-closing.ts). */
export interface IntervalRows {
  start: Int32Array;
  a: Int32Array;
  b: Int32Array;
  count: number;
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
  private readonly l1RowsFn: L1RowsFn;
  private readonly l1SweepFn: L1SweepFn;
  private readonly growWithinFn: GrowWithinFn;
  private readonly labelRunsFn: LabelRunsFn;
  private readonly closeRowsFn: CloseRowsFn;

  constructor() {
    const exports = slot.instantiate();
    this.memory = exports['memory'] as WasmMemory;
    this.fn = exports['smoothBelow'] as SmoothBelowFn;
    this.planeReachFn = exports['planeReach'] as PlaneReachFn;
    this.zReachFn = exports['zReach'] as ZReachFn;
    this.blockMean2Fn = exports['blockMean2'] as BlockMean2Fn;
    this.l1RowsFn = exports['l1Rows'] as L1RowsFn;
    this.l1SweepFn = exports['l1Sweep'] as L1SweepFn;
    this.growWithinFn = exports['growWithin'] as GrowWithinFn;
    this.labelRunsFn = exports['labelRuns'] as LabelRunsFn;
    this.closeRowsFn = exports['closeRows'] as CloseRowsFn;
  }

  /** Bytes of memory the kernel holds (it never shrinks: see `releaseLargeLungKernel`). */
  get memoryBytes(): number {
    return this.memory.buffer.byteLength;
  }

  /**
   * Regions of the given sizes (bytes) one after the other in the kernel's memory, each at a
   * 64-byte boundary with 64 bytes to spare after it (the SIMD loops may read a little past a
   * row): their addresses, and the memory's buffer grown to hold them. Every call lays out its own
   * scratch from address 0; views on the buffer are valid until the memory grows.
   */
  private reserve<const T extends readonly number[]>(...bytes: T): { at: { [K in keyof T]: number }; buffer: ArrayBuffer } {
    const at: number[] = [];
    let end = 0;
    for (const size of bytes) {
      at.push(end);
      end = align(end + size + 64);
    }
    const have = this.memory.buffer.byteLength;
    if (end > have) this.memory.grow(Math.ceil((end - have) / WASM_PAGE_BYTES));
    return { at: at as { [K in keyof T]: number }, buffer: this.memory.buffer };
  }

  /** Memory for the dilation of a box of `plane` × `depth` voxels. */
  dilationBuffers(plane: number, depth: number): DilationBuffers {
    const {
      at: [dPtr, reachPtr],
      buffer,
    } = this.reserve(plane * 4, plane * depth);
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
    const {
      at: [src, dst],
      buffer,
    } = this.reserve(nx * ny * 2, cx * cy * 2);
    new Int16Array(buffer, src, nx * ny).set(slice);
    this.blockMean2Fn(src, nx, ny, dst, cx);
    const means = new Int16Array(buffer, dst, cx * cy);
    if (stride === cx) out.set(means, offset);
    else for (let y = 0; y < cy; y++) out.set(means.subarray(y * cx, (y + 1) * cx), offset + y * stride);
  }

  /**
   * `l1DistanceTransform` of distance.ts (the same float32 values to the bit): the sweeps along x
   * row by row, then along y slice by slice, then along z. Needs nx ≥ 4 (the sweeps move 4 voxels
   * at a time, each a row or a slice away from the voxels it reads).
   */
  l1Distance(source: Uint8Array, [nx, ny, nz]: readonly [number, number, number], [sx, sy, sz]: readonly [number, number, number]): Float32Array {
    const plane = nx * ny;
    const total = plane * nz;
    const {
      at: [src, d],
      buffer,
    } = this.reserve(total, total * 4);
    new Uint8Array(buffer, src, total).set(source);
    this.l1RowsFn(src, d, nx, ny * nz, sx);
    for (let k = 0; k < nz; k++) {
      this.l1SweepFn(d, k * plane + nx, (k + 1) * plane, -nx, sy);
      this.l1SweepFn(d, k * plane, (k + 1) * plane - nx, nx, sy);
    }
    this.l1SweepFn(d, plane, total, -plane, sz);
    this.l1SweepFn(d, 0, total - plane, plane, sz);
    return new Float32Array(buffer, d, total).slice();
  }

  /**
   * `growWithin` of separate.ts (the same owners): breadth-first growth of the owners 1 and 2
   * through the voxels where `outside` is 0, on a grid of rows of w voxels with a one-voxel
   * background margin. Updates `owner` in place.
   */
  growWithin(owner: Uint8Array, outside: Uint8Array, w: number, plane: number): void {
    const n = owner.length;
    const {
      at: [ownerPtr, outsidePtr, queue],
      buffer,
    } = this.reserve(n, n, n * 4);
    new Uint8Array(buffer, ownerPtr, n).set(owner);
    new Uint8Array(buffer, outsidePtr, n).set(outside);
    this.growWithinFn(ownerPtr, outsidePtr, queue, n, w, plane);
    owner.set(new Uint8Array(buffer, ownerPtr, n));
  }

  /**
   * `labelRuns` of components.ts (the same labels): `grow` 1 joins runs that touch by a corner,
   * `threeD` joins the previous slice, `corners` its diagonal rows too.
   */
  labelRuns(runs: RunVolume, grow: 0 | 1, threeD: boolean, corners: boolean): { label: Int32Array; count: number } {
    const { ny, nz, count } = runs;
    const rows = ny * nz + 1;
    const {
      at: [rowStart, x0, x1, parent, label],
      buffer,
    } = this.reserve(rows * 4, count * 4, count * 4, count * 4, count * 4);
    new Int32Array(buffer, rowStart, rows).set(runs.rowStart);
    new Int32Array(buffer, x0, count).set(runs.x0.subarray(0, count));
    new Int32Array(buffer, x1, count).set(runs.x1.subarray(0, count));
    const n = this.labelRunsFn(rowStart, x0, x1, parent, label, ny, nz, count, grow, threeD ? 1 : 0, corners ? 1 : 0);
    return { label: new Int32Array(buffer, label, count).slice(), count: n };
  }

  /**
   * One slice's box closed by a disc (disc-closing.ts `closeRows`, the same intervals): `input`
   * holds h rows of intervals within [0, width), `half` the disc's half-chord per row offset.
   */
  closeRows(input: IntervalRows, half: Int32Array, width: number): IntervalRows {
    const h = input.start.length - 1;
    const n = input.count;
    const cap = h * ((width >> 1) + 1); // a row holds at most width / 2 + 1 disjoint intervals
    const pairs = 2 * ((width >> 1) + 2);
    const [rowsBytes, inBytes, capBytes, pairBytes] = [(h + 1) * 4, n * 4, cap * 4, pairs * 4];
    const {
      at: [inS, inA, inB, halfAt, dS, dA, dB, eS, eA, eB, cur, next, oS, oA, oB],
      buffer,
    } = this.reserve(rowsBytes, inBytes, inBytes, half.length * 4, rowsBytes, capBytes, capBytes, rowsBytes, capBytes, capBytes, pairBytes, pairBytes, rowsBytes, capBytes + inBytes, capBytes + inBytes);
    const ints = (at: number, length: number) => new Int32Array(buffer, at, length);
    ints(inS, h + 1).set(input.start);
    ints(inA, n).set(input.a.subarray(0, n));
    ints(inB, n).set(input.b.subarray(0, n));
    ints(halfAt, half.length).set(half);
    const count = this.closeRowsFn(inS, inA, inB, h, halfAt, half.length - 1, width, dS, dA, dB, eS, eA, eB, cur, next, oS, oA, oB);
    return { start: ints(oS, h + 1).slice(), a: ints(oA, count).slice(), b: ints(oB, count).slice(), count };
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
    const {
      at: [src, tmp, bits],
      buffer,
    } = this.reserve(nx * ny * 2, q * ny * 4, wordsPerRow * ny * 2);
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
