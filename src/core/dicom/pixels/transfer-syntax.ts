/**
 * Every transfer syntax UID we know, with its human name, and which of them LungLens decodes.
 * A transfer syntax we do not decode always comes with a sentence that says why.
 */
import { LungLensError } from '../../errors.js';

export const TransferSyntax = {
  ImplicitVRLittleEndian: '1.2.840.10008.1.2',
  ExplicitVRLittleEndian: '1.2.840.10008.1.2.1',
  EncapsulatedUncompressedExplicitVRLittleEndian: '1.2.840.10008.1.2.1.98',
  DeflatedExplicitVRLittleEndian: '1.2.840.10008.1.2.1.99',
  ExplicitVRBigEndian: '1.2.840.10008.1.2.2',
  JPEGBaseline8Bit: '1.2.840.10008.1.2.4.50',
  JPEGExtended12Bit: '1.2.840.10008.1.2.4.51',
  JPEGExtended35: '1.2.840.10008.1.2.4.52',
  JPEGSpectralSelection68: '1.2.840.10008.1.2.4.53',
  JPEGSpectralSelection79: '1.2.840.10008.1.2.4.54',
  JPEGFullProgression1012: '1.2.840.10008.1.2.4.55',
  JPEGFullProgression1113: '1.2.840.10008.1.2.4.56',
  JPEGLossless: '1.2.840.10008.1.2.4.57',
  JPEGLossless15: '1.2.840.10008.1.2.4.58',
  JPEGExtended1618: '1.2.840.10008.1.2.4.59',
  JPEGExtended1719: '1.2.840.10008.1.2.4.60',
  JPEGSpectralSelection2022: '1.2.840.10008.1.2.4.61',
  JPEGSpectralSelection2123: '1.2.840.10008.1.2.4.62',
  JPEGFullProgression2426: '1.2.840.10008.1.2.4.63',
  JPEGFullProgression2527: '1.2.840.10008.1.2.4.64',
  JPEGLossless28: '1.2.840.10008.1.2.4.65',
  JPEGLossless29: '1.2.840.10008.1.2.4.66',
  JPEGLosslessSV1: '1.2.840.10008.1.2.4.70',
  JPEGLSLossless: '1.2.840.10008.1.2.4.80',
  JPEGLSNearLossless: '1.2.840.10008.1.2.4.81',
  JPEG2000Lossless: '1.2.840.10008.1.2.4.90',
  JPEG2000: '1.2.840.10008.1.2.4.91',
  JPEG2000MCLossless: '1.2.840.10008.1.2.4.92',
  JPEG2000MC: '1.2.840.10008.1.2.4.93',
  JPIPReferenced: '1.2.840.10008.1.2.4.94',
  JPIPReferencedDeflate: '1.2.840.10008.1.2.4.95',
  MPEG2MPML: '1.2.840.10008.1.2.4.100',
  MPEG2MPMLF: '1.2.840.10008.1.2.4.100.1',
  MPEG2MPHL: '1.2.840.10008.1.2.4.101',
  MPEG2MPHLF: '1.2.840.10008.1.2.4.101.1',
  MPEG4HP41: '1.2.840.10008.1.2.4.102',
  MPEG4HP41F: '1.2.840.10008.1.2.4.102.1',
  MPEG4HP41BD: '1.2.840.10008.1.2.4.103',
  MPEG4HP41BDF: '1.2.840.10008.1.2.4.103.1',
  MPEG4HP422D: '1.2.840.10008.1.2.4.104',
  MPEG4HP422DF: '1.2.840.10008.1.2.4.104.1',
  MPEG4HP423D: '1.2.840.10008.1.2.4.105',
  MPEG4HP423DF: '1.2.840.10008.1.2.4.105.1',
  MPEG4HP42Stereo: '1.2.840.10008.1.2.4.106',
  MPEG4HP42StereoF: '1.2.840.10008.1.2.4.106.1',
  HEVCMP51: '1.2.840.10008.1.2.4.107',
  HEVCM10P51: '1.2.840.10008.1.2.4.108',
  JPEGXLLossless: '1.2.840.10008.1.2.4.110',
  JPEGXLJPEGRecompression: '1.2.840.10008.1.2.4.111',
  JPEGXL: '1.2.840.10008.1.2.4.112',
  HTJ2KLossless: '1.2.840.10008.1.2.4.201',
  HTJ2KLosslessRPCL: '1.2.840.10008.1.2.4.202',
  HTJ2K: '1.2.840.10008.1.2.4.203',
  JPIPHTJ2KReferenced: '1.2.840.10008.1.2.4.204',
  JPIPHTJ2KReferencedDeflate: '1.2.840.10008.1.2.4.205',
  RLELossless: '1.2.840.10008.1.2.5',
  RFC2557MIMEEncapsulation: '1.2.840.10008.1.2.6.1',
  XMLEncoding: '1.2.840.10008.1.2.6.2',
  SMPTEST211020UncompressedProgressiveActiveVideo: '1.2.840.10008.1.2.7.1',
  SMPTEST211020UncompressedInterlacedActiveVideo: '1.2.840.10008.1.2.7.2',
  SMPTEST211030PCMDigitalAudio: '1.2.840.10008.1.2.7.3',
  DeflatedImageFrameCompression: '1.2.840.10008.1.2.8.1',
  Papyrus3ImplicitVRLittleEndian: '1.2.840.10008.1.20',
  GEPrivateImplicitVRBigEndian: '1.2.840.113619.5.2',
} as const;

export type TransferSyntaxUid = (typeof TransferSyntax)[keyof typeof TransferSyntax];

/** How the pixel data of a supported transfer syntax is decoded (one decoder module each). */
export type CodecFamily = 'native' | 'native-big-endian' | 'rle' | 'jpeg' | 'jpeg-ls' | 'jpeg2000';

interface Entry {
  name: string;
  /** Set for the transfer syntaxes LungLens decodes. */
  family?: CodecFamily;
  /** Pixel data is a sequence of fragments (encapsulated) rather than one native value. */
  encapsulated: boolean;
  /** For unsupported syntaxes: why, ending the sentence that starts with the syntax's name. */
  why?: string;
}

const T = TransferSyntax;
const RETIRED_JPEG = 'is a retired JPEG process that scanners do not produce and that LungLens, like the reference readers pydicom and GDCM, cannot decode';
const VIDEO = 'is a video encoding; LungLens reads CT image slices, not video';
const JPIP = 'only references pixel data on a JPIP server; LungLens reads local files and never fetches images over the network';

const TABLE: Record<string, Entry> = {
  [T.ImplicitVRLittleEndian]: { name: 'Implicit VR Little Endian', family: 'native', encapsulated: false },
  [T.ExplicitVRLittleEndian]: { name: 'Explicit VR Little Endian', family: 'native', encapsulated: false },
  [T.EncapsulatedUncompressedExplicitVRLittleEndian]: { name: 'Encapsulated Uncompressed Explicit VR Little Endian', family: 'native', encapsulated: true },
  [T.DeflatedExplicitVRLittleEndian]: { name: 'Deflated Explicit VR Little Endian', family: 'native', encapsulated: false },
  [T.ExplicitVRBigEndian]: { name: 'Explicit VR Big Endian', family: 'native-big-endian', encapsulated: false },
  [T.JPEGBaseline8Bit]: { name: 'JPEG Baseline (Process 1)', family: 'jpeg', encapsulated: true },
  [T.JPEGExtended12Bit]: { name: 'JPEG Extended (Process 2 & 4)', family: 'jpeg', encapsulated: true },
  [T.JPEGExtended35]: { name: 'JPEG Extended (Process 3 & 5)', encapsulated: true, why: RETIRED_JPEG },
  [T.JPEGSpectralSelection68]: { name: 'JPEG Spectral Selection, Non-Hierarchical (Process 6 & 8)', encapsulated: true, why: RETIRED_JPEG },
  [T.JPEGSpectralSelection79]: { name: 'JPEG Spectral Selection, Non-Hierarchical (Process 7 & 9)', encapsulated: true, why: RETIRED_JPEG },
  [T.JPEGFullProgression1012]: { name: 'JPEG Full Progression, Non-Hierarchical (Process 10 & 12)', encapsulated: true, why: RETIRED_JPEG },
  [T.JPEGFullProgression1113]: { name: 'JPEG Full Progression, Non-Hierarchical (Process 11 & 13)', encapsulated: true, why: RETIRED_JPEG },
  [T.JPEGLossless]: { name: 'JPEG Lossless, Non-Hierarchical (Process 14)', family: 'jpeg', encapsulated: true },
  [T.JPEGLossless15]: { name: 'JPEG Lossless, Non-Hierarchical (Process 15)', encapsulated: true, why: RETIRED_JPEG },
  [T.JPEGExtended1618]: { name: 'JPEG Extended, Hierarchical (Process 16 & 18)', encapsulated: true, why: RETIRED_JPEG },
  [T.JPEGExtended1719]: { name: 'JPEG Extended, Hierarchical (Process 17 & 19)', encapsulated: true, why: RETIRED_JPEG },
  [T.JPEGSpectralSelection2022]: { name: 'JPEG Spectral Selection, Hierarchical (Process 20 & 22)', encapsulated: true, why: RETIRED_JPEG },
  [T.JPEGSpectralSelection2123]: { name: 'JPEG Spectral Selection, Hierarchical (Process 21 & 23)', encapsulated: true, why: RETIRED_JPEG },
  [T.JPEGFullProgression2426]: { name: 'JPEG Full Progression, Hierarchical (Process 24 & 26)', encapsulated: true, why: RETIRED_JPEG },
  [T.JPEGFullProgression2527]: { name: 'JPEG Full Progression, Hierarchical (Process 25 & 27)', encapsulated: true, why: RETIRED_JPEG },
  [T.JPEGLossless28]: { name: 'JPEG Lossless, Hierarchical (Process 28)', encapsulated: true, why: RETIRED_JPEG },
  [T.JPEGLossless29]: { name: 'JPEG Lossless, Hierarchical (Process 29)', encapsulated: true, why: RETIRED_JPEG },
  [T.JPEGLosslessSV1]: { name: 'JPEG Lossless, Non-Hierarchical, First-Order Prediction (Process 14 [Selection Value 1])', family: 'jpeg', encapsulated: true },
  [T.JPEGLSLossless]: { name: 'JPEG-LS Lossless', family: 'jpeg-ls', encapsulated: true },
  [T.JPEGLSNearLossless]: { name: 'JPEG-LS Lossy (Near-Lossless)', family: 'jpeg-ls', encapsulated: true },
  [T.JPEG2000Lossless]: { name: 'JPEG 2000 (Lossless Only)', family: 'jpeg2000', encapsulated: true },
  [T.JPEG2000]: { name: 'JPEG 2000', family: 'jpeg2000', encapsulated: true },
  [T.JPEG2000MCLossless]: { name: 'JPEG 2000 Part 2 Multi-component (Lossless Only)', encapsulated: true, why: 'is a multi-component (Part 2) JPEG 2000 format for multi-channel images; CT slices use the single-component JPEG 2000 syntaxes, and LungLens does not decode Part 2' },
  [T.JPEG2000MC]: { name: 'JPEG 2000 Part 2 Multi-component', encapsulated: true, why: 'is a multi-component (Part 2) JPEG 2000 format for multi-channel images; CT slices use the single-component JPEG 2000 syntaxes, and LungLens does not decode Part 2' },
  [T.JPIPReferenced]: { name: 'JPIP Referenced', encapsulated: false, why: JPIP },
  [T.JPIPReferencedDeflate]: { name: 'JPIP Referenced Deflate', encapsulated: false, why: JPIP },
  [T.MPEG2MPML]: { name: 'MPEG2 Main Profile / Main Level', encapsulated: true, why: VIDEO },
  [T.MPEG2MPMLF]: { name: 'Fragmentable MPEG2 Main Profile / Main Level', encapsulated: true, why: VIDEO },
  [T.MPEG2MPHL]: { name: 'MPEG2 Main Profile / High Level', encapsulated: true, why: VIDEO },
  [T.MPEG2MPHLF]: { name: 'Fragmentable MPEG2 Main Profile / High Level', encapsulated: true, why: VIDEO },
  [T.MPEG4HP41]: { name: 'MPEG-4 AVC/H.264 High Profile / Level 4.1', encapsulated: true, why: VIDEO },
  [T.MPEG4HP41F]: { name: 'Fragmentable MPEG-4 AVC/H.264 High Profile / Level 4.1', encapsulated: true, why: VIDEO },
  [T.MPEG4HP41BD]: { name: 'MPEG-4 AVC/H.264 BD-compatible High Profile / Level 4.1', encapsulated: true, why: VIDEO },
  [T.MPEG4HP41BDF]: { name: 'Fragmentable MPEG-4 AVC/H.264 BD-compatible High Profile / Level 4.1', encapsulated: true, why: VIDEO },
  [T.MPEG4HP422D]: { name: 'MPEG-4 AVC/H.264 High Profile / Level 4.2 For 2D Video', encapsulated: true, why: VIDEO },
  [T.MPEG4HP422DF]: { name: 'Fragmentable MPEG-4 AVC/H.264 High Profile / Level 4.2 For 2D Video', encapsulated: true, why: VIDEO },
  [T.MPEG4HP423D]: { name: 'MPEG-4 AVC/H.264 High Profile / Level 4.2 For 3D Video', encapsulated: true, why: VIDEO },
  [T.MPEG4HP423DF]: { name: 'Fragmentable MPEG-4 AVC/H.264 High Profile / Level 4.2 For 3D Video', encapsulated: true, why: VIDEO },
  [T.MPEG4HP42Stereo]: { name: 'MPEG-4 AVC/H.264 Stereo High Profile / Level 4.2', encapsulated: true, why: VIDEO },
  [T.MPEG4HP42StereoF]: { name: 'Fragmentable MPEG-4 AVC/H.264 Stereo High Profile / Level 4.2', encapsulated: true, why: VIDEO },
  [T.HEVCMP51]: { name: 'HEVC/H.265 Main Profile / Level 5.1', encapsulated: true, why: VIDEO },
  [T.HEVCM10P51]: { name: 'HEVC/H.265 Main 10 Profile / Level 5.1', encapsulated: true, why: VIDEO },
  [T.JPEGXLLossless]: { name: 'JPEG XL Lossless', encapsulated: true, why: 'is not supported: LungLens has no JPEG XL decoder' },
  [T.JPEGXLJPEGRecompression]: { name: 'JPEG XL JPEG Recompression', encapsulated: true, why: 'is not supported: LungLens has no JPEG XL decoder' },
  [T.JPEGXL]: { name: 'JPEG XL', encapsulated: true, why: 'is not supported: LungLens has no JPEG XL decoder' },
  [T.HTJ2KLossless]: { name: 'High-Throughput JPEG 2000 (Lossless Only)', encapsulated: true, why: 'is not supported yet: LungLens has no verified High-Throughput JPEG 2000 decoder' },
  [T.HTJ2KLosslessRPCL]: { name: 'High-Throughput JPEG 2000 with RPCL Options (Lossless Only)', encapsulated: true, why: 'is not supported yet: LungLens has no verified High-Throughput JPEG 2000 decoder' },
  [T.HTJ2K]: { name: 'High-Throughput JPEG 2000', encapsulated: true, why: 'is not supported yet: LungLens has no verified High-Throughput JPEG 2000 decoder' },
  [T.JPIPHTJ2KReferenced]: { name: 'JPIP HTJ2K Referenced', encapsulated: false, why: JPIP },
  [T.JPIPHTJ2KReferencedDeflate]: { name: 'JPIP HTJ2K Referenced Deflate', encapsulated: false, why: JPIP },
  [T.RLELossless]: { name: 'RLE Lossless', family: 'rle', encapsulated: true },
  [T.RFC2557MIMEEncapsulation]: { name: 'RFC 2557 MIME encapsulation', encapsulated: false, why: 'is a retired way of wrapping DICOM in e-mail, not a pixel encoding LungLens can read' },
  [T.XMLEncoding]: { name: 'XML Encoding', encapsulated: false, why: 'is a retired XML encoding, not a pixel encoding LungLens can read' },
  [T.SMPTEST211020UncompressedProgressiveActiveVideo]: { name: 'SMPTE ST 2110-20 Uncompressed Progressive Active Video', encapsulated: false, why: VIDEO },
  [T.SMPTEST211020UncompressedInterlacedActiveVideo]: { name: 'SMPTE ST 2110-20 Uncompressed Interlaced Active Video', encapsulated: false, why: VIDEO },
  [T.SMPTEST211030PCMDigitalAudio]: { name: 'SMPTE ST 2110-30 PCM Digital Audio', encapsulated: false, why: 'is an audio encoding, not an image' },
  [T.DeflatedImageFrameCompression]: { name: 'Deflated Image Frame Compression', encapsulated: true, why: 'is not supported: it is meant for segmentations and parametric maps, not CT slices' },
  [T.Papyrus3ImplicitVRLittleEndian]: { name: 'Papyrus 3 Implicit VR Little Endian', encapsulated: false, why: 'is a retired pre-standard syntax that LungLens does not read; re-export the images in a standard DICOM transfer syntax' },
  [T.GEPrivateImplicitVRBigEndian]: {
    name: "GE's private Implicit VR Big Endian",
    encapsulated: false,
    why: 'stores a little-endian header with byte-swapped pixel data in a layout private to GE; LungLens, like the reference readers pydicom and GDCM, does not read it — re-export the series from the scanner or PACS in a standard transfer syntax',
  },
};

/** Trims the NUL or space padding a UID may carry in the file. */
export function normalizeUid(uid: string): string {
  return uid.replace(/[\0\s]+$/, '').trim();
}

/** The human name of a transfer syntax, or the UID itself when it is not one we know. */
export function transferSyntaxName(uid: string): string {
  const u = normalizeUid(uid);
  return TABLE[u]?.name ?? u;
}

/** True when LungLens decodes pixel data in this transfer syntax. */
export function isSupportedTransferSyntax(uid: string): boolean {
  return TABLE[normalizeUid(uid)]?.family !== undefined;
}

/** True when the pixel data of this transfer syntax is encapsulated (a sequence of fragments). */
export function isEncapsulatedTransferSyntax(uid: string): boolean {
  return TABLE[normalizeUid(uid)]?.encapsulated ?? false;
}

/** The decoder family for a supported transfer syntax, or null. */
export function codecFamily(uid: string): CodecFamily | null {
  return TABLE[normalizeUid(uid)]?.family ?? null;
}

/**
 * A sentence saying why pixel data in this transfer syntax cannot be decoded, or null when it can.
 */
export function unsupportedTransferSyntaxReason(uid: string): string | null {
  const u = normalizeUid(uid);
  if (u === '') {
    return 'The file does not say how its pixel data is encoded (it has no Transfer Syntax UID), so its pixels cannot be decoded.';
  }
  const entry = TABLE[u];
  if (entry === undefined) {
    return `The transfer syntax ${u} is not a DICOM transfer syntax LungLens knows (it may be private to one vendor), so its pixel data cannot be decoded.`;
  }
  if (entry.family !== undefined) return null;
  return `The transfer syntax ${entry.name} (${u}) ${entry.why ?? 'is not supported'}.`;
}

/** Throws `unsupported-transfer-syntax` with its sentence unless the syntax is decoded. */
export function assertSupportedTransferSyntax(uid: string): CodecFamily {
  const family = codecFamily(uid);
  if (family === null) {
    throw new LungLensError('unsupported-transfer-syntax', unsupportedTransferSyntaxReason(uid) ?? 'The transfer syntax is not supported.');
  }
  return family;
}
