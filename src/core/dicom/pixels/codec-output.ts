/** Checks shared by the decoders on what a codec returned against what the header promised. */
import { LungLensError } from '../../errors.js';
import type { CodecFrameInfo } from './wasm-codecs.js';
import type { FrameInfo } from './types.js';

export function checkCodecFrame(codec: string, got: CodecFrameInfo, info: FrameInfo): void {
  if (got.width === 0 || got.height === 0) {
    throw new LungLensError('codec-failed', `The ${codec} decoder found no image in the frame; the data may be damaged or truncated.`);
  }
  if (got.width !== info.columns || got.height !== info.rows) {
    throw new LungLensError(
      'corrupt-file',
      `The ${codec} data holds a ${got.width}×${got.height} image but the header says ${info.columns}×${info.rows}.`,
    );
  }
  if (got.componentCount !== 1) {
    throw new LungLensError(
      'unsupported-pixel-format',
      `The ${codec} data holds ${got.componentCount} components (colour); LungLens reads single-component greyscale CT only.`,
    );
  }
  if (got.bitsPerSample > 16 || got.bitsPerSample > info.bitsAllocated) {
    throw new LungLensError(
      'corrupt-file',
      `The ${codec} data holds ${got.bitsPerSample}-bit samples, more than the ${info.bitsAllocated} bits the header allocates per pixel.`,
    );
  }
}

/** The decoded byte count a codec must return for one sample per pixel. */
export function checkDecodedLength(codec: string, bytes: Uint8Array, info: FrameInfo, bytesPerSample: number): void {
  const expected = info.rows * info.columns * bytesPerSample;
  if (bytes.length !== expected) {
    throw new LungLensError('codec-failed', `The ${codec} decoder returned ${bytes.length} bytes where ${info.columns}×${info.rows} pixels need ${expected}.`);
  }
}
