/**
 * The ISO 10918 JPEG transfer syntaxes (.50, .51, .57, .70), routed by the process the stream
 * actually uses (its SOF marker) rather than the label in the header:
 * 8-bit DCT → libjpeg-turbo; 12-bit DCT → our IJG-exact decoder; lossless → our process-14
 * decoder. A label that disagrees with the stream is reported as a warning.
 */
import { LungLensError } from '../../errors.js';
import { checkCodecFrame, checkDecodedLength } from './codec-output.js';
import { decodeJpegDct } from './jpeg-dct.js';
import { decodeJpegLossless, type LosslessJpegImage } from './jpeg-lossless.js';
import { describeJpegProcess, readJpegFrameHeader, type JpegFrameHeader } from './jpeg-markers.js';
import { decodeJpegLs } from './decode-jpeg-ls.js';
import { storeBits } from './stored-values.js';
import { TransferSyntax, transferSyntaxName } from './transfer-syntax.js';
import type { DecodedFrame, FrameInfo } from './types.js';
import { codecErrorDetail, libJpegTurbo, runDecoder } from './wasm-codecs.js';

type Warnings = DecodedFrame['warnings'];

export async function decodeJpeg(uid: string, encoded: Uint8Array, info: FrameInfo): Promise<DecodedFrame> {
  const header = readJpegFrameHeader(encoded);
  const warnings: Warnings = [];
  const lossless = header.process === 'lossless';
  const labelledLossless = uid === TransferSyntax.JPEGLossless || uid === TransferSyntax.JPEGLosslessSV1;
  if (lossless !== labelledLossless || header.process === 'jpeg-ls') {
    warnings.push({
      code: 'jpeg-process-mismatch',
      message: `The header says ${transferSyntaxName(uid)} but the frame is ${describeJpegProcess(header)}; it was decoded as what it is.`,
    });
  }
  if (header.columns !== info.columns || header.rows !== info.rows) {
    throw new LungLensError('corrupt-file', `The JPEG data holds a ${header.columns}×${header.rows} image but the header says ${info.columns}×${info.rows}.`);
  }
  switch (header.process) {
    case 'lossless':
      return { pixels: storeBits(decodeLossless(encoded, warnings), info), warnings };
    case 'jpeg-ls': {
      const decoded = await decodeJpegLs(encoded, info);
      return { pixels: decoded.pixels, warnings: [...warnings, ...decoded.warnings] };
    }
    case 'baseline':
    case 'extended':
    case 'progressive':
      if (header.precision === 12 && header.process !== 'progressive') {
        return { pixels: storeBits(decodeJpegDct(encoded).samples, info), warnings };
      }
      if (header.precision === 8) return { pixels: storeBits(await decodeTurbo(encoded, info), info), warnings };
      break;
    default:
  }
  throw new LungLensError('unsupported-pixel-format', unsupportedSentence(header));
}

function unsupportedSentence(header: JpegFrameHeader): string {
  return `The frame is ${describeJpegProcess(header)}, a JPEG variant LungLens cannot decode.`;
}

/** 8-bit DCT JPEG through libjpeg-turbo. */
async function decodeTurbo(encoded: Uint8Array, info: FrameInfo): Promise<Uint8Array> {
  const module = await libJpegTurbo.get();
  let result;
  try {
    result = runDecoder(new module.JPEGDecoder(), encoded, () => null);
  } catch (error) {
    libJpegTurbo.forget();
    throw new LungLensError('codec-failed', `The JPEG decoder could not decode the frame (${codecErrorDetail(error)}).`, { cause: error });
  }
  checkCodecFrame('JPEG', result.info, info);
  checkDecodedLength('JPEG', result.bytes, info, 1);
  return result.bytes;
}

/** Share of horizontal neighbours differing by more than half the 16-bit range above which a frame is garbled. */
const GARBLED_SHARE = 0.005;

/**
 * Lossless JPEG. A 16-bit predictor-6 frame that comes out garbled is tried again with the
 * predictor a known buggy encoder used (dcmtk's `+w6` workaround), and kept if clean.
 */
function decodeLossless(encoded: Uint8Array, warnings: Warnings): Uint16Array {
  const image = decodeJpegLossless(encoded);
  if (image.predictor !== 6 || image.precision !== 16) return image.samples;
  const jumps = bigJumps(image);
  if (jumps < GARBLED_SHARE * image.samples.length) return image.samples;
  let retry: LosslessJpegImage;
  try {
    retry = decodeJpegLossless(encoded, { predictor6Overflow: true });
  } catch {
    return image.samples;
  }
  if (bigJumps(retry) * 100 > jumps) return image.samples;
  warnings.push({
    code: 'jpeg-predictor6-overflow',
    message:
      'The lossless JPEG frame was written by an encoder with a known predictor-6 overflow bug; it was decoded the way that encoder computed its predictions (as dcmtk does with +w6), since the standard decoding gives a garbled image.',
  });
  return retry.samples;
}

/** Horizontal neighbours whose 16-bit signed values differ by more than 16384. */
function bigJumps(image: LosslessJpegImage): number {
  const { samples, width } = image;
  let n = 0;
  for (let i = 1; i < samples.length; i++) {
    if (i % width === 0) continue;
    const d = ((samples[i]! << 16) >> 16) - ((samples[i - 1]! << 16) >> 16);
    if (d > 16384 || d < -16384) n++;
  }
  return n;
}
