/**
 * Errors are values with a code and a human sentence (STYLE.md habit 7).
 * A `LungLensError` is thrown inside a module and caught at the batch boundary,
 * where it becomes a `Rejection` or an `error` item; nothing else is ever shown to a user.
 */
export type ErrorCode =
  // file-level
  | 'unreadable'
  | 'empty-file'
  | 'not-dicom'
  | 'dicomdir'
  | 'duplicate-instance'
  | 'not-an-image'
  // image stacks that are not CT renderings (core/calibration)
  | 'blank-image'
  | 'not-ct-colour'
  | 'not-ct-graphics'
  | 'not-ct-image'
  | 'not-ct-projection'
  | 'not-ct-values'
  | 'mixed-image-sizes'
  | 'unsupported-transfer-syntax'
  | 'unsupported-pixel-format'
  | 'corrupt-file'
  | 'no-pixel-data'
  | 'missing-attribute'
  | 'codec-failed'
  | 'too-large'
  // series/volume-level
  | 'localizer'
  | 'inconsistent-series'
  | 'invalid-volume'
  | 'unsupported-format'
  | 'nothing-found'
  // model and inference
  | 'bad-model'
  | 'inference-failed'
  // review database
  | 'review-db'
  | 'review-unknown-study'
  | 'review-bad-slice'
  | 'review-bad-study'
  | 'review-bad-import'
  // DICOM result objects and the network node
  | 'bad-result-input'
  | 'not-a-lunglens-object'
  | 'bad-node-config'
  | 'network'
  | 'usage';

export class LungLensError extends Error {
  override readonly name = 'LungLensError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A non-fatal finding about an input, shown beside the result it concerns. */
export interface Warning {
  code: string;
  message: string;
}

/** An input that could not be used, and why. */
export interface Rejection {
  path: string;
  code: ErrorCode;
  message: string;
}

/** Turns anything thrown into a code and a sentence, keeping a LungLensError's own. */
export function toRejection(path: string, error: unknown, fallback: ErrorCode = 'corrupt-file'): Rejection {
  if (error instanceof LungLensError) return { path, code: error.code, message: error.message };
  const detail = error instanceof Error ? error.message : String(error);
  return { path, code: fallback, message: `The file could not be read: ${detail}` };
}
