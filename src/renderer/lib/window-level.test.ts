import { describe, expect, it } from 'vitest';
import { dragWindow, greyLut, greyOf, paletteOf, presetWindow, renderSlice, MIN_WIDTH } from './window-level.js';

describe('window/level', () => {
  it('maps the window edges to black and white, the centre to mid-grey', () => {
    const lung = presetWindow('lung');
    expect(lung).toEqual({ centre: -600, width: 1500 });
    expect(greyOf(-1350, lung)).toBe(0);
    expect(greyOf(150, lung)).toBe(255);
    expect(greyOf(-600, lung)).toBe(128);
    expect(greyOf(-3000, lung)).toBe(0);
    expect(greyOf(3000, lung)).toBe(255);
  });

  it('has the radiologist’s presets', () => {
    expect(presetWindow('mediastinum')).toEqual({ centre: 40, width: 400 });
    expect(presetWindow('bone')).toEqual({ centre: 480, width: 2500 });
  });

  it('the lookup table agrees with the formula for every HU a scanner stores', () => {
    for (const w of [presetWindow('lung'), presetWindow('mediastinum'), { centre: 37, width: 3 }]) {
      const lut = greyLut(w);
      for (let hu = -1024; hu <= 3071; hu++) expect(lut[hu + 32768]).toBe(greyOf(hu, w));
    }
  });

  it('dragging right widens, down raises the level, and the width never collapses', () => {
    expect(dragWindow({ centre: 40, width: 400 }, 50, 10)).toEqual({ centre: 80, width: 600 });
    expect(dragWindow({ centre: 40, width: 400 }, -500, -10).width).toBe(MIN_WIDTH);
  });

  it('renders grey pixels, and the overlay colour where the mask is set', () => {
    const hu = Int16Array.from([-1350, 150, -600, -600]);
    const mask = Uint8Array.from([0, 0, 0, 1]);
    const out = new Uint32Array(4);
    renderSlice(hu, mask, greyLut(presetWindow('lung')), paletteOf({ rgb: 0x00ff00, opacity: 0.5 }), out);
    const rgba = (p: number) => [p & 255, (p >> 8) & 255, (p >> 16) & 255, p >>> 24];
    expect(rgba(out[0]!)).toEqual([0, 0, 0, 255]);
    expect(rgba(out[1]!)).toEqual([255, 255, 255, 255]);
    expect(rgba(out[2]!)).toEqual([128, 128, 128, 255]);
    expect(rgba(out[3]!)).toEqual([64, 192, 64, 255]); // half grey, half green
  });
});
