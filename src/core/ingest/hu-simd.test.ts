import { describe, expect, it } from 'vitest';
import type { FrameInfo } from '../dicom/pixels/index.js';
import { nativeLittleEndian16ToHu, type HuTransform, type SliceStats } from './hu.js';
import { HuKernel, huKernel, simdAvailable } from './hu-simd.js';

/** A small seeded generator (mulberry32), so that a failure can be reproduced. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function frameInfo(bits: number, highBit: number, signed: boolean, bitsAllocated = 16): FrameInfo {
  return {
    rows: 1,
    columns: 1,
    bitsAllocated,
    bitsStored: bits,
    highBit,
    pixelRepresentation: signed ? 1 : 0,
    samplesPerPixel: 1,
    planarConfiguration: 0,
    photometricInterpretation: 'MONOCHROME2',
  };
}

/**
 * n random raw samples with junk in every bit outside [shift, shift + bits); a fifth of them
 * encode a padding value (when there is one in the domain) and some the extreme stored values.
 */
function randomRaw(n: number, bits: number, shift: number, signed: boolean, t: HuTransform, rand: () => number): Uint8Array {
  const raw = new Uint16Array(n);
  const mask = 2 ** bits - 1;
  const field = shift < 16 ? (mask << shift) & 0xffff : 0;
  const lowest = signed ? -(2 ** (bits - 1)) : 0;
  const highest = signed ? 2 ** (bits - 1) - 1 : mask;
  const padValues: number[] = [];
  if (t.padding) {
    const p = t.padding.value;
    const q = t.padding.rangeLimit ?? p;
    const from = Math.max(Math.ceil(Math.min(p, q)), lowest);
    const to = Math.min(Math.floor(Math.max(p, q)), highest);
    for (let s = from; s <= to && padValues.length < 64; s++) padValues.push(s);
    if (to > from) padValues.push(to);
  }
  for (let i = 0; i < n; i++) {
    const junk = (rand() * 65536) & ~field & 0xffff;
    const r = rand();
    let s: number;
    if (r < 0.2 && padValues.length) s = padValues[Math.floor(rand() * padValues.length)]!;
    else if (r < 0.25) s = lowest;
    else if (r < 0.3) s = highest;
    else s = lowest + Math.floor(rand() * (highest - lowest + 1));
    raw[i] = shift < 16 ? junk | (((s & mask) << shift) & 0xffff) : junk;
  }
  return new Uint8Array(raw.buffer);
}

/** out views on a SharedArrayBuffer, as the ingestion workers use. */
function sharedOut(n: number): Int16Array {
  return new Int16Array(new SharedArrayBuffer(Math.max(n, 1) * 2), 0, n);
}

interface Case {
  bits: number;
  shift: number;
  signed: boolean;
  t: HuTransform;
  n: number;
}

/** Runs both paths and checks every voxel and the statistics; returns the statistics. */
function compare(kernel: HuKernel, c: Case, rand: () => number): SliceStats | null {
  const info = frameInfo(c.bits, c.bits - 1 + c.shift, c.signed);
  const bytes = randomRaw(c.n, c.bits, c.shift, c.signed, c.t, rand);
  const expectedOut = new Int16Array(c.n);
  const expected = nativeLittleEndian16ToHu(bytes, info, expectedOut, c.t);
  kernel.inputBytes(c.n * 2).set(bytes);
  const out = sharedOut(c.n);
  const actual = kernel.convert(c.n, info, c.t, out);
  const label = JSON.stringify(c);
  expect(actual, label).toEqual(expected);
  if (expected) {
    // toEqual on 262144 values is slow and unreadable when it fails: find the first difference.
    let first = -1;
    for (let i = 0; i < c.n; i++) {
      if (out[i] !== expectedOut[i]) {
        first = i;
        break;
      }
    }
    const raw = new Uint16Array(bytes.buffer, 0, c.n);
    expect(first, `${label}: first differing voxel (raw ${raw[first]}, wasm ${out[first]}, js ${expectedOut[first]})`).toBe(-1);
  }
  return actual;
}

const paddings: (HuTransform['padding'])[] = [
  null,
  { value: 0, rangeLimit: null },
  { value: -2000, rangeLimit: null },
  { value: 5, rangeLimit: 100 },
  { value: 100, rangeLimit: 5 }, // range given high to low
  { value: -3000, rangeLimit: -1000 },
  { value: -40000, rangeLimit: 40000 }, // wider than any domain
  { value: 2.5, rangeLimit: 7.5 }, // non-integer limits
  { value: 70000, rangeLimit: null }, // outside every domain
  { value: 65535, rangeLimit: 65535 },
  { value: -32768, rangeLimit: -32768 },
];

/** Intercepts to try: the common ones, and the extremes the no-overflow rule allows. */
function intercepts(bits: number, signed: boolean): number[] {
  const lowest = signed ? -(2 ** (bits - 1)) : 0;
  const highest = signed ? 2 ** (bits - 1) - 1 : 2 ** bits - 1;
  return [-1024, 0, 1000, -32768 - lowest, 32767 - highest, -32768 - lowest - 1];
}

describe('hu-simd: the WebAssembly SIMD kernel', () => {
  it('is available in this Node', () => {
    expect(simdAvailable()).toBe(true);
    expect(huKernel()).toBe(huKernel());
  });

  it('matches nativeLittleEndian16ToHu on every voxel, for all layouts, signs, intercepts and paddings (small n)', () => {
    const kernel = new HuKernel();
    const rand = rng(1);
    let compared = 0;
    for (let bits = 1; bits <= 16; bits++) {
      const shifts = [...new Set([0, 1, 16 - bits, Math.floor((16 - bits) / 2)])].filter((s) => s >= 0 && s <= 16 - bits);
      for (const signed of [false, true]) {
        for (const shift of shifts) {
          for (const intercept of intercepts(bits, signed)) {
            for (const padding of paddings) {
              for (const n of [0, 1, 7, 8, 9, 15, 16, 17, 100]) {
                const s = compare(kernel, { bits, shift, signed, t: { slope: 1, intercept, padding }, n }, rand);
                if (s) compared++;
              }
            }
          }
        }
      }
    }
    expect(compared).toBeGreaterThan(10000);
  });

  it('matches on full 512×512 slices (n = 262144 and 262147) for random configurations', () => {
    const kernel = new HuKernel();
    const rand = rng(2);
    const common: Case[] = [
      { bits: 12, shift: 0, signed: false, t: { slope: 1, intercept: -1024, padding: null }, n: 262144 },
      { bits: 12, shift: 0, signed: false, t: { slope: 1, intercept: -1024, padding: { value: 0, rangeLimit: null } }, n: 262147 },
      { bits: 16, shift: 0, signed: true, t: { slope: 1, intercept: 0, padding: { value: -2000, rangeLimit: null } }, n: 262144 },
      { bits: 16, shift: 0, signed: false, t: { slope: 1, intercept: -32768, padding: { value: 0, rangeLimit: 10 } }, n: 262147 },
      { bits: 16, shift: 0, signed: false, t: { slope: 1, intercept: -32768, padding: { value: 65000, rangeLimit: 65535 } }, n: 262144 },
      { bits: 12, shift: 4, signed: true, t: { slope: 1, intercept: 1000, padding: { value: -2048, rangeLimit: -1500 } }, n: 262147 },
      { bits: 10, shift: 3, signed: false, t: { slope: 1, intercept: -1024, padding: { value: 3, rangeLimit: 3 } }, n: 262144 },
    ];
    for (const c of common) expect(compare(kernel, c, rand)).not.toBeNull();
    let compared = 0;
    while (compared < 40) {
      const bits = 8 + Math.floor(rand() * 9);
      const signed = rand() < 0.5;
      const shift = Math.floor(rand() * (17 - bits));
      const ics = intercepts(bits, signed).slice(0, 5);
      const intercept = ics[Math.floor(rand() * ics.length)]!;
      const padding = paddings[Math.floor(rand() * paddings.length)]!;
      const n = rand() < 0.5 ? 262144 : 262147;
      if (compare(kernel, { bits, shift, signed, t: { slope: 1, intercept, padding }, n }, rand)) compared++;
    }
  });

  it('keeps the sum exact and the padding count right for n = 2^20 extreme values', () => {
    const kernel = new HuKernel();
    const n = 2 ** 20 + 5;
    const info = frameInfo(16, 15, true);
    const t: HuTransform = { slope: 1, intercept: 0, padding: null };
    for (const value of [32767, -32768]) {
      kernel.inputBytes(n * 2);
      const raw = new Int16Array(n).fill(value);
      kernel.inputBytes(n * 2).set(new Uint8Array(raw.buffer));
      const out = sharedOut(n);
      expect(kernel.convert(n, info, t, out)).toEqual({ min: value, max: value, sum: value * n, clamped: 0, padded: 0 });
      expect(out.every((v) => v === value)).toBe(true);
    }
    // Every sample padding: the per-block 16-bit counters must not wrap.
    kernel.inputBytes(n * 2).fill(0);
    const padded = kernel.convert(n, info, { slope: 1, intercept: 0, padding: { value: 0, rangeLimit: null } }, sharedOut(n));
    expect(padded).toEqual({ min: -1024, max: -1024, sum: -1024 * n, clamped: 0, padded: n });
  });

  it('follows JavaScript for a high bit far above the stored bits (raw >>> shift with shift ≥ 16)', () => {
    const kernel = new HuKernel();
    const rand = rng(3);
    for (const [bits, highBit] of [[8, 23], [12, 31], [4, 35], [12, 43], [1, 47]] as const) {
      for (const signed of [false, true]) {
        const info = frameInfo(bits, highBit, signed);
        const n = 37;
        const bytes = randomRaw(n, 16, 0, false, { slope: 1, intercept: 0, padding: null }, rand);
        const t: HuTransform = { slope: 1, intercept: 5, padding: { value: 0, rangeLimit: 3 } };
        const expectedOut = new Int16Array(n);
        const expected = nativeLittleEndian16ToHu(bytes, info, expectedOut, t);
        kernel.inputBytes(n * 2).set(bytes);
        const out = new Int16Array(n);
        expect(kernel.convert(n, info, t, out)).toEqual(expected);
        expect(out).toEqual(expectedOut);
      }
    }
  });

  it('returns null where nativeLittleEndian16ToHu does, and touches nothing', () => {
    const kernel = new HuKernel();
    const n = 16;
    const bytes = new Uint8Array(n * 2).fill(7);
    const cases: [FrameInfo, HuTransform][] = [
      [frameInfo(12, 11, false), { slope: 1.5, intercept: -1024, padding: null }],
      [frameInfo(12, 11, false), { slope: 1, intercept: -1024.5, padding: null }],
      [frameInfo(8, 7, false, 8), { slope: 1, intercept: 0, padding: null }],
      [frameInfo(16, 15, false), { slope: 1, intercept: 0, padding: null }], // 65535 > Int16
      [frameInfo(16, 15, false), { slope: 1, intercept: -32769, padding: null }],
      [frameInfo(16, 15, true), { slope: 1, intercept: 1, padding: null }],
      [frameInfo(12, 10, false), { slope: 1, intercept: 0, padding: null }], // high bit below the stored bits
      [frameInfo(0, 15, false), { slope: 1, intercept: 0, padding: null }],
      [frameInfo(17, 16, false), { slope: 1, intercept: 0, padding: null }],
    ];
    for (const [info, t] of cases) {
      expect(nativeLittleEndian16ToHu(bytes, info, new Int16Array(n), t)).toBeNull();
      kernel.inputBytes(n * 2).set(bytes);
      const out = new Int16Array(n).fill(99);
      expect(kernel.convert(n, info, t, out)).toBeNull();
      expect(out.every((v) => v === 99)).toBe(true);
      expect(kernel.convertBytes(bytes, info, out, t)).toBeNull();
    }
    // Fewer bytes read than samples asked for, and a second conversion of consumed input.
    const info = frameInfo(12, 11, false);
    const t: HuTransform = { slope: 1, intercept: -1024, padding: null };
    kernel.inputBytes(n * 2 - 2);
    expect(kernel.convert(n, info, t, new Int16Array(n))).toBeNull();
    kernel.inputBytes(n * 2);
    expect(kernel.convert(n, info, t, new Int16Array(n))).not.toBeNull();
    expect(kernel.convert(n, info, t, new Int16Array(n))).toBeNull();
    expect(() => kernel.convert(n, info, t, new Int16Array(n - 1))).toThrow(RangeError);
  });

  it('convertBytes is a drop-in for nativeLittleEndian16ToHu', () => {
    const kernel = new HuKernel();
    const rand = rng(4);
    const n = 512 * 3 + 5;
    const info = frameInfo(12, 11, false);
    const t: HuTransform = { slope: 1, intercept: -1024, padding: { value: 0, rangeLimit: null } };
    const bytes = randomRaw(n, 12, 0, false, t, rand);
    const expectedOut = new Int16Array(n);
    const out = sharedOut(n);
    expect(kernel.convertBytes(bytes, info, out, t)).toEqual(nativeLittleEndian16ToHu(bytes, info, expectedOut, t));
    expect(Array.from(out)).toEqual(Array.from(expectedOut));
    expect(kernel.convertBytes(bytes.subarray(1), info, new Int16Array(4), t)).toBeNull(); // odd offset
  });
});
