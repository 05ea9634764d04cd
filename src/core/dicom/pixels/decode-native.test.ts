import { describe, expect, it } from 'vitest';
import { decodeFrame } from './decode-frame.js';
import { TransferSyntax } from './transfer-syntax.js';
import type { FrameInfo } from './types.js';

const LE = TransferSyntax.ExplicitVRLittleEndian;
const BE = TransferSyntax.ExplicitVRBigEndian;

function info(bitsAllocated: number, bitsStored: number, pixelRepresentation: 0 | 1, highBit = bitsStored - 1): FrameInfo {
  return { rows: 1, columns: 3, bitsAllocated, bitsStored, highBit, pixelRepresentation, samplesPerPixel: 1, planarConfiguration: 0, photometricInterpretation: 'MONOCHROME2' };
}

/** [what, transfer syntax, frame info, raw bytes, expected stored values, expected array type] */
const cases: [string, string, FrameInfo, number[], number[], string][] = [
  ['16-bit signed as is', LE, info(16, 16, 1), [0x30, 0xf8, 0xff, 0x7f, 0x00, 0x80], [-2000, 32767, -32768], 'Int16Array'],
  ['16-bit unsigned as is', LE, info(16, 16, 0), [0x30, 0xf8, 0xff, 0x7f, 0x00, 0x80], [63536, 32767, 32768], 'Uint16Array'],
  ['12 of 16 bits unsigned: overlay bits above BitsStored dropped', LE, info(16, 12, 0), [0xff, 0xff, 0x00, 0xf0, 0x34, 0x12], [4095, 0, 0x234], 'Uint16Array'],
  ['12 of 16 bits signed: sign-extended from bit 11', LE, info(16, 12, 1), [0x00, 0x08, 0xff, 0x0f, 0xff, 0xf7], [-2048, -1, 2047], 'Int16Array'],
  ['HighBit 15 with 12 bits stored: values sit in the top bits', LE, info(16, 12, 0, 15), [0xf0, 0xff, 0x10, 0x00, 0x05, 0x80], [4095, 1, 2048], 'Uint16Array'],
  ['big endian 16-bit swapped', BE, info(16, 16, 1), [0xf8, 0x30, 0x7f, 0xff, 0x00, 0x01], [-2000, 32767, 1], 'Int16Array'],
  ['big endian 12 of 16 bits signed', BE, info(16, 12, 1), [0x08, 0x00, 0xf7, 0xff, 0x0f, 0xff], [-2048, 2047, -1], 'Int16Array'],
  ['big endian 8-bit not swapped', BE, info(8, 8, 0), [0x01, 0x02, 0xff], [1, 2, 255], 'Uint8Array'],
  ['8-bit signed', LE, info(8, 8, 1), [0x01, 0x80, 0xff], [1, -128, -1], 'Int8Array'],
  ['32-bit signed little endian', LE, info(32, 32, 1), [0x30, 0xf8, 0xff, 0xff, 0, 0, 1, 0, 0xff, 0xff, 0xff, 0x7f], [-2000, 65536, 2147483647], 'Int32Array'],
  ['32-bit signed big endian', BE, info(32, 32, 1), [0xff, 0xff, 0xf8, 0x30, 0, 1, 0, 0, 0x7f, 0xff, 0xff, 0xff], [-2000, 65536, 2147483647], 'Int32Array'],
  ['20 of 32 bits unsigned', LE, info(32, 20, 0), [0xff, 0xff, 0xff, 0xff, 1, 0, 0, 0, 0, 0, 0x10, 0], [0xfffff, 1, 0], 'Int32Array'],
];

describe('native pixel data', () => {
  it.each(cases)('%s', async (_what, uid, frameInfo, bytes, expected, type) => {
    // An odd byte offset, as a view into a file buffer may have.
    const buffer = new Uint8Array(bytes.length + 1);
    buffer.set(bytes, 1);
    const frame = await decodeFrame(uid, buffer.subarray(1), frameInfo);
    expect(frame.pixels.constructor.name).toBe(type);
    expect(Array.from(frame.pixels)).toEqual(expected);
    expect(frame.warnings).toEqual([]);
  });

  it('rejects a frame shorter than rows × columns', async () => {
    await expect(decodeFrame(LE, new Uint8Array(4), info(16, 16, 1))).rejects.toMatchObject({ code: 'corrupt-file', message: expect.stringMatching(/need 6/) });
  });

  it.each([
    [{ samplesPerPixel: 3, photometricInterpretation: 'RGB' }, 'unsupported-pixel-format', /3 samples per pixel/],
    [{ photometricInterpretation: 'PALETTE COLOR' }, 'unsupported-pixel-format', /PALETTE COLOR, not greyscale/],
    [{ bitsAllocated: 1, bitsStored: 1, highBit: 0 }, 'unsupported-pixel-format', /1 bits per pixel/],
    [{ bitsStored: 17 }, 'corrupt-file', /BitsStored \(17\)/],
    [{ bitsAllocated: 32, bitsStored: 32, highBit: 31, pixelRepresentation: 0 }, 'unsupported-pixel-format', /unsigned 32-bit/],
  ] as [Partial<FrameInfo>, string, RegExp][])('rejects %o', async (change, code, words) => {
    await expect(decodeFrame(LE, new Uint8Array(24), { ...info(16, 16, 1), ...change })).rejects.toMatchObject({ code, message: expect.stringMatching(words) });
  });

  it('rejects an unsupported transfer syntax before looking at the bytes', async () => {
    await expect(decodeFrame('1.2.840.113619.5.2', new Uint8Array(6), info(16, 16, 1))).rejects.toMatchObject({ code: 'unsupported-transfer-syntax' });
  });
});
