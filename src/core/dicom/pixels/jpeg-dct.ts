/**
 * Sequential Huffman-coded DCT JPEG (processes 1, 2 and 4 of ITU T.81), one component, 8- or
 * 12-bit samples. libjpeg-turbo's 8-bit build cannot read the 12-bit "extended" JPEG that old
 * CT archives hold, so this decoder exists for those; its inverse DCT is the IJG "islow"
 * integer algorithm (jidctint.c) with IJG's output range limiting, so it reproduces the
 * reference decoders built on IJG (dcmtk, GDCM) value for value.
 */
import { LungLensError } from '../../errors.js';
import { BitReader, corruptJpeg, readCodingSegment, type HuffmanCoding, type HuffmanTable } from './jpeg-huffman.js';
import { isFrameMarker, markerSegments } from './jpeg-markers.js';

export interface DctJpegImage {
  /** Decoded samples, row by row, unsigned `precision`-bit values. */
  samples: Uint16Array;
  width: number;
  height: number;
  precision: number;
}

/** Zig-zag position k → natural (row-major) index in the 8×8 block. */
const NATURAL = Int32Array.from([
  0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
  35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
]);

interface Frame {
  precision: number;
  height: number;
  width: number;
  id: number;
  quantTable: number;
}

export function decodeJpegDct(data: Uint8Array): DctJpegImage {
  const coding: HuffmanCoding = { tables: [], restartInterval: 0 };
  const { tables } = coding;
  const quant: (Int32Array | undefined)[] = [];
  let frame: Frame | null = null;
  for (const { marker, body, end } of markerSegments(data)) {
    if (readCodingSegment(data, marker, body, end, coding)) continue;
    if (marker === 0xc0 || marker === 0xc1) {
      frame = readFrame(data, body);
    } else if (isFrameMarker(marker)) {
      throw new LungLensError('unsupported-pixel-format', `The frame is not a sequential Huffman-coded JPEG (SOF marker FF${marker.toString(16).toUpperCase()}).`);
    } else if (marker === 0xdb) {
      readQuantTables(data, body, end, quant);
    } else if (marker === 0xda) {
      if (frame === null) throw corruptJpeg('the scan comes before the frame header');
      const ns = data[body]!;
      const ss = data[body + 3]!;
      const se = data[body + 4]!;
      if (ns !== 1 || ss !== 0 || se !== 63) throw corruptJpeg('a sequential scan that does not cover the whole component');
      const dc = tables[(data[body + 2]! >> 4) & 3];
      const ac = tables[4 + (data[body + 2]! & 3)];
      const q = quant[frame.quantTable];
      if (dc === undefined || ac === undefined || q === undefined) throw corruptJpeg('the scan uses a table that was never defined');
      const samples = decodeScan(new BitReader(data, end), frame, dc, ac, q, coding.restartInterval);
      return { samples, width: frame.width, height: frame.height, precision: frame.precision };
    }
  }
  throw corruptJpeg('the frame ends before its image data');
}

function readFrame(data: Uint8Array, body: number): Frame {
  const precision = data[body]!;
  const components = data[body + 5]!;
  if (components !== 1) {
    throw new LungLensError('unsupported-pixel-format', `The JPEG frame has ${components} components; LungLens reads single-component greyscale CT only.`);
  }
  if (precision !== 8 && precision !== 12) throw corruptJpeg(`a DCT sample precision of ${precision} bits`);
  const height = (data[body + 1]! << 8) | data[body + 2]!;
  if (height === 0) {
    throw new LungLensError('unsupported-pixel-format', 'The JPEG frame defines its height with a DNL marker, which LungLens does not support.');
  }
  return { precision, height, width: (data[body + 3]! << 8) | data[body + 4]!, id: data[body + 6]!, quantTable: data[body + 8]! & 3 };
}

/** DQT tables, stored in natural order. */
function readQuantTables(data: Uint8Array, start: number, end: number, quant: (Int32Array | undefined)[]): void {
  let p = start;
  while (p < end) {
    const wide = data[p]! >> 4 !== 0;
    const table = new Int32Array(64);
    p++;
    for (let k = 0; k < 64; k++) {
      table[NATURAL[k]!] = wide ? (data[p + 2 * k]! << 8) | data[p + 2 * k + 1]! : data[p + k]!;
    }
    quant[data[p - 1]! & 3] = table;
    p += wide ? 128 : 64;
  }
}

function decodeScan(reader: BitReader, frame: Frame, dc: HuffmanTable, ac: HuffmanTable, q: Int32Array, restartInterval: number): Uint16Array {
  const { width, height } = frame;
  const out = new Uint16Array(width * height);
  const blocksX = Math.ceil(width / 8);
  const blocksY = Math.ceil(height / 8);
  const idct = new Idct(frame.precision);
  const coef = new Int32Array(64);
  let pred = 0;
  let togo = restartInterval;
  for (let by = 0; by < blocksY; by++) {
    for (let bx = 0; bx < blocksX; bx++) {
      if (restartInterval !== 0) {
        if (togo === 0) {
          reader.restart();
          pred = 0;
          togo = restartInterval;
        }
        togo--;
      }
      coef.fill(0);
      const s = reader.decode(dc);
      if (s > 16) throw corruptJpeg(`a DC category of ${s}`);
      if (s !== 0) pred += reader.receiveExtend(s);
      coef[0] = pred * q[0]!;
      for (let k = 1; k < 64; k++) {
        const rs = reader.decode(ac);
        const r = rs >> 4;
        const size = rs & 15;
        if (size === 0) {
          if (r !== 15) break;
          k += 15;
          continue;
        }
        k += r;
        if (k > 63) throw corruptJpeg('an AC coefficient run past the end of its block');
        const z = NATURAL[k]!;
        coef[z] = reader.receiveExtend(size) * q[z]!;
      }
      idct.transform(coef, out, bx * 8, by * 8, width, height);
    }
  }
  if (reader.overran()) throw corruptJpeg('the JPEG data ends before the last block');
  return out;
}

// IJG jidctint.c constants (CONST_BITS = 13).
const CONST_BITS = 13;
const FIX_0_298631336 = 2446;
const FIX_0_390180644 = 3196;
const FIX_0_541196100 = 4433;
const FIX_0_765366865 = 6270;
const FIX_0_899976223 = 7373;
const FIX_1_175875602 = 9633;
const FIX_1_501321110 = 12299;
const FIX_1_847759065 = 15137;
const FIX_1_961570560 = 16069;
const FIX_2_053119869 = 16819;
const FIX_2_562915447 = 20995;
const FIX_3_072711026 = 25172;

/**
 * The IJG "islow" inverse DCT. Products can exceed 32 bits for 12-bit data (IJG computes in a
 * C long), so the arithmetic stays in doubles, exact below 2^53, and descaling floors.
 */
class Idct {
  private readonly work = new Float64Array(64);
  private readonly pass1Bits: number;
  private readonly pass1Scale: number;
  private readonly pass2Scale: number;
  private readonly maxSample: number;
  private readonly center: number;
  private readonly rangeMask: number;

  constructor(precision: number) {
    this.pass1Bits = precision === 8 ? 2 : 1;
    this.pass1Scale = 2 ** (CONST_BITS - this.pass1Bits);
    this.pass2Scale = 2 ** (CONST_BITS + this.pass1Bits + 3);
    this.maxSample = 2 ** precision - 1;
    this.center = 2 ** (precision - 1);
    this.rangeMask = this.maxSample * 4 + 3;
  }

  /** IJG's post-IDCT range limit: clamps values within ±2·(MAX+1), wraps beyond (as IJG's table does). */
  private limit(v: number): number {
    const i = v & this.rangeMask;
    const full = this.maxSample + 1;
    if (i < full - this.center) return i + this.center;
    if (i < 2 * full) return this.maxSample;
    if (i < 4 * full - this.center) return 0;
    return i - (4 * full - this.center);
  }

  transform(c: Int32Array, out: Uint16Array, x0: number, y0: number, width: number, height: number): void {
    const ws = this.work;
    const s1 = this.pass1Scale;
    const h1 = s1 / 2;
    // Pass 1: columns.
    for (let col = 0; col < 8; col++) {
      if (c[8 + col] === 0 && c[16 + col] === 0 && c[24 + col] === 0 && c[32 + col] === 0 && c[40 + col] === 0 && c[48 + col] === 0 && c[56 + col] === 0) {
        const dc = c[col]! * 2 ** this.pass1Bits;
        for (let r = 0; r < 8; r++) ws[r * 8 + col] = dc;
        continue;
      }
      this.butterfly(c[col]!, c[8 + col]!, c[16 + col]!, c[24 + col]!, c[32 + col]!, c[40 + col]!, c[48 + col]!, c[56 + col]!, ws, col, 8, s1, h1);
    }
    // Pass 2: rows, into a temporary row, then range-limited into the image.
    const row = this.rowOut;
    const s2 = this.pass2Scale;
    for (let r = 0; r < 8; r++) {
      const y = y0 + r;
      const b = r * 8;
      this.butterfly(ws[b]!, ws[b + 1]!, ws[b + 2]!, ws[b + 3]!, ws[b + 4]!, ws[b + 5]!, ws[b + 6]!, ws[b + 7]!, row, 0, 1, s2, s2 / 2);
      if (y >= height) continue;
      const line = y * width;
      for (let x = 0; x < 8 && x0 + x < width; x++) out[line + x0 + x] = this.limit(row[x]!);
    }
  }

  private readonly rowOut = new Float64Array(8);

  /** The 1-D islow butterfly on eight inputs; writes eight descaled outputs at out[at + k·stride]. */
  private butterfly(
    i0: number, i1: number, i2: number, i3: number, i4: number, i5: number, i6: number, i7: number,
    out: Float64Array, at: number, stride: number, scale: number, half: number,
  ): void {
    // Even part.
    let z1 = (i2 + i6) * FIX_0_541196100;
    const t2 = z1 - i6 * FIX_1_847759065;
    const t3 = z1 + i2 * FIX_0_765366865;
    const t0 = (i0 + i4) * 2 ** CONST_BITS;
    const t1 = (i0 - i4) * 2 ** CONST_BITS;
    const t10 = t0 + t3;
    const t13 = t0 - t3;
    const t11 = t1 + t2;
    const t12 = t1 - t2;
    // Odd part.
    z1 = i7 + i1;
    let z2 = i5 + i3;
    let z3 = i7 + i3;
    let z4 = i5 + i1;
    const z5 = (z3 + z4) * FIX_1_175875602;
    let o0 = i7 * FIX_0_298631336;
    let o1 = i5 * FIX_2_053119869;
    let o2 = i3 * FIX_3_072711026;
    let o3 = i1 * FIX_1_501321110;
    z1 *= -FIX_0_899976223;
    z2 *= -FIX_2_562915447;
    z3 = z3 * -FIX_1_961570560 + z5;
    z4 = z4 * -FIX_0_390180644 + z5;
    o0 += z1 + z3;
    o1 += z2 + z4;
    o2 += z2 + z3;
    o3 += z1 + z4;
    out[at] = Math.floor((t10 + o3 + half) / scale);
    out[at + 7 * stride] = Math.floor((t10 - o3 + half) / scale);
    out[at + stride] = Math.floor((t11 + o2 + half) / scale);
    out[at + 6 * stride] = Math.floor((t11 - o2 + half) / scale);
    out[at + 2 * stride] = Math.floor((t12 + o1 + half) / scale);
    out[at + 5 * stride] = Math.floor((t12 - o1 + half) / scale);
    out[at + 3 * stride] = Math.floor((t13 + o0 + half) / scale);
    out[at + 4 * stride] = Math.floor((t13 - o0 + half) / scale);
  }
}
