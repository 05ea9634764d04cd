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
