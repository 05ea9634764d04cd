import { deflateRawSync } from 'node:zlib';
import type { Dataset } from './dataset.js';
import { META } from './dictionary.js';
import { encodeElements, normalizeDataset, stringValue, tagName } from './encode-dataset.js';
import { WRITABLE_TRANSFER_SYNTAXES, type WritableTransferSyntax } from './transfer-syntax.js';
import { LUNGLENS_IMPLEMENTATION_CLASS_UID, LUNGLENS_IMPLEMENTATION_VERSION_NAME } from './uid.js';

export interface WritePart10Options {
  /** Default `explicit-little`. */
  transferSyntax?: WritableTransferSyntax;
  /**
   * Write the 128-byte preamble and the "DICM" prefix (default: same as `fileMeta`). Without them
   * the file starts directly with the file meta group (or, without that too, with the data set) —
   * layouts that real archives contain and that readers must accept.
   */
  preamble?: boolean;
  /** Write the file meta information group 0002 (default true). Without it, only implicit or explicit LE. */
  fileMeta?: boolean;
  /** Default: the data set's SOPClassUID. */
  mediaStorageSopClassUid?: string;
  /** Default: the data set's SOPInstanceUID. */
  mediaStorageSopInstanceUid?: string;
  implementationClassUid?: string;
  implementationVersionName?: string;
  sourceApplicationEntityTitle?: string;
}

const SOP_CLASS_UID = 0x00080016;
const SOP_INSTANCE_UID = 0x00080018;

/**
 * Encodes a data set as a DICOM Part 10 file: preamble, "DICM", the file meta group in explicit
 * VR little endian with its group length, then the data set in the chosen transfer syntax.
 */
export function writePart10(dataset: Dataset, options: WritePart10Options = {}): Buffer {
  const syntax = options.transferSyntax ?? 'explicit-little';
  const transferSyntaxUid = WRITABLE_TRANSFER_SYNTAXES[syntax];
  if (transferSyntaxUid === undefined) throw new RangeError(`"${String(syntax)}" is not a transfer syntax the writer encodes.`);
  const fileMeta = options.fileMeta ?? true;
  const preamble = options.preamble ?? fileMeta;
  if (preamble && !fileMeta) throw new RangeError('A preamble and "DICM" prefix must be followed by the file meta group.');
  if (!fileMeta && syntax === 'deflated-explicit-little') {
    throw new RangeError('A deflated data set cannot be written without the file meta group that names its transfer syntax.');
  }

  const elements = normalizeDataset(dataset);
  let body = encodeElements(elements, { explicitVR: syntax !== 'implicit-little' });
  if (syntax === 'deflated-explicit-little') {
    body = deflateRawSync(body, { level: 6 });
    if (body.length % 2 !== 0) body = Buffer.concat([body, Buffer.alloc(1)]);
  }
  if (!fileMeta) return body;

  const sopClassUid = options.mediaStorageSopClassUid ?? stringValue(elements, SOP_CLASS_UID);
  const sopInstanceUid = options.mediaStorageSopInstanceUid ?? stringValue(elements, SOP_INSTANCE_UID);
  if (!sopClassUid || !sopInstanceUid) {
    throw new RangeError(
      `The file meta group needs a SOP class and instance UID: give SOPClassUID ${tagName(SOP_CLASS_UID)} and SOPInstanceUID ${tagName(SOP_INSTANCE_UID)} or the mediaStorage options.`,
    );
  }
  const head = fileMetaHeader({
    sopClassUid, sopInstanceUid, transferSyntaxUid, preamble,
    ...(options.implementationClassUid ? { implementationClassUid: options.implementationClassUid } : {}),
    ...(options.implementationVersionName ? { implementationVersionName: options.implementationVersionName } : {}),
    ...(options.sourceApplicationEntityTitle ? { sourceApplicationEntityTitle: options.sourceApplicationEntityTitle } : {}),
  });
  return Buffer.concat([head, body]);
}

export interface FileMetaOptions {
  sopClassUid: string;
  sopInstanceUid: string;
  /** Any transfer syntax UID: the data set that follows is the caller's (e.g. received over the network as is). */
  transferSyntaxUid: string;
  /** The 128-byte preamble and "DICM" in front (default true). */
  preamble?: boolean;
  implementationClassUid?: string;
  implementationVersionName?: string;
  sourceApplicationEntityTitle?: string;
}

/**
 * The preamble, "DICM" and file meta group (explicit VR little endian, with its group length) that
 * make a Part 10 file of whatever data set is written after them.
 */
export function fileMetaHeader(o: FileMetaOptions): Buffer {
  const metaBody = encodeElements(
    normalizeMeta([
      { tag: META.FileMetaInformationVersion, vr: 'OB', value: new Uint8Array([0, 1]) },
      { tag: META.MediaStorageSOPClassUID, vr: 'UI', value: o.sopClassUid },
      { tag: META.MediaStorageSOPInstanceUID, vr: 'UI', value: o.sopInstanceUid },
      { tag: META.TransferSyntaxUID, vr: 'UI', value: o.transferSyntaxUid },
      { tag: META.ImplementationClassUID, vr: 'UI', value: o.implementationClassUid ?? LUNGLENS_IMPLEMENTATION_CLASS_UID },
      { tag: META.ImplementationVersionName, vr: 'SH', value: o.implementationVersionName ?? LUNGLENS_IMPLEMENTATION_VERSION_NAME },
      ...(o.sourceApplicationEntityTitle
        ? [{ tag: META.SourceApplicationEntityTitle, vr: 'AE' as const, value: o.sourceApplicationEntityTitle }]
        : []),
    ]),
    { explicitVR: true, utf8: false },
  );
  const groupLength = Buffer.alloc(12);
  groupLength.writeUInt16LE(0x0002, 0);
  groupLength.writeUInt16LE(0x0000, 2);
  groupLength.write('UL', 4, 'latin1');
  groupLength.writeUInt16LE(4, 6);
  groupLength.writeUInt32LE(metaBody.length, 8);
  const head = (o.preamble ?? true) ? Buffer.concat([Buffer.alloc(128), Buffer.from('DICM', 'latin1')]) : Buffer.alloc(0);
  return Buffer.concat([head, groupLength, metaBody]);
}

/** File meta elements bypass `normalizeDataset`'s refusal of group 0002. */
function normalizeMeta(elements: { tag: number; vr: 'OB' | 'UI' | 'SH' | 'AE'; value: string | Uint8Array }[]) {
  return elements.map((e) => ({ ...e, undefinedLength: false }));
}
