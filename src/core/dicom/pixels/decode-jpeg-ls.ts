/**
 * JPEG-LS, lossless and near-lossless, through CharLS. JPEG-LS knows no signedness: samples come
 * back as unsigned bit patterns and become stored values by the usual BitsStored masking and
 * sign extension (what pydicom calls its JPEG-LS sign correction).
 */
import { LungLensError } from '../../errors.js';
import { checkCodecFrame, checkDecodedLength } from './codec-output.js';
import { storeBits } from './stored-values.js';
import type { DecodedFrame, FrameInfo } from './types.js';
import { charLS, codecErrorDetail, runDecoder } from './wasm-codecs.js';

export async function decodeJpegLs(encoded: Uint8Array, info: FrameInfo): Promise<DecodedFrame> {
  if (!endsWithEoi(encoded)) {
    // CharLS takes seconds to give up on a stream that stops short (measured: 6–17 s per 512² frame).
    throw new LungLensError('corrupt-file', 'The JPEG-LS frame has no end-of-image marker: it is truncated.');
  }
  const module = await charLS.get();
  let result;
  try {
    result = runDecoder(new module.JpegLSDecoder(), encoded, () => null);
  } catch (error) {
    charLS.forget();
    throw new LungLensError('codec-failed', `The JPEG-LS decoder could not decode the frame (${codecErrorDetail(error)}).`, { cause: error });
  }
  const { info: got, bytes } = result;
  checkCodecFrame('JPEG-LS', got, info);
  const wide = got.bitsPerSample > 8;
  checkDecodedLength('JPEG-LS', bytes, info, wide ? 2 : 1);
  const raw = wide ? new Uint16Array(bytes.buffer) : bytes;
  return { pixels: storeBits(raw, info), warnings: [] };
}

/** An EOI marker (FF D9) among the last bytes, after which only padding may follow. */
function endsWithEoi(bytes: Uint8Array): boolean {
  // Entropy-coded JPEG-LS data never holds FF D9 (a byte after FF has its top bit clear).
  for (let p = bytes.length - 2; p >= Math.max(0, bytes.length - 32); p--) {
    if (bytes[p] === 0xff && bytes[p + 1] === 0xd9) return true;
  }
  return false;
}
