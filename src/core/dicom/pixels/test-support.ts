/**
 * Test-only helpers for the pixel tests (not exported from index.ts): reading files, an
 * independent reader for native little-endian reference pixels, pixel comparison, running the
 * Debian DICOM tools, and a minimal writer of encapsulated DICOM files.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import dicomParser, { type DataSet } from 'dicom-parser';
import { decodeFrame } from './decode-frame.js';
import { frameBytes } from './frame-bytes.js';
import type { DecodedFrame, FrameInfo, StoredPixels } from './types.js';

export function readDicom(path: string): DataSet {
  return dicomParser.parseDicom(readFileSync(path));
}

export function transferSyntaxOf(ds: DataSet): string {
  return (ds.string('x00020010') ?? '1.2.840.10008.1.2').replace(/[\0\s]+$/, '');
}

export function frameInfoOf(ds: DataSet): FrameInfo {
  const bitsAllocated = ds.uint16('x00280100') ?? 16;
  const bitsStored = ds.uint16('x00280101') ?? bitsAllocated;
  return {
    rows: ds.uint16('x00280010') ?? 0,
    columns: ds.uint16('x00280011') ?? 0,
    bitsAllocated,
    bitsStored,
    highBit: ds.uint16('x00280102') ?? bitsStored - 1,
    pixelRepresentation: ds.uint16('x00280103') === 1 ? 1 : 0,
    samplesPerPixel: ds.uint16('x00280002') ?? 1,
    planarConfiguration: ds.uint16('x00280006') === 1 ? 1 : 0,
    photometricInterpretation: (ds.string('x00280004') ?? 'MONOCHROME2').trim(),
  };
}

export function framesOf(ds: DataSet): number {
  return Math.max(1, Number.parseInt(ds.string('x00280008') ?? '1', 10) || 1);
}

export interface DecodedFile {
  info: FrameInfo;
  frames: StoredPixels[];
  warnings: DecodedFrame['warnings'];
}

/** Decodes every frame of a file through frameBytes + decodeFrame, as the ingest worker does. */
export async function decodeFile(path: string): Promise<DecodedFile> {
  const ds = readDicom(path);
  const info = frameInfoOf(ds);
  const uid = transferSyntaxOf(ds);
  const n = framesOf(ds);
  const frames: StoredPixels[] = [];
  const warnings: DecodedFrame['warnings'] = [];
  for (let i = 0; i < n; i++) {
    const decoded = await decodeFrame(uid, frameBytes(ds, i, info, n, uid), info);
    frames.push(decoded.pixels);
    warnings.push(...decoded.warnings);
  }
  return { info, frames, warnings };
}

/**
 * Stored values of a native little-endian file, read independently of the code under test
 * (DataView and arithmetic, not typed-array views and bit masks).
 */
export function nativeReference(path: string): number[][] {
  const ds = readDicom(path);
  const uid = transferSyntaxOf(ds);
  if (!['1.2.840.10008.1.2', '1.2.840.10008.1.2.1'].includes(uid)) throw new Error(`${path} is not native little endian (${uid})`);
  const info = frameInfoOf(ds);
  const el = ds.elements.x7fe00010!;
  const view = new DataView(ds.byteArray.buffer, ds.byteArray.byteOffset + el.dataOffset, el.length);
  const bytes = info.bitsAllocated / 8;
  const pixels = info.rows * info.columns;
  const modulus = 2 ** info.bitsStored;
  const lowBit = 2 ** (info.highBit + 1 - info.bitsStored);
  const frames: number[][] = [];
  for (let f = 0; f < framesOf(ds); f++) {
    const values: number[] = [];
    for (let i = 0; i < pixels; i++) {
      const at = (f * pixels + i) * bytes;
      const raw = bytes === 1 ? view.getUint8(at) : bytes === 2 ? view.getUint16(at, true) : view.getUint32(at, true);
      let v = Math.floor(raw / lowBit) % modulus;
      if (info.pixelRepresentation === 1 && v >= modulus / 2) v -= modulus;
      values.push(v);
    }
    frames.push(values);
  }
  return frames;
}

export interface Comparison {
  mismatches: number;
  maxAbsDiff: number;
  rmsDiff: number;
  /** The first mismatch, for the failure message. */
  first: string | null;
}

/** Compares every pixel. */
export function comparePixels(actual: ArrayLike<number>, expected: ArrayLike<number>): Comparison {
  if (actual.length !== expected.length) {
    return { mismatches: Math.max(actual.length, expected.length), maxAbsDiff: Infinity, rmsDiff: Infinity, first: `length ${actual.length} vs ${expected.length}` };
  }
  let mismatches = 0;
  let maxAbsDiff = 0;
  let sumSq = 0;
  let first: string | null = null;
  for (let i = 0; i < actual.length; i++) {
    const d = actual[i]! - expected[i]!;
    if (d !== 0) {
      if (first === null) first = `pixel ${i}: ${actual[i]} vs ${expected[i]}`;
      mismatches++;
      sumSq += d * d;
      maxAbsDiff = Math.max(maxAbsDiff, Math.abs(d));
    }
  }
  return { mismatches, maxAbsDiff, rmsDiff: Math.sqrt(sumSq / Math.max(1, actual.length)), first };
}

export const IDENTICAL: Comparison = { mismatches: 0, maxAbsDiff: 0, rmsDiff: 0, first: null };

export function hasTool(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

/** Runs a DICOM tool quietly; throws with its stderr when it fails. */
export function runTool(name: string, args: string[]): void {
  execFileSync(name, args, { stdio: ['ignore', 'pipe', 'pipe'] });
}

/** NEAR of a JPEG-LS frame, from its first SOS segment. */
export function jpegLsNear(encoded: Uint8Array): number {
  for (let p = 2; p + 4 < encoded.length; ) {
    const marker = encoded[p + 1]!;
    const length = (encoded[p + 2]! << 8) | encoded[p + 3]!;
    if (marker === 0xda) return encoded[p + 5 + 2 * encoded[p + 4]!]!;
    p += 2 + length;
  }
  throw new Error('no SOS segment');
}

interface EncapsulatedFile {
  transferSyntaxUid: string;
  info: FrameInfo;
  numberOfFrames: number;
  fragments: Uint8Array[];
  basicOffsetTable?: number[];
  /** Written with VR OB, which dicom-parser 1.8 reads (it does not know OV). */
  extendedOffsetTable?: number[];
}

/** A minimal Part 10 file with encapsulated Pixel Data, in explicit VR little endian. */
export function buildEncapsulatedDicom(file: EncapsulatedFile): Buffer {
  const parts: Buffer[] = [];
  const element = (group: number, elem: number, vr: string, value: Buffer): Buffer => {
    const long = ['OB', 'OW', 'SQ', 'UN', 'UT'].includes(vr);
    const head = Buffer.alloc(long ? 12 : 8);
    head.writeUInt16LE(group, 0);
    head.writeUInt16LE(elem, 2);
    head.write(vr, 4, 'latin1');
    if (long) head.writeUInt32LE(value.length, 8);
    else head.writeUInt16LE(value.length, 6);
    return Buffer.concat([head, value]);
  };
  const text = (s: string, pad: string): Buffer => Buffer.from(s.length % 2 ? s + pad : s, 'latin1');
  const us = (v: number): Buffer => {
    const b = Buffer.alloc(2);
    b.writeUInt16LE(v);
    return b;
  };
  const item = (tagElem: number, value: Buffer): Buffer => {
    const head = Buffer.alloc(8);
    head.writeUInt16LE(0xfffe, 0);
    head.writeUInt16LE(tagElem, 2);
    head.writeUInt32LE(value.length, 4);
    return Buffer.concat([head, value]);
  };
  const ts = element(0x0002, 0x0010, 'UI', text(file.transferSyntaxUid, '\0'));
  const groupLength = Buffer.alloc(4);
  groupLength.writeUInt32LE(ts.length);
  parts.push(Buffer.alloc(128), Buffer.from('DICM', 'latin1'), element(0x0002, 0x0000, 'UL', groupLength), ts);
  const { info } = file;
  parts.push(
    element(0x0028, 0x0002, 'US', us(info.samplesPerPixel)),
    element(0x0028, 0x0004, 'CS', text(info.photometricInterpretation, ' ')),
    element(0x0028, 0x0008, 'IS', text(String(file.numberOfFrames), ' ')),
    element(0x0028, 0x0010, 'US', us(info.rows)),
    element(0x0028, 0x0011, 'US', us(info.columns)),
    element(0x0028, 0x0100, 'US', us(info.bitsAllocated)),
    element(0x0028, 0x0101, 'US', us(info.bitsStored)),
    element(0x0028, 0x0102, 'US', us(info.highBit)),
    element(0x0028, 0x0103, 'US', us(info.pixelRepresentation)),
  );
  if (file.extendedOffsetTable) {
    const offsets = Buffer.alloc(8 * file.extendedOffsetTable.length);
    file.extendedOffsetTable.forEach((o, i) => offsets.writeBigUInt64LE(BigInt(o), 8 * i));
    const lengths = Buffer.alloc(offsets.length);
    parts.push(element(0x7fe0, 0x0001, 'OB', offsets), element(0x7fe0, 0x0002, 'OB', lengths));
  }
  const bot = Buffer.alloc(4 * (file.basicOffsetTable?.length ?? 0));
  file.basicOffsetTable?.forEach((o, i) => bot.writeUInt32LE(o, 4 * i));
  const pixelHead = Buffer.alloc(12);
  pixelHead.writeUInt16LE(0x7fe0, 0);
  pixelHead.writeUInt16LE(0x0010, 2);
  pixelHead.write('OB', 4, 'latin1');
  pixelHead.writeUInt32LE(0xffffffff, 8);
  parts.push(pixelHead, item(0xe000, bot));
  for (const f of file.fragments) parts.push(item(0xe000, Buffer.from(f.length % 2 ? [...f, 0] : f)));
  parts.push(item(0xe0dd, Buffer.alloc(0)));
  return Buffer.concat(parts);
}

/** Byte offsets of fragments as a Basic Offset Table counts them (item headers included). */
export function fragmentOffsets(fragments: Uint8Array[]): number[] {
  const offsets: number[] = [];
  let at = 0;
  for (const f of fragments) {
    offsets.push(at);
    at += 8 + f.length + (f.length % 2);
  }
  return offsets;
}
