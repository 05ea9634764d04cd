/**
 * JPEG 2000 (lossless and lossy) through OpenJPEG, which also reads a JP2 file wrapper around
 * the codestream (as ELSCINT1 writes).
 *
 * When the codestream's signedness disagrees with PixelRepresentation, whichever says "signed"
 * wins (DESIGN.md §6: headers lie). An unsigned codestream in a signed data set is reinterpreted at
 * the codestream's precision, as pydicom's J2K sign correction and GDCM do — e.g. a 13-bit
 * codestream gives 6192 → −2000. A signed codestream under an unsigned header keeps its signed
 * samples: read as unsigned they would turn air into +63 000 HU (TOSHIBA_J2K_SIZ1_PixRep0 gives
 * the same image as its correctly labelled twin this way). Either carries a
 * `j2k-signedness-mismatch` warning.
 */
import { LungLensError } from '../../errors.js';
import { checkCodecFrame, checkDecodedLength } from './codec-output.js';
import { allocateStored, storedRange } from './stored-values.js';
import type { DecodedFrame, FrameInfo } from './types.js';
import { codecErrorDetail, openJpeg, runDecoder } from './wasm-codecs.js';

export async function decodeJpeg2000(encoded: Uint8Array, info: FrameInfo): Promise<DecodedFrame> {
  const module = await openJpeg.get();
  let result;
  try {
    result = runDecoder(new module.J2KDecoder(), encoded, () => null);
  } catch (error) {
    openJpeg.forget();
    throw new LungLensError('codec-failed', `The JPEG 2000 decoder could not decode the frame (${codecErrorDetail(error)}).`, { cause: error });
  }
  const { info: got, bytes } = result;
  checkCodecFrame('JPEG 2000', got, info);
  const wide = got.bitsPerSample > 8;
  checkDecodedLength('JPEG 2000', bytes, info, wide ? 2 : 1);
  const codestreamSigned = got.isSigned === true;
  const raw = wide
    ? codestreamSigned ? new Int16Array(bytes.buffer) : new Uint16Array(bytes.buffer)
    : codestreamSigned ? new Int8Array(bytes.buffer) : new Uint8Array(bytes.buffer);

  const warnings: DecodedFrame['warnings'] = [];
  const precision = got.bitsPerSample;
  const headerSigned = info.pixelRepresentation === 1;
  const mismatch = codestreamSigned !== headerSigned;
  if (mismatch) {
    warnings.push({
      code: 'j2k-signedness-mismatch',
      message: `The JPEG 2000 codestream stores ${codestreamSigned ? 'signed' : 'unsigned'} ${precision}-bit samples but PixelRepresentation says ${headerSigned ? 'signed' : 'unsigned'}; the samples were read as signed.`,
    });
  }
  // Whichever says signed wins; from here on the output follows that signedness.
  const effective: FrameInfo = codestreamSigned && !headerSigned ? { ...info, pixelRepresentation: 1 } : info;
  const reinterpret = mismatch && headerSigned;
  // Fast path: the decoded samples already are stored values (in range) of the header's type.
  if (!reinterpret && precision <= info.bitsStored && raw.BYTES_PER_ELEMENT * 8 === info.bitsAllocated) return { pixels: raw, warnings };

  const out = allocateStored(effective, raw.length);
  const shift = 32 - precision;
  const { min, max } = storedRange(effective);
  const signedOut = effective.pixelRepresentation === 1;
  const typeMin = signedOut ? -(2 ** (info.bitsAllocated - 1)) : 0;
  const typeMax = signedOut ? 2 ** (info.bitsAllocated - 1) - 1 : 2 ** info.bitsAllocated - 1;
  let outside = 0;
  for (let i = 0; i < raw.length; i++) {
    let v = raw[i]!;
    if (reinterpret) v = (v << shift) >> shift;
    if (v < min || v > max) {
      outside++;
      if (v < typeMin) v = typeMin;
      else if (v > typeMax) v = typeMax;
    }
    out[i] = v;
  }
  if (outside > 0) {
    warnings.push({
      code: 'j2k-exceeds-bits-stored',
      message: `${outside} JPEG 2000 samples lie outside the ${info.bitsStored}-bit range BitsStored allows (the codestream uses ${precision} bits); they were kept as decoded.`,
    });
  }
  return { pixels: out, warnings };
}
