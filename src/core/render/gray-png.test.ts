import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { encodeGrayPng, sideBySide, windowImage } from './gray-png.js';

describe('grey PNG rendering', () => {
  it('windows HU and writes a PNG whose pixels are the windowed values', () => {
    const image = windowImage(Int16Array.from([-1350, -600, 150, 3000]), 2, 2, -600, 1500);
    expect(Array.from(image.values)).toEqual([0, 0.5, 1, 1]);
    const png = PNG.sync.read(encodeGrayPng(image));
    expect([png.width, png.height]).toEqual([2, 2]);
    expect([0, 1, 2, 3].map((i) => png.data[i * 4])).toEqual([0, 128, 255, 255]);
  });

  it('places images side by side with a black gap', () => {
    const a = { width: 2, height: 1, values: Float32Array.from([1, 1]) };
    const b = { width: 1, height: 2, values: Float32Array.from([0.5, 0.5]) };
    const out = sideBySide([a, b], 1);
    expect([out.width, out.height]).toEqual([4, 2]);
    expect(Array.from(out.values)).toEqual([1, 1, 0, 0.5, 0, 0, 0, 0.5]);
  });
});
