import { TransferSyntax as T, isEncapsulatedTransferSyntax, isSupportedTransferSyntax } from '../dicom/pixels/index.js';

/** Syntaxes whose pixels are not the scanner's: accepted, but after any lossless offer. */
const LOSSY = new Set<string>([T.JPEGBaseline8Bit, T.JPEGExtended12Bit, T.JPEGLSNearLossless, T.JPEG2000]);

/**
 * The transfer syntax the listener accepts from those a sender proposes for one presentation
 * context, or null: a lossless compressed syntax LungLens decodes (the sender keeps its bytes,
 * the network carries fewer), then explicit, then implicit VR little endian, then lossy
 * compressed, then the rest LungLens reads (big endian, deflated). Never one it cannot read.
 */
export function chooseTransferSyntax(proposed: readonly string[]): string | null {
  const readable = proposed.filter((uid) => isSupportedTransferSyntax(uid));
  const rank = (uid: string): number => {
    if (isEncapsulatedTransferSyntax(uid) && uid !== T.EncapsulatedUncompressedExplicitVRLittleEndian) return LOSSY.has(uid) ? 3 : 0;
    if (uid === T.ExplicitVRLittleEndian) return 1;
    if (uid === T.ImplicitVRLittleEndian) return 2;
    return 4;
  };
  return [...readable].sort((a, b) => rank(a) - rank(b) || readable.indexOf(a) - readable.indexOf(b))[0] ?? null;
}

/** What the listener offers for verification and non-image objects: the two uncompressed syntaxes. */
export const UNCOMPRESSED = [T.ExplicitVRLittleEndian, T.ImplicitVRLittleEndian] as const;
