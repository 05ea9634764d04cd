import dicomParser from 'dicom-parser';
import { describe, expect, it } from 'vitest';
import { decodeFrame } from './decode-frame.js';
import { frameBytes } from './frame-bytes.js';
import { buildEncapsulatedDicom, fragmentOffsets } from './test-support.js';
import { TransferSyntax } from './transfer-syntax.js';
import type { FrameInfo } from './types.js';

const info: FrameInfo = { rows: 4, columns: 4, bitsAllocated: 16, bitsStored: 16, highBit: 15, pixelRepresentation: 1, samplesPerPixel: 1, planarConfiguration: 0, photometricInterpretation: 'MONOCHROME2' };
const JPEG = TransferSyntax.JPEGLosslessSV1;

/** A fake JPEG codestream: SOI, a body tagged with the frame number, EOI. */
function codestream(frame: number, length: number): Uint8Array {
  const body = Array.from({ length }, (_, i) => (i * 31 + frame * 7) % 0xfe);
  return new Uint8Array([0xff, 0xd8, 0xff, 0xe0, frame, ...body, 0xff, 0xd9]);
}

/** Splits a codestream into fragments of `size` bytes (the last may be shorter). */
function split(bytes: Uint8Array, size: number): Uint8Array[] {
  const parts: Uint8Array[] = [];
  for (let p = 0; p < bytes.length; p += size) parts.push(bytes.subarray(p, p + size));
  return parts;
}

function parse(file: Buffer) {
  return dicomParser.parseDicom(file);
}

// Even lengths, as fragments have (no padding byte to account for).
const frames = [codestream(0, 41), codestream(1, 57), codestream(2, 11)];

describe('frameBytes on encapsulated pixel data', () => {
  const layouts: [string, (fragments: Uint8Array[], perFrame: number[]) => Partial<Parameters<typeof buildEncapsulatedDicom>[0]>][] = [
    ['a Basic Offset Table', (fragments, perFrame) => ({ basicOffsetTable: perFrame.map((k) => fragmentOffsets(fragments)[k]!) })],
    ['an Extended Offset Table', (fragments, perFrame) => ({ extendedOffsetTable: perFrame.map((k) => fragmentOffsets(fragments)[k]!) })],
    ['no offset table (frames found by their markers)', () => ({})],
  ];

  it.each(layouts)('finds frames split over several fragments with %s', (_what, table) => {
    const perFrame: number[] = [];
    const fragments: Uint8Array[] = [];
    for (const f of frames) {
      perFrame.push(fragments.length);
      fragments.push(...split(f, 16));
    }
    const ds = parse(buildEncapsulatedDicom({ transferSyntaxUid: JPEG, info, numberOfFrames: 3, fragments, ...table(fragments, perFrame) }));
    frames.forEach((f, i) => expect(Array.from(frameBytes(ds, i, info, 3, JPEG))).toEqual(Array.from(f)));
  });

  it('takes one fragment per frame when there are as many fragments as frames', () => {
    const ds = parse(buildEncapsulatedDicom({ transferSyntaxUid: JPEG, info, numberOfFrames: 3, fragments: frames }));
    frames.forEach((f, i) => expect(Array.from(frameBytes(ds, i, info, 3, JPEG))).toEqual(Array.from(f)));
  });

  it('joins all fragments of a single-frame file', () => {
    const ds = parse(buildEncapsulatedDicom({ transferSyntaxUid: JPEG, info, numberOfFrames: 1, fragments: split(frames[1]!, 8) }));
    expect(Array.from(frameBytes(ds, 0, info, 1, JPEG))).toEqual(Array.from(frames[1]!));
  });

  it('ignores a Basic Offset Table that points between fragments', () => {
    const fragments = frames.flatMap((f) => split(f, 16));
    const ds = parse(buildEncapsulatedDicom({ transferSyntaxUid: JPEG, info, numberOfFrames: 3, fragments, basicOffsetTable: [0, 5, 9] }));
    expect(Array.from(frameBytes(ds, 2, info, 3, JPEG))).toEqual(Array.from(frames[2]!));
  });

  it('says so when fragments cannot be assigned to frames', () => {
    const fragments = [...split(frames[0]!, 16), new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8])];
    const ds = parse(buildEncapsulatedDicom({ transferSyntaxUid: JPEG, info, numberOfFrames: 3, fragments }));
    expect(() => frameBytes(ds, 1, info, 3, JPEG)).toThrowError(expect.objectContaining({ code: 'corrupt-file', message: expect.stringMatching(/cannot be assigned to the 3 frames/) }));
  });

  it('rejects a frame index outside the file', () => {
    const ds = parse(buildEncapsulatedDicom({ transferSyntaxUid: JPEG, info, numberOfFrames: 3, fragments: frames }));
    expect(() => frameBytes(ds, 3, info, 3, JPEG)).toThrowError(expect.objectContaining({ code: 'corrupt-file', message: 'Frame 4 was asked for, but the file holds 3 frames.' }));
  });

  it('rejects encapsulated data under a native transfer syntax', () => {
    const ds = parse(buildEncapsulatedDicom({ transferSyntaxUid: JPEG, info, numberOfFrames: 1, fragments: [frames[0]!] }));
    expect(() => frameBytes(ds, 0, info, 1, TransferSyntax.ExplicitVRLittleEndian)).toThrowError(expect.objectContaining({ code: 'corrupt-file' }));
  });
});

describe('Encapsulated Uncompressed Explicit VR Little Endian', () => {
  it('decodes each fragment as a native frame', async () => {
    const uid = TransferSyntax.EncapsulatedUncompressedExplicitVRLittleEndian;
    const values = [[-2000, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 32767], [-1, -2, -3, -4, -5, -6, -7, -8, -9, -10, -11, -12, -13, -14, -15, -32768]];
    const fragments = values.map((v) => new Uint8Array(Int16Array.from(v).buffer));
    const ds = parse(buildEncapsulatedDicom({ transferSyntaxUid: uid, info, numberOfFrames: 2, fragments }));
    for (let i = 0; i < 2; i++) {
      const frame = await decodeFrame(uid, frameBytes(ds, i, info, 2, uid), info);
      expect(Array.from(frame.pixels)).toEqual(values[i]);
    }
  });
});
