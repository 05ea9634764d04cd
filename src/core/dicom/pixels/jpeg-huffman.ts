/**
 * Huffman tables and the entropy-coded bit reader shared by our JPEG lossless (process 14) and
 * 12-bit sequential DCT decoders (ITU T.81 Annex C and F.2.2).
 *
 * Byte stuffing (FF 00) is undone here. When the reader meets a marker it stops there and feeds
 * zero bits, counting them, so a decoder can tell a complete scan from a truncated one — and
 * the last codes before the marker decode like any other (the flaw we measured in
 * jpeg-lossless-decoder-js was exactly there).
 */
import { LungLensError } from '../../errors.js';

const LOOKAHEAD = 9;

export interface HuffmanTable {
  /** (length << 8) | value for codes of up to LOOKAHEAD bits, indexed by the next LOOKAHEAD bits; 0 if longer. */
  lookup: Int32Array;
  /** Largest code of each length (index 1..16), -1 if none. */
  maxcode: Int32Array;
  mincode: Int32Array;
  valptr: Int32Array;
  values: Uint8Array;
}

export function corruptJpeg(detail: string): LungLensError {
  return new LungLensError('corrupt-file', `The JPEG data is damaged: ${detail}.`);
}

/** Builds a table from the 16 code-length counts and the values of a DHT segment. */
export function buildHuffmanTable(counts: Uint8Array, values: Uint8Array): HuffmanTable {
  const maxcode = new Int32Array(18).fill(-1);
  const mincode = new Int32Array(17);
  const valptr = new Int32Array(17);
  const lookup = new Int32Array(1 << LOOKAHEAD);
  let code = 0;
  let k = 0;
  for (let len = 1; len <= 16; len++) {
    const n = counts[len - 1]!;
    valptr[len] = k;
    mincode[len] = code;
    for (let i = 0; i < n; i++, k++, code++) {
      if (code >= 1 << len) throw corruptJpeg('a Huffman table has more codes than its lengths allow');
      if (len <= LOOKAHEAD) {
        const first = code << (LOOKAHEAD - len);
        lookup.fill((len << 8) | values[k]!, first, first + (1 << (LOOKAHEAD - len)));
      }
    }
    if (n > 0) maxcode[len] = code - 1;
    code <<= 1;
  }
  maxcode[17] = 0x7fffffff; // sentinel: decode() stops here and reports a bad code
  return { lookup, maxcode, mincode, valptr, values };
}

/** Reads every table of a DHT segment (without its marker and length) into `tables`. */
export function readHuffmanTables(data: Uint8Array, start: number, end: number, tables: (HuffmanTable | undefined)[]): void {
  let p = start;
  while (p < end) {
    const tcth = data[p]!;
    const counts = data.subarray(p + 1, p + 17);
    let total = 0;
    for (const c of counts) total += c;
    if (p + 17 + total > end || total > 256) throw corruptJpeg('a Huffman table runs past its segment');
    const slot = ((tcth >> 4) & 1) * 4 + (tcth & 3);
    tables[slot] = buildHuffmanTable(counts, data.subarray(p + 17, p + 17 + total));
    p += 17 + total;
  }
}

/** What the Huffman-coded decoders (jpeg-dct.ts, jpeg-lossless.ts) collect from the segments before a scan. */
export interface HuffmanCoding {
  tables: (HuffmanTable | undefined)[];
  restartInterval: number;
}

/**
 * Reads a segment both Huffman-coded decoders read alike — DHT into `coding.tables`, DRI into
 * `coding.restartInterval` — and says whether it was one.
 */
export function readCodingSegment(data: Uint8Array, marker: number, body: number, end: number, coding: HuffmanCoding): boolean {
  if (marker === 0xc4) readHuffmanTables(data, body, end, coding.tables);
  else if (marker === 0xdd) coding.restartInterval = (data[body]! << 8) | data[body + 1]!;
  else return false;
  return true;
}

export class BitReader {
  private buf = 0;
  private count = 0;
  /** Zero bits fed past the end of the entropy-coded data. */
  private padBits = 0;
  /** Low byte of the marker the reader stopped at, or -1. */
  marker = -1;

  constructor(
    private readonly data: Uint8Array,
    public pos: number,
  ) {}

  private fill(): void {
    const data = this.data;
    while (this.count <= 24) {
      let byte = 0;
      if (this.marker < 0 && this.pos < data.length) {
        byte = data[this.pos]!;
        if (byte === 0xff) {
          let q = this.pos + 1;
          while (data[q] === 0xff) q++; // fill bytes before a marker
          const next = q < data.length ? data[q]! : 0xd9;
          if (next === 0) {
            this.pos = q + 1;
          } else {
            this.pos = q - 1;
            this.marker = next;
            byte = 0;
            this.padBits += 8;
          }
        } else {
          this.pos++;
        }
      } else {
        this.padBits += 8;
      }
      this.buf = (this.buf << 8) | byte;
      this.count += 8;
    }
  }

  /** Decodes one Huffman-coded value. */
  decode(t: HuffmanTable): number {
    if (this.count < 16) this.fill();
    const entry = t.lookup[(this.buf >>> (this.count - LOOKAHEAD)) & ((1 << LOOKAHEAD) - 1)]!;
    if (entry !== 0) {
      this.count -= entry >> 8;
      return entry & 0xff;
    }
    let len = LOOKAHEAD + 1;
    let code = (this.buf >>> (this.count - len)) & ((1 << len) - 1);
    while (code > t.maxcode[len]!) {
      len++;
      if (len > 16) throw corruptJpeg('a Huffman code is not in its table');
      code = (this.buf >>> (this.count - len)) & ((1 << len) - 1);
    }
    this.count -= len;
    return t.values[t.valptr[len]! + code - t.mincode[len]!]!;
  }

  /** The next `n` (0..16) bits as an unsigned number. */
  receive(n: number): number {
    if (n === 0) return 0;
    if (this.count < n) this.fill();
    this.count -= n;
    return (this.buf >>> this.count) & ((1 << n) - 1);
  }

  /** The next `n` bits as a signed difference (T.81 F.2.2.1 EXTEND). */
  receiveExtend(n: number): number {
    const v = this.receive(n);
    return v < 1 << (n - 1) ? v - (1 << n) + 1 : v;
  }

  /** True when the decoder consumed bits past the end of the entropy-coded data. */
  overran(): boolean {
    return this.padBits > this.count;
  }

  /** Skips to just past the next RSTn marker and resets the bit buffer. */
  restart(): void {
    if (this.overran()) throw corruptJpeg('a restart interval ends early');
    const data = this.data;
    if (this.marker < 0) {
      let p = this.pos;
      while (p + 1 < data.length && !(data[p] === 0xff && data[p + 1]! >= 0xd0 && data[p + 1]! <= 0xd7)) p++;
      this.pos = p;
      this.marker = p + 1 < data.length ? data[p + 1]! : 0xd9;
    }
    if (this.marker < 0xd0 || this.marker > 0xd7) throw corruptJpeg('a restart marker is missing');
    this.pos += 2;
    this.marker = -1;
    this.buf = 0;
    this.count = 0;
    this.padBits = 0;
  }
}
