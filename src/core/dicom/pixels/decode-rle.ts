/**
 * DICOM RLE Lossless (PS3.5 Annex G): a 64-byte header of segment offsets, then one PackBits
 * segment per byte of each sample, most significant byte first.
 */
import { LungLensError } from '../../errors.js';
import { storeBits } from './stored-values.js';
import type { FrameInfo, StoredPixels } from './types.js';

export function decodeRle(bytes: Uint8Array, info: FrameInfo): StoredPixels {
  const pixels = info.rows * info.columns;
  const bytesPerSample = info.bitsAllocated / 8;
  if (bytes.length < 64) {
    throw new LungLensError('corrupt-file', 'The RLE frame is shorter than its 64-byte header.');
  }
  const header = new DataView(bytes.buffer, bytes.byteOffset, 64);
  const segments = header.getUint32(0, true);
  if (segments !== bytesPerSample) {
    throw new LungLensError(
      'corrupt-file',
      `The RLE frame has ${segments} segments but ${info.bitsAllocated}-bit single-sample pixels need ${bytesPerSample}.`,
    );
  }
  const planes: Uint8Array[] = [];
  for (let k = 0; k < segments; k++) {
    const start = header.getUint32(4 + 4 * k, true);
    const end = k + 1 < segments ? header.getUint32(8 + 4 * k, true) : bytes.length;
    if (start < 64 || end > bytes.length || end < start) {
      throw new LungLensError('corrupt-file', `The RLE segment ${k + 1} lies outside the frame's ${bytes.length} bytes.`);
    }
    planes.push(unpackBits(bytes, start, end, pixels, k));
  }
  if (bytesPerSample === 1) return storeBits(planes[0]!, info);
  if (bytesPerSample === 2) {
    const [hi, lo] = planes as [Uint8Array, Uint8Array];
    const raw = new Uint16Array(pixels);
    for (let i = 0; i < pixels; i++) raw[i] = (hi[i]! << 8) | lo[i]!;
    return storeBits(raw, info);
  }
  const [b3, b2, b1, b0] = planes as [Uint8Array, Uint8Array, Uint8Array, Uint8Array];
  const raw = new Int32Array(pixels);
  for (let i = 0; i < pixels; i++) raw[i] = (b3[i]! << 24) | (b2[i]! << 16) | (b1[i]! << 8) | b0[i]!;
  return storeBits(raw, info);
}

/** One PackBits segment into `length` bytes; a segment that decodes to fewer is corrupt. */
function unpackBits(src: Uint8Array, start: number, end: number, length: number, segment: number): Uint8Array {
  const out = new Uint8Array(length);
  let p = start;
  let o = 0;
  while (o < length && p < end) {
    const n = src[p++]!;
    if (n < 128) {
      const count = Math.min(n + 1, length - o, end - p);
      out.set(src.subarray(p, p + count), o);
      p += n + 1;
      o += count;
    } else if (n > 128) {
      if (p >= end) break;
      const count = Math.min(257 - n, length - o);
      out.fill(src[p++]!, o, o + count);
      o += count;
    }
  }
  if (o < length) {
    throw new LungLensError('corrupt-file', `The RLE segment ${segment + 1} ends after ${o} of the frame's ${length} pixels.`);
  }
  return out;
}
