import { describe, expect, it } from 'vitest';
import { LungLensError } from '../errors.js';
import { jpegBytes, pngBytes } from './__tests__/fixtures.js';
import { decodeImage, sniffImageSize } from './image-decode.js';

function failure(f: () => unknown): LungLensError {
  try {
    f();
  } catch (error) {
    expect(error).toBeInstanceOf(LungLensError);
    return error as LungLensError;
  }
  throw new Error('expected a failure');
}

describe('decoding one PNG or JPEG slice to grey levels', () => {
  it('keeps grey as stored and converts colour to rounded luminance (Rec. 601), ignoring alpha', () => {
    const rgba = [255, 0, 0, 255, 0, 255, 0, 0, 10, 10, 10, 0, 0, 0, 255, 128];
    const image = decodeImage(pngBytes(4, 1, rgba, { channels: 4 }), 'colour.png');
    expect(Array.from(image.grey)).toEqual([76, 150, 10, 29]);
    expect(image.colour).toBe(true);
    expect(image.colourShare).toBe(0.75);
    expect(image.maxValue).toBe(255);
  });

  it('reads an RGB image whose channels agree as grey, not colour', () => {
    const image = decodeImage(pngBytes(2, 1, [30, 30, 30, 200, 200, 200], { channels: 3 }), 'rgb.png');
    expect(Array.from(image.grey)).toEqual([30, 200]);
    expect(image.colour).toBe(false);
  });

  it('keeps 16-bit samples as stored', () => {
    const image = decodeImage(pngBytes(3, 1, [0, 32768, 65535], { bitDepth: 16 }), 'deep.png');
    expect(image.grey).toBeInstanceOf(Uint16Array);
    expect(Array.from(image.grey)).toEqual([0, 32768, 65535]);
    expect([image.maxValue, image.depth]).toEqual([65535, 16]);
  });

  it('reads JPEG (lossy: within two grey levels)', () => {
    const image = decodeImage(jpegBytes(16, 16, new Array(256).fill(60)), 'img9.jpg');
    expect([image.width, image.height]).toEqual([16, 16]);
    for (const g of image.grey) expect(Math.abs(g - 60)).toBeLessThanOrEqual(2);
  });

  it('says what is wrong with a file that is not an image or is cut short', () => {
    expect(failure(() => decodeImage(Buffer.from('not a picture'), 'text.png')).code).toBe('not-an-image');
    expect(failure(() => decodeImage(pngBytes(8, 8, new Array(64).fill(7)).subarray(0, 40), 'cut.png')).code).toBe('corrupt-file');
    expect(failure(() => decodeImage(jpegBytes(16, 16, new Array(256).fill(7)).subarray(0, 30), 'cut.jpg')).code).toBe('corrupt-file');
  });

  it('sniffs the size from the header alone', () => {
    expect(sniffImageSize(pngBytes(7, 5, new Array(35).fill(0)))).toEqual({ width: 7, height: 5 });
    expect(sniffImageSize(jpegBytes(24, 16, new Array(24 * 16).fill(0)))).toEqual({ width: 24, height: 16 });
    expect(sniffImageSize(Buffer.from('nope'))).toBeNull();
  });
});
