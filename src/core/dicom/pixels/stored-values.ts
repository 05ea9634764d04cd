/**
 * Turns raw decoded samples into stored pixel values: the BitsStored bits starting at `shift`,
 * sign-extended when PixelRepresentation is 1, in an array typed by BitsAllocated.
 */
import type { FrameInfo, StoredPixels } from './types.js';

type RawSamples = Uint8Array | Int8Array | Uint16Array | Int16Array | Int32Array | Uint32Array;

/** An output array of the type for this BitsAllocated and PixelRepresentation. */
export function allocateStored(info: FrameInfo, length: number): StoredPixels {
  const signed = info.pixelRepresentation === 1;
  if (info.bitsAllocated === 8) return signed ? new Int8Array(length) : new Uint8Array(length);
  if (info.bitsAllocated === 16) return signed ? new Int16Array(length) : new Uint16Array(length);
  return new Int32Array(length);
}

/**
 * Stored values from raw samples (bit patterns). `raw` must be owned by the caller: when no bit
 * needs changing its buffer is reused (viewed with the output type) instead of copied.
 */
export function storeBits(raw: RawSamples, info: FrameInfo, shift = 0): StoredPixels {
  const { bitsStored: bits, bitsAllocated } = info;
  const signed = info.pixelRepresentation === 1;
  const rawBits = raw.BYTES_PER_ELEMENT * 8;
  if (shift === 0 && bits === bitsAllocated && rawBits === bitsAllocated) {
    return viewAs(raw, info);
  }
  const out = allocateStored(info, raw.length);
  const n = raw.length;
  if (signed) {
    const s = 32 - bits;
    for (let i = 0; i < n; i++) out[i] = ((raw[i]! >>> shift) << s) >> s;
  } else {
    const mask = 2 ** bits - 1;
    for (let i = 0; i < n; i++) out[i] = (raw[i]! >>> shift) & mask;
  }
  return out;
}

function viewAs(raw: RawSamples, info: FrameInfo): StoredPixels {
  const out = allocateStored(info, 0);
  const Ctor = out.constructor as new (buffer: ArrayBufferLike, byteOffset: number, length: number) => StoredPixels;
  return new Ctor(raw.buffer, raw.byteOffset, raw.length);
}

/** The range of stored values BitsStored and PixelRepresentation allow. */
export function storedRange(info: FrameInfo): { min: number; max: number } {
  const bits = info.bitsStored;
  return info.pixelRepresentation === 1 ? { min: -(2 ** (bits - 1)), max: 2 ** (bits - 1) - 1 } : { min: 0, max: 2 ** bits - 1 };
}
