/**
 * The pixel-data layer: from a parsed dicom-parser DataSet to the stored pixel values of a frame.
 * `frameBytes` finds a frame's bytes; `decodeFrame` decodes them for its transfer syntax.
 * This file is the folder's only entry.
 */
export { decodeFrame } from './decode-frame.js';
export { frameBytes } from './frame-bytes.js';
export { checkFrameInfo } from './frame-info.js';
export {
  TransferSyntax,
  assertSupportedTransferSyntax,
  codecFamily,
  isEncapsulatedTransferSyntax,
  isSupportedTransferSyntax,
  normalizeUid,
  transferSyntaxName,
  unsupportedTransferSyntaxReason,
  type CodecFamily,
  type TransferSyntaxUid,
} from './transfer-syntax.js';
export type { DecodedFrame, FrameInfo, StoredPixels } from './types.js';
