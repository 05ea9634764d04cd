/**
 * One dispatch from transfer syntax to decoder: the bytes of one frame (from frameBytes) become
 * its stored pixel values, masked to BitsStored and sign-extended per PixelRepresentation, so
 * that HU = value · RescaleSlope + RescaleIntercept needs nothing else.
 *
 * Every failure is a LungLensError with a code and a sentence; nothing is printed.
 */
import { LungLensError } from '../../errors.js';
import { decodeJpeg } from './decode-jpeg.js';
import { decodeJpegLs } from './decode-jpeg-ls.js';
import { decodeJpeg2000 } from './decode-jpeg2000.js';
import { decodeNative } from './decode-native.js';
import { decodeRle } from './decode-rle.js';
import { checkFrameInfo } from './frame-info.js';
import { assertSupportedTransferSyntax, normalizeUid, transferSyntaxName } from './transfer-syntax.js';
import type { DecodedFrame, FrameInfo } from './types.js';
import { codecErrorDetail } from './wasm-codecs.js';

export async function decodeFrame(transferSyntaxUid: string, encoded: Uint8Array, info: FrameInfo): Promise<DecodedFrame> {
  const uid = normalizeUid(transferSyntaxUid);
  const family = assertSupportedTransferSyntax(uid);
  checkFrameInfo(info);
  if (encoded.length === 0) {
    throw new LungLensError('no-pixel-data', 'The frame has no pixel data bytes.');
  }
  let frame: DecodedFrame;
  try {
    switch (family) {
      case 'native':
        frame = { pixels: decodeNative(encoded, info, false), warnings: [] };
        break;
      case 'native-big-endian':
        frame = { pixels: decodeNative(encoded, info, true), warnings: [] };
        break;
      case 'rle':
        frame = { pixels: decodeRle(encoded, info), warnings: [] };
        break;
      case 'jpeg':
        frame = await decodeJpeg(uid, encoded, info);
        break;
      case 'jpeg-ls':
        frame = await decodeJpegLs(encoded, info);
        break;
      case 'jpeg2000':
        frame = await decodeJpeg2000(encoded, info);
        break;
    }
  } catch (error) {
    if (error instanceof LungLensError) throw error;
    throw new LungLensError('codec-failed', `The ${transferSyntaxName(uid)} pixel data could not be decoded (${codecErrorDetail(error)}).`, { cause: error });
  }
  const expected = info.rows * info.columns;
  if (frame.pixels.length !== expected) {
    throw new LungLensError('codec-failed', `Decoding gave ${frame.pixels.length} pixels where ${info.columns}×${info.rows} = ${expected} were expected.`);
  }
  return frame;
}
