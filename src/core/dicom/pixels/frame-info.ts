/**
 * Checks that a frame's Image Pixel attributes describe something LungLens decodes: one sample
 * per pixel (MONOCHROME1/2), 8, 16 or 32 bits allocated, a sane BitsStored and HighBit.
 */
import { LungLensError } from '../../errors.js';
import type { FrameInfo } from './types.js';

const GREYSCALE = new Set(['MONOCHROME1', 'MONOCHROME2']);

export function checkFrameInfo(info: FrameInfo): void {
  const { rows, columns, bitsAllocated, bitsStored, highBit, samplesPerPixel, pixelRepresentation } = info;
  const photometric = info.photometricInterpretation.trim().toUpperCase();
  if (!Number.isInteger(rows) || !Number.isInteger(columns) || rows <= 0 || columns <= 0) {
    throw new LungLensError('corrupt-file', `The image size ${columns}×${rows} in the header is not a valid number of columns and rows.`);
  }
  if (samplesPerPixel !== 1) {
    throw new LungLensError(
      'unsupported-pixel-format',
      `The image has ${samplesPerPixel} samples per pixel (${photometric || 'colour'}); LungLens reads single-sample greyscale CT images only.`,
    );
  }
  if (photometric !== '' && !GREYSCALE.has(photometric)) {
    throw new LungLensError(
      'unsupported-pixel-format',
      `The image is ${photometric}, not greyscale; LungLens reads MONOCHROME1 and MONOCHROME2 CT images only.`,
    );
  }
  if (bitsAllocated !== 8 && bitsAllocated !== 16 && bitsAllocated !== 32) {
    throw new LungLensError(
      'unsupported-pixel-format',
      `The image allocates ${bitsAllocated} bits per pixel; LungLens reads 8-, 16- and 32-bit CT pixels only.`,
    );
  }
  if (!Number.isInteger(bitsStored) || bitsStored < 1 || bitsStored > bitsAllocated) {
    throw new LungLensError('corrupt-file', `BitsStored (${bitsStored}) must lie between 1 and BitsAllocated (${bitsAllocated}).`);
  }
  if (!Number.isInteger(highBit) || highBit < bitsStored - 1 || highBit >= bitsAllocated) {
    throw new LungLensError('corrupt-file', `HighBit (${highBit}) does not fit BitsStored ${bitsStored} within BitsAllocated ${bitsAllocated}.`);
  }
  if (bitsStored === 32 && pixelRepresentation === 0) {
    throw new LungLensError('unsupported-pixel-format', 'The image stores unsigned 32-bit pixels, beyond the range of any CT scanner; it is not supported.');
  }
}

/** Bytes of one native frame. */
export function frameByteLength(info: FrameInfo): number {
  return info.rows * info.columns * info.samplesPerPixel * (info.bitsAllocated / 8);
}
