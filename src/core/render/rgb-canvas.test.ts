import { describe, expect, it } from 'vitest';
import { glyph, textWidth } from './bitmap-font.js';
import { RgbCanvas } from './rgb-canvas.js';

describe('labels burned into an RGB picture', () => {
  it('draws a glyph where its ink is, at the scale asked for, in the colour asked for', () => {
    const c = new RgbCanvas(20, 20, [0, 0, 0]);
    c.text(1, 1, 'L', 2, [255, 0, 0]);
    const at = (x: number, y: number) => [...c.pixels.subarray((y * 20 + x) * 3, (y * 20 + x) * 3 + 3)];
    expect(at(1, 1)).toEqual([255, 0, 0]); // the L's stem, top left
    expect(at(2, 2)).toEqual([255, 0, 0]);
    expect(at(5, 1)).toEqual([0, 0, 0]); // right of the stem, above the foot
    expect(at(9, 13)).toEqual([255, 0, 0]); // the foot's right end
  });

  it('draws lower case as upper case and unknown characters as "?"', () => {
    expect(glyph('a')).toEqual(glyph('A'));
    expect(glyph('€')).toEqual(glyph('?'));
    expect(textWidth('ABC', 2)).toBe(34);
  });

  it('fits a grey image into a box keeping its aspect ratio', () => {
    const c = new RgbCanvas(10, 10, [9, 9, 9]);
    c.image(0, 0, 10, 10, { width: 2, height: 1, values: Float32Array.from([0, 1]) });
    expect([...c.pixels.subarray(0, 3)]).toEqual([9, 9, 9]); // letterbox above a 10×5 picture
    expect([...c.pixels.subarray((5 * 10 + 0) * 3, (5 * 10 + 0) * 3 + 3)]).toEqual([0, 0, 0]);
    expect([...c.pixels.subarray((5 * 10 + 9) * 3, (5 * 10 + 9) * 3 + 3)]).toEqual([255, 255, 255]);
  });
});
