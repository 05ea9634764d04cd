import { describe, expect, it } from 'vitest';
import { Volume } from '../volume/volume.js';
import { computeLungMask, dice, preMaskedBackground } from './index.js';
import { syntheticChest } from './synthetic-chest.js';

describe('pre-masked exports (black outside the lungs)', () => {
  const chest = syntheticChest({ dimensions: [96, 96, 40], spacingMm: [4, 4, 7] });
  const truth = chest.lungTruth;

  it('are recognised, and their lungs are what the export kept, with a warning', () => {
    for (const background of [-1024, -1350, -2048]) {
      const voxels = chest.volume.voxels.map((v, i) => (truth[i] ? v : background));
      const masked = Volume.create({ ...chest.volume, voxels });
      expect(preMaskedBackground(masked)?.valueHu).toBe(background);
      const r = computeLungMask(masked);
      expect(r.status, r.reason).toBe('ok');
      expect(r.warnings?.map((w) => w.code)).toEqual(['pre-masked']);
      expect(r.warnings?.[0]?.message).toMatch(/already masked .* without the body rules/);
      expect(dice(r.mask, truth)).toBeGreaterThan(0.95);
    }
  });

  it('a whole chest is not taken for one, even with padding outside a reconstruction circle', () => {
    expect(preMaskedBackground(chest.volume)).toBeNull();
    const [nx, ny, nz] = chest.volume.dimensions;
    const padded = chest.volume.voxels.map((v, i) => {
      const x = (i % nx) - nx / 2;
      const y = (Math.floor(i / nx) % ny) - ny / 2;
      return x * x + y * y > (nx / 2) ** 2 ? -2048 : v;
    });
    expect(preMaskedBackground(Volume.create({ ...chest.volume, voxels: padded }))).toBeNull();
    expect(computeLungMask(Volume.create({ ...chest.volume, voxels: padded })).warnings).toBeUndefined();
    // Air whose noise a scanner clipped at −1024: much of it at the lowest value, the rest scattered.
    const clipped = chest.volume.voxels.map((v) => (v < -1000 ? -1024 : v));
    expect(preMaskedBackground(Volume.create({ ...chest.volume, voxels: clipped }))).toBeNull();
    expect(nz).toBe(40);
  });
});

describe('sparse sets (slices that are not neighbours in the body)', () => {
  it('are masked slice by slice: each slice as it would be alone', () => {
    const chest = syntheticChest({ dimensions: [96, 96, 40], spacingMm: [4, 4, 7] });
    const picks = [14, 20, 27, 33];
    const n = 96 * 96;
    const voxels = new Int16Array(n * picks.length);
    picks.forEach((k, i) => voxels.set(chest.volume.slice(k), i * n));
    const sparse = Volume.create({ ...chest.volume, dimensions: [96, 96, picks.length], voxels, contiguous: false });
    const r = computeLungMask(sparse);
    expect(r.status).toBe('ok');
    expect(r.slicesWithLung).toBe(picks.length);
    picks.forEach((k, i) => {
      const alone = Volume.create({ ...chest.volume, dimensions: [96, 96, 1], voxels: chest.volume.slice(k).slice(), contiguous: false });
      expect(Array.from(r.mask.subarray(i * n, (i + 1) * n))).toEqual(Array.from(computeLungMask(alone).mask));
    });
  });
});
