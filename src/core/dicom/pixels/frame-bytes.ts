/**
 * The bytes of one frame of a parsed data set: a slice of native Pixel Data, or the fragments
 * of one frame of encapsulated Pixel Data (found through the Basic or Extended Offset Table, one
 * fragment per frame, or — with no usable table — the codestream markers at fragment starts).
 */
import type { DataSet, Element, Fragment } from 'dicom-parser';
import { dicomParser } from '../load-dicom-parser.js';
import { LungLensError } from '../../errors.js';
import { checkFrameInfo, frameByteLength } from './frame-info.js';
import { isEncapsulatedTransferSyntax, normalizeUid, transferSyntaxName } from './transfer-syntax.js';
import type { FrameInfo } from './types.js';

const PIXEL_DATA = 'x7fe00010';
const EXTENDED_OFFSET_TABLE = 'x7fe00001';
const EXTENDED_OFFSET_TABLE_LENGTHS = 'x7fe00002';

/**
 * Returns the encoded (or, for native syntaxes, raw) bytes of frame `frameIndex`. For native
 * data the result is a view on the data set's buffer; for encapsulated data it is a view when the
 * frame is one fragment, else a new array holding the frame's fragments end to end.
 */
export function frameBytes(
  dataSet: DataSet,
  frameIndex: number,
  info: FrameInfo,
  numberOfFrames: number,
  transferSyntaxUid: string,
): Uint8Array {
  const element = dataSet.elements[PIXEL_DATA];
  if (element === undefined) {
    throw new LungLensError('no-pixel-data', 'The file has no Pixel Data element, so there is no image to decode.');
  }
  const frames = Math.max(1, Math.floor(numberOfFrames) || 1);
  if (!Number.isInteger(frameIndex) || frameIndex < 0 || frameIndex >= frames) {
    throw new LungLensError('corrupt-file', `Frame ${frameIndex + 1} was asked for, but the file holds ${frames} frame${frames === 1 ? '' : 's'}.`);
  }
  const uid = normalizeUid(transferSyntaxUid);
  const encapsulatedSyntax = isEncapsulatedTransferSyntax(uid);
  if (element.encapsulatedPixelData === true) {
    if (!encapsulatedSyntax) {
      throw new LungLensError('corrupt-file', `The Pixel Data is encapsulated (compressed fragments) although the transfer syntax ${transferSyntaxName(uid)} stores it uncompressed.`);
    }
    return encapsulatedFrame(dataSet, element, frameIndex, frames);
  }
  if (encapsulatedSyntax) {
    throw new LungLensError('corrupt-file', `The transfer syntax ${transferSyntaxName(uid)} requires encapsulated (fragmented) Pixel Data, but the file stores it as one plain value.`);
  }
  return nativeFrame(dataSet, element, frameIndex, frames, info);
}

function nativeFrame(dataSet: DataSet, element: Element, frameIndex: number, frames: number, info: FrameInfo): Uint8Array {
  checkFrameInfo(info);
  const bytesPerFrame = frameByteLength(info);
  const bytes = dataSet.byteArray;
  const available = Math.min(element.length, bytes.length - element.dataOffset);
  const start = frameIndex * bytesPerFrame;
  if (start + bytesPerFrame > available) {
    const needed = frames * bytesPerFrame;
    throw new LungLensError(
      'corrupt-file',
      `The Pixel Data holds ${Math.max(0, available)} bytes but ${frames} frame${frames === 1 ? '' : 's'} of ${info.columns}×${info.rows} pixels at ${info.bitsAllocated} bits need ${needed}: the file is truncated or its header is wrong.`,
    );
  }
  return new Uint8Array(bytes.buffer, bytes.byteOffset + element.dataOffset + start, bytesPerFrame);
}

function encapsulatedFrame(dataSet: DataSet, element: Element, frameIndex: number, frames: number): Uint8Array {
  const fragments = element.fragments ?? [];
  if (fragments.length === 0) {
    throw new LungLensError('no-pixel-data', 'The compressed Pixel Data holds no fragments, so there is no image to decode.');
  }
  const end = dataSet.byteArray.length;
  for (const f of fragments) {
    if (f.position + f.length > end) {
      throw new LungLensError('corrupt-file', 'The compressed Pixel Data ends before its last fragment does: the file is truncated.');
    }
  }
  const [first, count] = frameFragments(dataSet, element, fragments, frameIndex, frames);
  return joinFragments(dataSet, element, first, count);
}

/** [index of the frame's first fragment, number of fragments] */
function frameFragments(dataSet: DataSet, element: Element, fragments: Fragment[], frameIndex: number, frames: number): [number, number] {
  if (frames === 1) return [0, fragments.length];
  const starts =
    startsFromOffsets(fragments, extendedOffsetTable(dataSet), frames) ??
    startsFromOffsets(fragments, element.basicOffsetTable ?? [], frames) ??
    (fragments.length === frames ? fragments.map((_, i) => i) : null) ??
    startsFromMarkers(dataSet.byteArray, fragments, frames);
  if (starts === null) {
    throw new LungLensError(
      'corrupt-file',
      `The ${fragments.length} compressed fragments cannot be assigned to the ${frames} frames: there is no usable offset table and the fragments do not start with recognisable frame headers.`,
    );
  }
  const first = starts[frameIndex]!;
  const next = frameIndex + 1 < starts.length ? starts[frameIndex + 1]! : fragments.length;
  return [first, next - first];
}

/** Fragment indices where each frame starts, if `offsets` is a valid table of at least `frames` frames. */
function startsFromOffsets(fragments: Fragment[], offsets: readonly number[], frames: number): number[] | null {
  if (offsets.length < frames) return null;
  const byOffset = new Map<number, number>();
  fragments.forEach((f, i) => byOffset.set(f.offset, i));
  const starts: number[] = [];
  for (const offset of offsets) {
    const index = byOffset.get(offset);
    if (index === undefined || (starts.length > 0 && index <= starts[starts.length - 1]!)) return null;
    starts.push(index);
  }
  return starts[0] === 0 ? starts : null;
}

/** The Extended Offset Table (7FE0,0001), 64-bit little-endian offsets, when present. */
function extendedOffsetTable(dataSet: DataSet): number[] {
  const table = dataSet.elements[EXTENDED_OFFSET_TABLE];
  if (table === undefined || dataSet.elements[EXTENDED_OFFSET_TABLE_LENGTHS] === undefined) return [];
  const bytes = dataSet.byteArray;
  if (table.length % 8 !== 0 || table.dataOffset + table.length > bytes.length) return [];
  const view = new DataView(bytes.buffer, bytes.byteOffset + table.dataOffset, table.length);
  const offsets: number[] = [];
  for (let p = 0; p < table.length; p += 8) offsets.push(Number(view.getBigUint64(p, true)));
  return offsets;
}

/**
 * With no offset table: a fragment starts a frame when it opens with a JPEG SOI, a JPEG 2000
 * SOC+SIZ or a JP2 signature box, and the fragment before it closed its codestream (EOI/EOC).
 */
function startsFromMarkers(bytes: Uint8Array, fragments: Fragment[], frames: number): number[] | null {
  const starts: number[] = [];
  fragments.forEach((f, i) => {
    if (!opensCodestream(bytes, f)) return;
    if (i === 0 || closesCodestream(bytes, fragments[i - 1]!)) starts.push(i);
  });
  return starts.length === frames && starts[0] === 0 ? starts : null;
}

function opensCodestream(b: Uint8Array, f: Fragment): boolean {
  const p = f.position;
  if (f.length < 8) return false;
  if (b[p] === 0xff && b[p + 1] === 0xd8 && b[p + 2] === 0xff) return true; // JPEG, JPEG-LS SOI
  if (b[p] === 0xff && b[p + 1] === 0x4f && b[p + 2] === 0xff && b[p + 3] === 0x51) return true; // J2K SOC SIZ
  return b[p] === 0 && b[p + 1] === 0 && b[p + 2] === 0 && b[p + 3] === 0x0c && b[p + 4] === 0x6a && b[p + 5] === 0x50; // JP2
}

function closesCodestream(b: Uint8Array, f: Fragment): boolean {
  // EOI / EOC is FF D9, possibly followed by one padding byte to an even length.
  for (let back = 2; back <= 3 && back <= f.length; back++) {
    const p = f.position + f.length - back;
    if (b[p] === 0xff && b[p + 1] === 0xd9) return true;
  }
  return false;
}

function joinFragments(dataSet: DataSet, element: Element, first: number, count: number): Uint8Array {
  let joined;
  try {
    joined = dicomParser.readEncapsulatedPixelDataFromFragments(dataSet, element, first, count);
  } catch (error) {
    const detail = typeof error === 'string' ? error : error instanceof Error ? error.message : String(error);
    throw new LungLensError('corrupt-file', `The compressed Pixel Data fragments could not be read (${detail.replace(/^dicomParser\.\w+: /, '')}).`);
  }
  return new Uint8Array(joined.buffer, joined.byteOffset, joined.length);
}
