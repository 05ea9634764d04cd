import { describe, expect, it } from 'vitest';
import { syntheticChest } from '../lung/index.js';
import type { Volume } from '../volume/volume.js';
import type { HuSlices } from './anatomy.js';
import { estimatePixelSize, estimateSliceSpacing, estimateSpacing, measureStack } from './spacing.js';

const slices = (v: Volume, ks?: number[]): HuSlices => {
  const picks = ks ?? Array.from({ length: v.dimensions[2] }, (_, k) => k);
  return { width: v.dimensions[0], height: v.dimensions[1], count: picks.length, slice: (i) => v.slice(picks[i]!) };
};

describe('spacing from anatomy', () => {
  // An adult-sized synthetic chest: body 340 mm wide, lungs 260 mm outer width and 250 mm tall.
  const chest = syntheticChest({ dimensions: [160, 160, 70], spacingMm: [2.5, 2.5, 5], z0Mm: -60 });

  it('the pixel size within 10 % from the lungs\' and the body\'s width, said in words', () => {
    const e = estimateSpacing(slices(chest.volume), true);
    expect(Math.abs(e.spacingMm[0] / 2.5 - 1)).toBeLessThan(0.1);
    expect(e.spacingMm[1]).toBe(e.spacingMm[0]);
    expect(e.basis).toMatch(/^Pixel size [\d.]+ mm estimated from the lungs' width \(\d+ px ≈ 255 mm\) and the body's width \(\d+ px ≈ 330 mm\) of an adult\./);
    expect(e.cues.lungWidthPx).toBeGreaterThan(90);
  });

  it('the slice spacing within 10 % from the lungs\' height when they are covered end to end', () => {
    const e = estimateSpacing(slices(chest.volume), true);
    expect(Math.abs(e.spacingMm[2] / 5 - 1)).toBeLessThan(0.1);
    expect(e.basis).toMatch(/Slice spacing [\d.]+ mm: the lungs, seen whole in slices \d+–\d+, were taken to be an adult's 225 mm tall\./);
  });

  it('5 mm assumed, and said, when the lungs are cut off or the slices are not contiguous', () => {
    const partial = estimateSpacing(slices(chest.volume, Array.from({ length: 30 }, (_, k) => k + 30)), true);
    expect(partial.spacingMm[2]).toBe(5);
    expect(partial.basis).toMatch(/5 mm assumed \(the lungs are not covered from end to end\)/);
    expect(estimateSliceSpacing([0, 10, 10, 10, 10, 10, 10, 10, 0], false).basis).toMatch(/not contiguous/);
  });

  it('a reconstruction circle smaller than the image is the 500 mm scan field, where the anatomy agrees', () => {
    // 400 px image of 1.25 mm pixels: the 500 mm circle spans 400 px; shrink the pixels so it fits inside.
    const small = syntheticChest({ dimensions: [200, 200, 40], spacingMm: [2.75, 2.75, 8], z0Mm: 0 });
    const [nx, ny] = small.volume.dimensions;
    const r = 500 / 2.75 / 2;
    const padded = small.volume.voxels.map((v, i) => {
      const x = (i % nx) - (nx - 1) / 2;
      const y = (Math.floor(i / nx) % ny) - (ny - 1) / 2;
      return x * x + y * y > r * r ? -3024 : v;
    });
    const volume = { ...small.volume, dimensions: small.volume.dimensions, slice: (k: number) => padded.subarray(k * nx * ny, (k + 1) * nx * ny) } as unknown as Volume;
    const { anatomy } = measureStack(slices(volume));
    const e = estimatePixelSize(anatomy, nx);
    expect(e.basis).toMatch(/reconstruction circle \(\d+ px ≈ the scanner's 500 mm field of view\)/);
    expect(Math.abs(e.mm / 2.75 - 1)).toBeLessThan(0.03);
  });

  it('without anatomy, the image is taken to span 360 mm', () => {
    const e = estimatePixelSize([], 512);
    expect(e.mm).toBeCloseTo(360 / 512, 2);
    expect(e.basis).toMatch(/no anatomy to measure/);
  });
});
