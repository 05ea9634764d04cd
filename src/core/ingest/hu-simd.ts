/**
 * Native little-endian 16-bit samples → HU with a WebAssembly SIMD kernel (hu-kernel.wat): the
 * same results as `nativeLittleEndian16ToHu` (tested voxel by voxel and stat by stat), about an
 * order of magnitude faster. Use it per thread:
 *
 *   const k = huKernel();                        // null: no WebAssembly SIMD, use hu.ts
 *   const bytes = k.inputBytes(n * 2);           // a view into the kernel's memory
 *   readSync(fd, bytes, 0, n * 2, offset);       // the file's pixel bytes straight into it
 *   const stats = k.convert(n, info, transform, out);  // null: not applicable, use hu.ts
 *
 * The conversion happens in place in the kernel's memory and is then copied into `out` (which
 * may be a view on a SharedArrayBuffer); it consumes the input, so read the next slice before
 * converting again.
 */
import type { FrameInfo } from '../dicom/pixels/index.js';
import type { HuTransform, SliceStats } from './hu.js';
import { HU_KERNEL_WASM_BASE64 } from './hu-kernel.wasm.js';
import { KernelSlot, WASM_PAGE_BYTES, type WasmMemory } from '../wasm/wasm-api.js';

/** hu-kernel.wat's `convert`: see the comment at the top of that file for the parameters. */
type ConvertFn = (ptr: number, n: number, shift: number, mask: number, a: number, b: number, c: number, lo: number, hi: number, stats: number) => void;

/** Where the kernel writes its statistics (min i32, max i32, sum i64, padded i32). */
const STATS_PTR = 0;
/** Where samples are read into and converted in place (16-byte aligned for the vectors). */
const DATA_PTR = 64;

const slot = new KernelSlot(HU_KERNEL_WASM_BASE64, () => new HuKernel());

/** Whether this runtime runs the kernel (WebAssembly with 128-bit SIMD); else use hu.ts. */
export const simdAvailable = (): boolean => slot.available();

/** The constants of the kernel for one kind of frame and transform; null: not applicable. */
interface KernelParams {
  shift: number;
  mask: number;
  a: number;
  b: number;
  c: number;
  lo: number;
  hi: number;
}

/**
 * The kernel's constants, or null exactly where `nativeLittleEndian16ToHu` returns null for
 * header or transform reasons (and for non-integer header values, which it does not handle
 * meaningfully either). See hu-kernel.wat for what a, b, c, lo and hi mean.
 */
function kernelParams(info: FrameInfo, t: HuTransform): KernelParams | null {
  if (info.bitsAllocated !== 16) return null;
  if (t.slope !== 1 || !Number.isInteger(t.intercept)) return null;
  const bits = info.bitsStored;
  const shift = info.highBit + 1 - bits;
  if (!Number.isInteger(bits) || !Number.isInteger(shift)) return null;
  if (shift < 0 || bits < 1 || bits > 16) return null;
  const signed = info.pixelRepresentation === 1;
  const intercept = t.intercept;
  const mask = 2 ** bits - 1;
  const lowest = (signed ? -(2 ** (bits - 1)) : 0) + intercept;
  const highest = (signed ? 2 ** (bits - 1) - 1 : mask) + intercept;
  if (lowest < -32768 || highest > 32767) return null;

  // JavaScript's `raw >>> shift` shifts by shift mod 32, and a uint16 shifted by 16 or more is 0.
  const jsShift = shift % 32;
  const zero = jsShift >= 16;
  // Signed: key = the sign-extended stored value; unsigned: key = stored − 32768 (same order).
  const sb = 2 ** (bits - 1);
  const a = signed ? sb : 0x8000;
  const b = signed ? sb : 0;
  const c = signed ? intercept : intercept + 0x8000;
  const bias = signed ? 0 : 0x8000;

  // The padding range, in integers of the stored values' domain, then in key space.
  let lo = 32767;
  let hi = -32768;
  if (t.padding) {
    const p = t.padding.value;
    const q = t.padding.rangeLimit ?? p;
    const domainLow = signed ? -32768 : 0;
    const domainHigh = signed ? 32767 : 65535;
    const from = Math.max(Math.ceil(Math.min(p, q)), domainLow);
    const to = Math.min(Math.floor(Math.max(p, q)), domainHigh);
    if (from <= to) {
      lo = from - bias;
      hi = to - bias;
    }
  }
  return { shift: zero ? 0 : jsShift, mask: zero ? 0 : mask, a, b, c, lo, hi };
}

/**
 * One instance of the kernel, with its own memory: create one per thread (see `huKernel`).
 * Not usable when `simdAvailable()` is false (the constructor throws).
 */
export class HuKernel {
  private readonly memory: WasmMemory;
  private readonly kernel: ConvertFn;
  /** The bytes made available by the last `inputBytes`, not yet converted. */
  private inputLength = 0;

  constructor() {
    const exports = slot.instantiate();
    this.memory = exports['memory'] as WasmMemory;
    this.kernel = exports['convert'] as ConvertFn;
  }

  /**
   * A view of `byteLength` bytes in the kernel's memory to read a frame's samples into (little-
   * endian uint16, 2 bytes each) before `convert`. The view is valid until the next call of
   * `inputBytes` (growing the memory detaches older views).
   */
  inputBytes(byteLength: number): Uint8Array {
    if (!Number.isInteger(byteLength) || byteLength < 0) throw new RangeError(`Invalid byte length: ${byteLength}`);
    const needed = DATA_PTR + byteLength + 16;
    const have = this.memory.buffer.byteLength;
    if (needed > have) this.memory.grow(Math.ceil((needed - have) / WASM_PAGE_BYTES));
    this.inputLength = byteLength;
    return new Uint8Array(this.memory.buffer, DATA_PTR, byteLength);
  }

  /**
   * Converts the first `nSamples` samples read into `inputBytes` to HU into `out[0, nSamples)`,
   * exactly as `nativeLittleEndian16ToHu` would; returns null (touching nothing) when that
   * returns null: not 16-bit, slope ≠ 1, a non-integer intercept, a bad bit layout, HU values
   * that could leave Int16, or fewer than `nSamples` samples read. Consumes the input.
   */
  convert(nSamples: number, info: FrameInfo, transform: HuTransform, out: Int16Array): SliceStats | null {
    if (!Number.isInteger(nSamples) || nSamples < 0) throw new RangeError(`Invalid sample count: ${nSamples}`);
    if (out.length < nSamples) throw new RangeError(`The output holds ${out.length} values, not ${nSamples}`);
    if (nSamples * 2 > this.inputLength) return null;
    const p = kernelParams(info, transform);
    if (!p) return null;
    this.kernel(DATA_PTR, nSamples, p.shift, p.mask, p.a, p.b, p.c, p.lo, p.hi, STATS_PTR);
    this.inputLength = 0;
    const buffer = this.memory.buffer;
    out.set(new Int16Array(buffer, DATA_PTR, nSamples));
    const stats = new DataView(buffer, STATS_PTR, 24);
    return {
      min: stats.getInt32(0, true),
      max: stats.getInt32(4, true),
      sum: Number(stats.getBigInt64(8, true)),
      clamped: 0,
      padded: stats.getInt32(16, true),
    };
  }

  /**
   * `nativeLittleEndian16ToHu` with the kernel, for samples already in a JavaScript buffer: the
   * same arguments, results and null cases (n = out.length). Copies `bytes` into the kernel's
   * memory first; reading straight into `inputBytes` saves that copy.
   */
  convertBytes(bytes: Uint8Array, info: FrameInfo, out: Int16Array, transform: HuTransform): SliceStats | null {
    const n = out.length;
    if (bytes.byteOffset % 2 !== 0 || bytes.length < n * 2) return null;
    if (!kernelParams(info, transform)) return null;
    this.inputBytes(n * 2).set(bytes.subarray(0, n * 2));
    return this.convert(n, info, transform, out);
  }
}

/** This thread's kernel, created on first use; null when WebAssembly SIMD is not available. */
export const huKernel = (): HuKernel | null => slot.get();
