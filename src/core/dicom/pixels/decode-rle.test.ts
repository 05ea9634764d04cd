import { describe, expect, it } from 'vitest';
import { decodeFrame } from './decode-frame.js';
import { TransferSyntax } from './transfer-syntax.js';
import type { FrameInfo } from './types.js';

const RLE = TransferSyntax.RLELossless;

/** PackBits with replicate runs for repeats of three or more, literal runs otherwise. */
function packBits(bytes: number[]): number[] {
  const out: number[] = [];
  let i = 0;
  while (i < bytes.length) {
    let run = 1;
    while (i + run < bytes.length && bytes[i + run] === bytes[i] && run < 128) run++;
    if (run >= 3) {
      out.push(257 - run, bytes[i]!);
      i += run;
      continue;
    }
    let end = i;
    while (end < bytes.length && end - i < 128 && !(bytes[end + 1] === bytes[end] && bytes[end + 2] === bytes[end])) end++;
    if (end === i) end = i + 1;
    out.push(end - i - 1, ...bytes.slice(i, end));
    i = end;
  }
  return out;
}

function rleFrame(segments: number[][]): Uint8Array {
  const header = new DataView(new ArrayBuffer(64));
  header.setUint32(0, segments.length, true);
  let offset = 64;
  const body: number[] = [];
  segments.forEach((s, k) => {
    header.setUint32(4 + 4 * k, offset, true);
    const packed = packBits(s);
    if (packed.length % 2) packed.push(0x80); // a no-op pad byte
    body.push(...packed);
    offset += packed.length;
  });
  return new Uint8Array([...new Uint8Array(header.buffer), ...body]);
}

function info(bitsAllocated: number, bitsStored: number, pixelRepresentation: 0 | 1, columns: number): FrameInfo {
  return { rows: 2, columns, bitsAllocated, bitsStored, highBit: bitsStored - 1, pixelRepresentation, samplesPerPixel: 1, planarConfiguration: 0, photometricInterpretation: 'MONOCHROME2' };
}

describe('RLE Lossless', () => {
  it('joins the high- and low-byte segments of 16-bit signed pixels', async () => {
    const values = [-2000, -2000, -2000, -2000, 0, 1, 32767, -32768, 5, 5, 5, 5];
    const u = values.map((v) => v & 0xffff);
    const frame = await decodeFrame(RLE, rleFrame([u.map((v) => v >> 8), u.map((v) => v & 0xff)]), info(16, 16, 1, 6));
    expect(frame.pixels).toBeInstanceOf(Int16Array);
    expect(Array.from(frame.pixels)).toEqual(values);
  });

  it('masks and sign-extends 12 stored bits', async () => {
    const raw = [0xf000, 0x0fff, 0x07ff, 0x0800];
    const frame = await decodeFrame(RLE, rleFrame([raw.map((v) => v >> 8), raw.map((v) => v & 0xff)]), info(16, 12, 1, 2));
    expect(Array.from(frame.pixels)).toEqual([0, -1, 2047, -2048]);
  });

  it('decodes 8-bit and 32-bit pixels', async () => {
    const eight = await decodeFrame(RLE, rleFrame([[1, 1, 1, 1, 2, 250]]), info(8, 8, 0, 3));
    expect(Array.from(eight.pixels)).toEqual([1, 1, 1, 1, 2, 250]);
    const values = [-2000, 70000];
    const u = values.map((v) => v >>> 0);
    const planes = [24, 16, 8, 0].map((s) => u.map((v) => (v >>> s) & 0xff));
    const wide = await decodeFrame(RLE, rleFrame(planes), { ...info(32, 32, 1, 1), rows: 2 });
    expect(Array.from(wide.pixels)).toEqual(values);
  });

  it('rejects a segment that ends early and a wrong segment count', async () => {
    const short = rleFrame([[1, 2, 3], [1, 2, 3]]);
    await expect(decodeFrame(RLE, short, info(16, 16, 0, 2))).rejects.toMatchObject({ code: 'corrupt-file', message: expect.stringMatching(/segment 1 ends after 3 of the frame's 4 pixels/) });
    await expect(decodeFrame(RLE, rleFrame([[1, 2, 3, 4]]), info(16, 16, 0, 2))).rejects.toMatchObject({ code: 'corrupt-file', message: expect.stringMatching(/1 segments/) });
    await expect(decodeFrame(RLE, new Uint8Array(10), info(16, 16, 0, 2))).rejects.toMatchObject({ code: 'corrupt-file' });
  });
});
