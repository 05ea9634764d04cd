import type { DataSet } from 'dicom-parser';
import { dicomParser } from './load-dicom-parser.js';
import { LungLensError } from '../errors.js';
import { unsupportedTransferSyntaxReason } from './pixels/index.js';

const IMPLICIT_LE = '1.2.840.10008.1.2';
const EXPLICIT_LE = '1.2.840.10008.1.2.1';
const PIXEL_DATA = 'x7fe00010';
const VALID_VR = new Set([
  'AE', 'AS', 'AT', 'CS', 'DA', 'DS', 'DT', 'FL', 'FD', 'IS', 'LO', 'LT', 'OB', 'OD', 'OF', 'OL', 'OV', 'OW',
  'PN', 'SH', 'SL', 'SQ', 'SS', 'ST', 'SV', 'TM', 'UC', 'UI', 'UL', 'UN', 'UR', 'US', 'UT', 'UV',
]);

/** How the bytes of a file are laid out before its data set. */
export type FileLayout = 'part10' | 'meta-without-preamble' | 'raw-implicit' | 'raw-explicit';

/**
 * Recognises a DICOM file from its first bytes, with or without the 128-byte preamble and
 * "DICM" prefix, and with or without a file meta group. Returns null for anything else.
 */
export function detectLayout(bytes: Uint8Array): FileLayout | null {
  if (bytes.length >= 132 && bytes[128] === 0x44 && bytes[129] === 0x49 && bytes[130] === 0x43 && bytes[131] === 0x4d) {
    return 'part10';
  }
  if (bytes.length < 8) return null;
  const group = bytes[0]! | (bytes[1]! << 8);
  const element = bytes[2]! | (bytes[3]! << 8);
  const vr = String.fromCharCode(bytes[4]!, bytes[5]!);
  if (group === 0x0002 && VALID_VR.has(vr)) return 'meta-without-preamble';
  // A raw data set starts with a low group (0008 identifying, sometimes 0000 command or 0002).
  if (group !== 0x0008 && group !== 0x0000) return null;
  if (element > 0x00ff && group === 0x0000) return null;
  if (VALID_VR.has(vr)) return 'raw-explicit';
  // Implicit VR: bytes 4..7 are a little-endian length, which must fit in the file.
  const length = (bytes[4]! | (bytes[5]! << 8) | (bytes[6]! << 16)) + bytes[7]! * 0x1000000;
  return length <= bytes.length ? 'raw-implicit' : null;
}

/** Bytes `parseDicomBytes` puts in front of the file's own (a preamble it restores). */
export function parsedOffsetShift(bytes: Uint8Array): number {
  return detectLayout(bytes) === 'meta-without-preamble' ? 132 : 0;
}

export interface ParseOptions {
  /** Stop before the Pixel Data element (header-only parse of a file prefix). */
  headerOnly?: boolean;
}

/**
 * Parses a DICOM file (or its prefix, with `headerOnly`) into a dicom-parser DataSet.
 * Explicit big endian and deflated data sets are handled by dicom-parser itself (Node's zlib).
 */
export function parseDicomBytes(bytes: Buffer, options: ParseOptions = {}): DataSet {
  const layout = detectLayout(bytes);
  if (layout === null) {
    throw new LungLensError('not-dicom', 'This is not a DICOM file: it has neither the "DICM" prefix nor a recognisable data set at its start.');
  }
  const parseOptions: { untilTag?: string; TransferSyntaxUID?: string } = {};
  if (options.headerOnly) parseOptions.untilTag = PIXEL_DATA;
  let input = bytes;
  if (layout === 'meta-without-preamble') {
    // A file meta group without its preamble: give it back the 128 bytes and "DICM" it lacks.
    input = Buffer.concat([Buffer.alloc(128), Buffer.from('DICM', 'latin1'), bytes]);
  } else if (layout === 'raw-implicit') {
    parseOptions.TransferSyntaxUID = IMPLICIT_LE;
  } else if (layout === 'raw-explicit') {
    parseOptions.TransferSyntaxUID = EXPLICIT_LE;
  }
  try {
    return dicomParser.parseDicom(input, parseOptions);
  } catch (error) {
    if (layout === 'part10') {
      // Some archives write the file meta group in implicit VR; read its transfer syntax to say why.
      const uid = implicitMetaTransferSyntax(bytes);
      const reason = uid ? unsupportedTransferSyntaxReason(uid) : null;
      if (reason) throw new LungLensError('unsupported-transfer-syntax', reason);
    }
    const detail = parserMessage(error);
    throw new LungLensError('corrupt-file', `The DICOM data set could not be parsed (${detail.replace(/^dicomParser\.\w+: /, '')}).`);
  }
}

/** The TransferSyntaxUID of a file meta group written (against the standard) in implicit VR. */
export function implicitMetaTransferSyntax(bytes: Uint8Array): string | null {
  let p = 132;
  while (p + 8 <= bytes.length) {
    const group = bytes[p]! | (bytes[p + 1]! << 8);
    const element = bytes[p + 2]! | (bytes[p + 3]! << 8);
    const length = (bytes[p + 4]! | (bytes[p + 5]! << 8) | (bytes[p + 6]! << 16)) + bytes[p + 7]! * 0x1000000;
    if (group !== 0x0002 || p + 8 + length > bytes.length) return null;
    if (element === 0x0010) {
      return String.fromCharCode(...bytes.subarray(p + 8, p + 8 + length)).replace(/[\0 ]+$/, '');
    }
    p += 8 + length;
  }
  return null;
}

/** dicom-parser throws strings, Errors, or objects carrying `exception` (a string) and the partial data set. */
function parserMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'string') return error;
  if (error && typeof error === 'object' && 'exception' in error) return String((error as { exception: unknown }).exception);
  return 'unknown parser error';
}
