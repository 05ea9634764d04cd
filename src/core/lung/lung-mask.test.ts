import { describe, expect, it } from 'vitest';
import { Volume } from '../volume/volume.js';
import { computeLungMask, type LungMaskResult } from './index.js';
import { dice, fractionHeld } from './overlap.js';
import { syntheticChest } from './synthetic-chest.js';

function count(m: Uint8Array): number {
  return m.reduce((s, v) => s + v, 0);
}

function uniform(hu: number, dims: [number, number, number] = [32, 32, 8]): Volume {
  return Volume.create({
    dimensions: dims, spacingMm: [1, 1, 2], originLps: [0, 0, 0], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1],
    voxels: new Int16Array(dims[0] * dims[1] * dims[2]).fill(hu), units: 'HU',
  });
}

/** What every result must satisfy, whatever its status. */
function expectWellFormed(r: LungMaskResult, v: Volume): void {
  const n = v.voxels.length;
  expect(r.mask).toHaveLength(n);
  expect(r.dilatedMask).toHaveLength(n);
  expect(r.sliceAreaMm2).toHaveLength(v.dimensions[2]);
  expect(Number.isFinite(r.lungVolumeMl)).toBe(true);
  expect(Array.from(r.sliceAreaMm2).every(Number.isFinite)).toBe(true);
  for (const t of Object.values(r.timingsMs)) expect(Number.isFinite(t)).toBe(true);
  if (r.status !== 'ok') {
    expect(r.reason).toMatch(/\w+/);
    expect(count(r.mask)).toBe(0);
  }
}

describe('computeLungMask on a synthetic chest', () => {
  const chest = syntheticChest();
  const r = computeLungMask(chest.volume);
  const [sx, sy, sz] = chest.volume.spacingMm;

  it('finds both lungs, and nothing of the outside air, the table, or the bowel gas', () => {
    expectWellFormed(r, chest.volume);
    expect(r.status).toBe('ok');
    expect(r.lungCount).toBe(2);
    expect(dice(r.mask, chest.lungTruth)).toBeGreaterThan(0.93);
    for (let i = 0; i < r.mask.length; i++) if (r.mask[i]) expect(chest.body[i], `voxel ${i} outside the body`).toBe(1);
    const outcomes = r.candidates.map((c) => c.outcome);
    expect(outcomes).toContain('outside-air');
    expect(outcomes.filter((o) => o === 'off-axis')).toHaveLength(3); // the table's compartments
    expect(outcomes.filter((o) => o === 'too-small').length).toBeGreaterThanOrEqual(2); // bowel gas
  });

  it('reports the volume, per-slice areas and slices of the undilated mask', () => {
    const truthMl = (count(chest.lungTruth) * sx * sy * sz) / 1000;
    expect(r.lungVolumeMl).toBeCloseTo((count(r.mask) * sx * sy * sz) / 1000, 6);
    expect(Math.abs(r.lungVolumeMl - truthMl) / truthMl).toBeLessThan(0.12);
    const areas = Array.from(r.sliceAreaMm2);
    expect(areas.reduce((a, b) => a + b, 0) * sz / 1000).toBeCloseTo(r.lungVolumeMl, 6);
    expect(r.slicesWithLung).toBe(areas.filter((a) => a > 0).length);
  });

  it('dilates by 10 mm: the dilated mask holds the mask, every lung voxel and reaches 10 mm', () => {
    for (let i = 0; i < r.mask.length; i++) if (r.mask[i]) expect(r.dilatedMask[i]).toBe(1);
    let inside = 0;
    for (let i = 0; i < r.mask.length; i++) if (chest.lungTruth[i] && r.dilatedMask[i]) inside++;
    expect(inside / count(chest.lungTruth)).toBeGreaterThan(0.99);
    // 10 mm is 3 voxels in-plane (3.125 mm) and 2 slices (5 mm).
    const wider = computeLungMask(chest.volume, { dilationMm: 20 });
    expect(count(wider.dilatedMask)).toBeGreaterThan(count(r.dilatedMask));
    expect(count(computeLungMask(chest.volume, { dilationMm: 0 }).dilatedMask)).toBe(count(r.mask));
  });

  it('keeps the lungs of a partial scan below the whole-chest floor (floor scaled by coverage)', () => {
    // The top 60 mm of the lungs, 80 mm covered: ≈ 0.33 L per lung, below Liao's 0.68 L.
    const partial = syntheticChest({ z0Mm: 190, dimensions: [128, 128, 16] });
    const p = computeLungMask(partial.volume);
    expect(p.status).toBe('ok');
    expect(p.lungVolumeMl).toBeLessThan(2 * 680);
    expect(dice(p.mask, partial.lungTruth)).toBeGreaterThan(0.9);
    expect(computeLungMask(partial.volume, { fullCoverageMm: 0 }).status).toBe('no-lung-found');
  });

  it('keeps the second lung when only the first reaches the floor (a lung largely filled by opacities)', () => {
    // Lungs of ≈ 0.9 L, not joined by the airways; a 40 HU sphere fills the front of the left one,
    // leaving 0.61 L of it aerated, below the 0.68 L floor (before, that lung was dropped).
    const chest2 = syntheticChest({ airways: false, lungScale: 0.75, spheres: [{ centreMm: [75, -60, 125], radiusMm: 60, hu: 40 }] });
    const r2 = computeLungMask(chest2.volume);
    expect(r2.status).toBe('ok');
    expect(r2.lungCount).toBe(2);
    const outcomes = r2.candidates.map((c) => c.outcome);
    expect(outcomes).toContain('kept');
    expect(outcomes).toContain('kept-pair');
    const [left, right] = [0, 1].map((side) => {
      let n = 0;
      for (let i = 0; i < r2.mask.length; i++) if (r2.mask[i] && (i % 128 < 64 ? 0 : 1) === side) n++;
      return n;
    });
    expect(Math.min(left!, right!)).toBeGreaterThan(0);
    // The table's air and the bowel gas still stay out.
    for (let i = 0; i < r2.mask.length; i++) if (r2.mask[i]) expect(chest2.body[i]).toBe(1);
  });

  it('keeps two small lungs, not joined by airways, as a pair when neither alone reaches the floor', () => {
    // Lung semi-axes × 0.62: ≈ 0.55 L per lung, whole chest covered.
    const small = syntheticChest({ lungScale: 0.62, airways: false });
    const s = computeLungMask(small.volume);
    expect(s.status).toBe('ok');
    expect(s.candidates.filter((c) => c.outcome === 'kept-pair')).toHaveLength(2);
    expect(dice(s.mask, small.lungTruth)).toBeGreaterThan(0.9);
    // Without the pair rule (a ratio no pair meets), Liao's floor alone drops them.
    expect(computeLungMask(small.volume, { separationMaxRatio: 1 }).status).toBe('no-lung-found');
  });

  it('handles a 1-slice volume', () => {
    const one = syntheticChest({ z0Mm: 125, dimensions: [128, 128, 1] });
    const o = computeLungMask(one.volume);
    expectWellFormed(o, one.volume);
    expect(o.status).toBe('ok');
    expect(o.lungCount).toBe(2);
    expect(dice(o.mask, one.lungTruth)).toBeGreaterThan(0.9);
  });
});

describe('computeLungMask keeps what the hull was for, without what it filled wrongly', () => {
  // Solid nodules (30 HU) against the lateral, posterior and anterior pleura, and a "heart" (a
  // 40 HU sphere of 45 mm) indenting the left lung's medial side; 1.5 mm pixels, 3 mm slices.
  const nodule = (centreMm: [number, number, number], radiusMm: number) => ({ centreMm, radiusMm, hu: 30 });
  const chest = syntheticChest({
    dimensions: [256, 192, 24], spacingMm: [1.5, 1.5, 3], z0Mm: 89, noiseHu: 15,
    spheres: [
      nodule([-127, 0, 125], 10), nodule([75, 77, 110], 10), nodule([-75, -77, 140], 10), nodule([-128.5, 0, 100], 5),
      { centreMm: [-10, -10, 120], radiusMm: 45, hu: 40 },
    ],
  });
  const r = computeLungMask(chest.volume);

  it('holds juxtapleural nodules at the costal wall like the hull did; the dilated mask holds them whole', () => {
    expect(r.status).toBe('ok');
    for (const n of [0, 1, 2, 3]) {
      // The part of a nodule inside the lung's outline, less the partial-volume rim the −600 HU
      // threshold drops (0.67–0.75 with the whole hull too; 0.3 without any hull).
      expect(fractionHeld(r.mask, chest.sphereInLung[n]!), `nodule ${n}`).toBeGreaterThan(0.6);
      expect(fractionHeld(r.dilatedMask, chest.sphereInLung[n]!), `nodule ${n}`).toBe(1);
    }
  });

  it('does not fill the bay the heart makes in the medial side of the lung', () => {
    // The whole per-lung hull put 90% of it in the mask.
    expect(fractionHeld(r.mask, chest.sphereInLung[4]!)).toBeLessThan(0.1);
  });
});

describe('computeLungMask says why when there is no lung', () => {
  it('abdomen only: bowel gas is not lung', () => {
    const abdomen = syntheticChest({ z0Mm: -150, dimensions: [128, 128, 28] });
    const r = computeLungMask(abdomen.volume);
    expectWellFormed(r, abdomen.volume);
    expect(r.status).toBe('no-lung-found');
    expect(r.reason).toMatch(/abdomen or head/);
  });

  it('a head-sized body without air', () => {
    const head = syntheticChest({ lungs: false, bodyMm: [75, 95], z0Mm: 200, dimensions: [96, 96, 30] });
    const r = computeLungMask(head.volume);
    expectWellFormed(r, head.volume);
    expect(r.status).toBe('no-lung-found');
  });

  it('all air and all tissue, of any size down to one voxel: no crash, nothing NaN, a status that says so', () => {
    for (const dims of [[32, 32, 8], [32, 32, 1], [1, 1, 1], [3, 2, 1], [1, 1, 40], [7, 5, 3]] as [number, number, number][]) {
      for (const hu of [-1000, -850, 0, 40, 1200]) {
        const v = uniform(hu, dims);
        const r = computeLungMask(v);
        expectWellFormed(r, v);
        expect(r.status, `${dims.join('×')} at ${hu} HU`).not.toBe('ok');
        expect(r.lungVolumeMl).toBe(0);
        expect(r.slicesWithLung).toBe(0);
      }
    }
  });

  it('uncalibrated input (approximate HU through an assumed window) is masked like HU; stored values without their rescale are not', () => {
    const chest = syntheticChest({ dimensions: [64, 64, 20], spacingMm: [6.25, 6.25, 10] });
    const stack = Volume.create({
      ...chest.volume, voxels: chest.volume.voxels, units: 'unknown',
      assumedWindow: { lowHu: -1350, highHu: 150, note: 'test' },
    });
    const a = computeLungMask(stack);
    expectWellFormed(a, stack);
    expect(a.status).toBe('ok');
    expect(Array.from(a.mask)).toEqual(Array.from(computeLungMask(chest.volume).mask));
    const raw = Volume.create({ ...chest.volume, voxels: chest.volume.voxels.map((v) => v + 1024), units: 'HU' });
    const b = computeLungMask(raw);
    expect(b.status).toBe('not-hu');
    expect(b.reason).toMatch(/rescale/);
    const absurd = Volume.create({ ...chest.volume, voxels: chest.volume.voxels.map(() => -3000), units: 'HU' });
    expect(computeLungMask(absurd).status).toBe('not-hu');
  });
});

describe('computeLungMask on long volumes', () => {
  it('runs on 1,000 slices with typed arrays only', () => {
    // 96 × 96 × 1,000 at 0.35 mm slices: the same chest, finely sliced.
    const long = syntheticChest({ dimensions: [96, 96, 1000], spacingMm: [4.2, 4.2, 0.35], z0Mm: -50, noiseHu: 10 });
    const before = process.memoryUsage();
    const r = computeLungMask(long.volume);
    const after = process.memoryUsage();
    expectWellFormed(r, long.volume);
    expect(r.status).toBe('ok');
    expect(dice(r.mask, long.lungTruth)).toBeGreaterThan(0.9);
    // No per-voxel objects: the JavaScript heap grows by far less than a byte per voxel.
    expect(after.heapUsed - before.heapUsed).toBeLessThan(long.volume.voxels.length);
  }, 120_000);
});
