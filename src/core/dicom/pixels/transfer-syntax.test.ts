import { describe, expect, it } from 'vitest';
import { LungLensError } from '../../errors.js';
import {
  TransferSyntax,
  assertSupportedTransferSyntax,
  codecFamily,
  isSupportedTransferSyntax,
  transferSyntaxName,
  unsupportedTransferSyntaxReason,
} from './transfer-syntax.js';

const supported: [string, string][] = [
  [TransferSyntax.ImplicitVRLittleEndian, 'native'],
  [TransferSyntax.ExplicitVRLittleEndian, 'native'],
  [TransferSyntax.DeflatedExplicitVRLittleEndian, 'native'],
  [TransferSyntax.EncapsulatedUncompressedExplicitVRLittleEndian, 'native'],
  [TransferSyntax.ExplicitVRBigEndian, 'native-big-endian'],
  [TransferSyntax.JPEGBaseline8Bit, 'jpeg'],
  [TransferSyntax.JPEGExtended12Bit, 'jpeg'],
  [TransferSyntax.JPEGLossless, 'jpeg'],
  [TransferSyntax.JPEGLosslessSV1, 'jpeg'],
  [TransferSyntax.JPEGLSLossless, 'jpeg-ls'],
  [TransferSyntax.JPEGLSNearLossless, 'jpeg-ls'],
  [TransferSyntax.JPEG2000Lossless, 'jpeg2000'],
  [TransferSyntax.JPEG2000, 'jpeg2000'],
  [TransferSyntax.RLELossless, 'rle'],
];

/** [uid, words the rejection sentence must contain] */
const rejected: [string, RegExp][] = [
  [TransferSyntax.GEPrivateImplicitVRBigEndian, /GE's private .*re-export/],
  [TransferSyntax.JPEGSpectralSelection68, /Process 6 & 8.*retired JPEG process/],
  [TransferSyntax.JPEGFullProgression1012, /Process 10 & 12.*retired JPEG process/],
  [TransferSyntax.MPEG4HP41, /video/],
  [TransferSyntax.HEVCMP51, /video/],
  [TransferSyntax.HTJ2KLossless, /High-Throughput JPEG 2000.*not supported/],
  [TransferSyntax.JPIPReferenced, /JPIP server/],
  [TransferSyntax.JPEGXL, /JPEG XL/],
  ['1.2.3.4.5.6', /1\.2\.3\.4\.5\.6 is not a DICOM transfer syntax LungLens knows/],
  ['', /no Transfer Syntax UID/],
];

describe('transfer syntaxes', () => {
  it.each(supported)('decodes %s with the %s decoder', (uid, family) => {
    expect(isSupportedTransferSyntax(uid)).toBe(true);
    expect(codecFamily(uid)).toBe(family);
    expect(unsupportedTransferSyntaxReason(uid)).toBeNull();
  });

  it.each(rejected)('rejects %s with a sentence', (uid, words) => {
    expect(isSupportedTransferSyntax(uid)).toBe(false);
    const reason = unsupportedTransferSyntaxReason(uid);
    expect(reason).toMatch(words);
    expect(reason).toMatch(/^The .*\.$/);
    expect(() => assertSupportedTransferSyntax(uid)).toThrowError(expect.objectContaining({ code: 'unsupported-transfer-syntax', message: reason }) as LungLensError);
  });

  it('ignores the NUL padding a UID carries in the file', () => {
    expect(isSupportedTransferSyntax('1.2.840.10008.1.2.4.70\0')).toBe(true);
    expect(transferSyntaxName('1.2.840.10008.1.2.5\0')).toBe('RLE Lossless');
  });
});
