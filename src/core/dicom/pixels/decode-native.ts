/**
 * Native (uncompressed) pixel data: little endian as stored, or big endian swapped to the host
 * order. 8-bit samples have no byte order and are never swapped.
 */
import { LungLensError } from '../../errors.js';
import { frameByteLength } from './frame-info.js';
import { storeBits } from './stored-values.js';
import type { FrameInfo, StoredPixels } from './types.js';

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export function decodeNative(bytes: Uint8Array, info: FrameInfo, bigEndian: boolean): StoredPixels {
  const length = frameByteLength(info);
  if (bytes.length < length) {
    throw new LungLensError(
      'corrupt-file',
      `The frame holds ${bytes.length} bytes of pixel data but ${info.columns}×${info.rows} pixels at ${info.bitsAllocated} bits need ${length}.`,
    );
  }
  // Copy into a buffer of our own: aligned for typed-array views and transferable between threads.
  const copy = new Uint8Array(length);
  copy.set(bytes.subarray(0, length));
  const swap = bigEndian === HOST_LITTLE_ENDIAN;
  const shift = info.highBit + 1 - info.bitsStored;
  if (info.bitsAllocated === 8) return storeBits(copy, info, shift);
  if (info.bitsAllocated === 16) {
    const raw = new Uint16Array(copy.buffer);
    if (swap) swap16(raw);
    return storeBits(raw, info, shift);
  }
  const raw = new Int32Array(copy.buffer);
  if (swap) {
    for (let i = 0; i < raw.length; i++) {
      const v = raw[i]!;
      raw[i] = ((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24);
    }
  }
  return storeBits(raw, info, shift);
}

/** Swaps the bytes of every 16-bit sample, two samples per 32-bit step. */
function swap16(raw: Uint16Array): void {
  const pairs = new Uint32Array(raw.buffer, raw.byteOffset, raw.length >> 1);
  for (let i = 0; i < pairs.length; i++) {
    const v = pairs[i]!;
    pairs[i] = ((v & 0x00ff00ff) << 8) | ((v >>> 8) & 0x00ff00ff);
  }
  if (raw.length & 1) {
    const last = raw.length - 1;
    raw[last] = (raw[last]! >>> 8) | ((raw[last]! & 0xff) << 8);
  }
}
