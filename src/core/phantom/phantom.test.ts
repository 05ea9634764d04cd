import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { LungLensError } from '../errors.js';
import { generateCase, planCases, type PhantomCase, type PhantomCaseSpec } from './index.js';
import { at } from './patient.js';
import { buildScene } from './scene.js';

/** A small whole-chest case (128², 40 slices of 7 mm): fast, and every organ is present. */
const BASE: PhantomCaseSpec = {
  id: 'case-test',
  seed: 20240611,
  label: 'non-covid',
  size: 128,
  slices: 40,
  pixelSpacingMm: 2.8,
  sliceThicknessMm: 7,
  noiseHu: 8,
  kernel: 'smooth',
  storage: 'signed',
  covid: null,
  confounders: [],
};

/** A finer partial scan (256², 40 slices of 2.5 mm around the middle of the lungs) for HU checks. */
const FINE: PhantomCaseSpec = { ...BASE, id: 'case-fine', size: 256, pixelSpacingMm: 1.4, sliceThicknessMm: 2.5 };

const COVID: PhantomCaseSpec = {
  ...BASE,
  label: 'covid',
  covid: { findings: ['ground-glass', 'crazy-paving', 'consolidation'], extent: 0.6 },
};

const cache = new Map<string, PhantomCase>();
function generate(spec: PhantomCaseSpec): PhantomCase {
  const key = JSON.stringify(spec);
  let c = cache.get(key);
  if (!c) {
    c = generateCase(spec);
    cache.set(key, c);
  }
  return c;
}

const hash = (c: PhantomCase) =>
  createHash('sha256').update(new Uint8Array(c.volume.voxels.buffer)).update(c.lesionMask).update(c.lungMask).digest('hex');

const sum = (a: Uint8Array) => a.reduce((s, v) => s + v, 0);

/** Voxel index of a reference-anatomy point for a spec (the same patient the generator draws). */
function voxelAt(spec: PhantomCaseSpec, x: number, y: number, zRef: number): [number, number, number] {
  const { patient, grid } = buildScene(spec);
  const [px, py, pz] = at(patient, x, y, zRef);
  return [Math.round((px - grid.x0) / grid.spacingMm), Math.round((py - grid.y0) / grid.spacingMm), Math.round((pz - grid.z0) / grid.thicknessMm)];
}

/** Mean HU of the 3×3 in-plane neighbourhood of a voxel. */
function meanAround(c: PhantomCase, [i, j, k]: [number, number, number]): number {
  const [nx, ny] = c.volume.dimensions;
  let s = 0;
  for (let dj = -1; dj <= 1; dj++) for (let di = -1; di <= 1; di++) s += c.volume.voxels[(k * ny + j + dj) * nx + i + di]!;
  return s / 9;
}

function lungAreaPerSlice(c: PhantomCase): number[] {
  const [nx, ny, nz] = c.volume.dimensions;
  return Array.from({ length: nz }, (_, k) => sum(c.lungMask.subarray(k * nx * ny, (k + 1) * nx * ny)));
}

describe('planCases', () => {
  it('is deterministic for a seed and differs between seeds', () => {
    expect(planCases({ count: 12, seed: 'alpha' })).toEqual(planCases({ count: 12, seed: 'alpha' }));
    expect(planCases({ count: 12, seed: 'alpha' })).not.toEqual(planCases({ count: 12, seed: 'beta' }));
    expect(planCases({ count: 3, seed: 7 })).toEqual(planCases({ count: 3, seed: '7' }));
  });

  it('draws labels at the positive rate and scanners within the documented ranges', () => {
    const specs = planCases({ count: 40, seed: 3, positiveRate: 0.25 });
    expect(specs.filter((s) => s.label === 'covid')).toHaveLength(10);
    expect(new Set(specs.map((s) => s.id)).size).toBe(40);
    expect(new Set(specs.map((s) => s.seed)).size).toBe(40);
    for (const s of specs) {
      expect(s.size).toBe(512);
      expect(s.pixelSpacingMm).toBeGreaterThanOrEqual(0.5);
      expect(s.pixelSpacingMm).toBeLessThanOrEqual(0.9);
      expect(s.sliceThicknessMm).toBeGreaterThanOrEqual(0.625);
      expect(s.sliceThicknessMm).toBeLessThanOrEqual(5);
      expect(s.slices).toBeGreaterThanOrEqual(60);
      expect(s.slices).toBeLessThanOrEqual(160);
      expect(s.noiseHu).toBeGreaterThan(5);
      expect(s.noiseHu).toBeLessThanOrEqual(40);
      expect(s.label === 'covid').toBe(s.covid !== null);
      if (s.covid) {
        expect(s.covid.findings).toContain('ground-glass');
        expect(s.covid.extent).toBeGreaterThanOrEqual(0);
        expect(s.covid.extent).toBeLessThanOrEqual(1);
      }
    }
    // Most scans cover a whole chest (250–350 mm); the rest are thin-slice partial scans.
    const whole = specs.filter((s) => s.slices * s.sliceThicknessMm >= 250 && s.slices * s.sliceThicknessMm <= 350);
    expect(whole.length).toBeGreaterThanOrEqual(24);
    expect(specs.some((s) => s.kernel === 'sharp') && specs.some((s) => s.kernel === 'smooth')).toBe(true);
    expect(specs.some((s) => s.storage === 'signed') && specs.some((s) => s.storage === 'unsigned')).toBe(true);
    expect(specs.some((s) => s.label === 'non-covid' && s.confounders.length > 0)).toBe(true);
  });

  it('keeps slice counts within the range asked for and scales the spacing with the size', () => {
    for (const s of planCases({ count: 20, seed: 9, slices: [30, 350], size: 256 })) {
      expect(s.slices).toBeGreaterThanOrEqual(30);
      expect(s.slices).toBeLessThanOrEqual(350);
      expect(s.pixelSpacingMm).toBeGreaterThanOrEqual(1);
      expect(s.pixelSpacingMm).toBeLessThanOrEqual(1.8);
    }
    const thin = planCases({ count: 20, seed: 9, slices: [30, 350] });
    expect(thin.some((s) => s.sliceThicknessMm <= 1)).toBe(true);
  });

  it('rejects unusable options with a usage error', () => {
    for (const bad of [{ count: -1 }, { count: 2, positiveRate: 2 }, { count: 2, slices: [50, 10] as [number, number] }, { count: 2, size: 3 }]) {
      expect(() => planCases({ seed: 1, ...bad })).toThrow(LungLensError);
    }
  });
});

describe('generateCase', () => {
  it('is deterministic for a spec and changes with the seed', () => {
    const a = generateCase(BASE);
    expect(hash(a)).toBe(hash(generate(BASE)));
    expect(hash(generateCase({ ...BASE, seed: BASE.seed + 1 }))).not.toBe(hash(a));
  });

  it('builds the volume on the grid the spec describes, in LPS with slices inferior to superior', () => {
    const c = generate(BASE);
    expect(c.volume.dimensions).toEqual([128, 128, 40]);
    expect(c.volume.spacingMm).toEqual([2.8, 2.8, 7]);
    expect(c.volume.direction).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 1]);
    expect(c.volume.units).toBe('HU');
    const stats = c.volume.statistics();
    expect(stats.min).toBeGreaterThanOrEqual(-1024);
    expect(stats.max).toBeLessThanOrEqual(3071);
    expect(c.lungMask).toHaveLength(128 * 128 * 40);
    // Whole chest: upper abdomen in the lowest slice, above the apices in the highest, the lungs
    // widest in the middle of their height.
    const area = lungAreaPerSlice(c);
    const widest = area.indexOf(Math.max(...area));
    const first = area.findIndex((a) => a > 0);
    const last = area.length - 1 - [...area].reverse().findIndex((a) => a > 0);
    expect(area[0]).toBe(0);
    expect(area[area.length - 1]).toBe(0);
    expect((widest - first) / (last - first)).toBeGreaterThan(0.3);
    expect((widest - first) / (last - first)).toBeLessThan(0.7);
  });

  it('puts the patient supine in LPS: anterior at the top of the image, the right lung on the image left and larger', () => {
    const c = generate(BASE);
    const [nx, ny, nz] = c.volume.dimensions;
    let right = 0;
    let left = 0;
    let boneRows = 0;
    let boneCount = 0;
    for (let k = 0; k < nz; k++) {
      for (let j = 0; j < ny; j++) {
        for (let i = 0; i < nx; i++) {
          const q = (k * ny + j) * nx + i;
          if (c.lungMask[q]) {
            if (i < nx / 2) right++;
            else left++;
          }
          if (Math.abs(i - nx / 2) < 6 && c.volume.voxels[q]! > 250) {
            boneRows += j;
            boneCount++;
          }
        }
      }
    }
    expect(left).toBeGreaterThan(0);
    expect(right).toBeGreaterThan(left * 1.05);
    // Along the midline most bone is the spine, behind (below) the image centre.
    expect(boneRows / boneCount).toBeGreaterThan(ny / 2);
  });

  it('gives tissues their HU: lung parenchyma, aorta, bone, the air of the trachea outside the lung mask', () => {
    const fine = generate(FINE);
    const lung: number[] = [];
    fine.lungMask.forEach((m, q) => {
      if (m) lung.push(fine.volume.voxels[q]!);
    });
    lung.sort((a, b) => a - b);
    const median = lung[lung.length >> 1]!;
    expect(median).toBeGreaterThan(-900);
    expect(median).toBeLessThan(-800);
    // Vessels: a minority of lung voxels are soft-tissue dense, but some are.
    const dense = lung.filter((hu) => hu > -500).length / lung.length;
    expect(dense).toBeGreaterThan(0.005);
    expect(dense).toBeLessThan(0.1);

    const c = generate(BASE);
    c.lungMask.forEach((m, q) => {
      if (m) lung.push(c.volume.voxels[q]!);
    });
    const aorta = meanAround(c, voxelAt(BASE, 30, 22, 160));
    expect(aorta).toBeGreaterThan(15);
    expect(aorta).toBeLessThan(65);

    const [i, j, k] = voxelAt(BASE, 0, 38, 150);
    const [nx, ny] = c.volume.dimensions;
    let spineMax = -Infinity;
    for (let dj = -6; dj <= 6; dj++) for (let di = -6; di <= 6; di++) spineMax = Math.max(spineMax, c.volume.voxels[(k * ny + j + dj) * nx + i + di]!);
    expect(spineMax).toBeGreaterThan(300);

    const trachea = voxelAt(BASE, -1.3, -1, 222);
    const q = (trachea[2] * ny + trachea[1]) * nx + trachea[0];
    expect(c.volume.voxels[q]).toBeLessThan(-700);
    expect(c.lungMask[q]).toBe(0);
  });

  it('places COVID-19 lesions only inside the lungs, in both lungs, favouring the back, with exact slice truth', () => {
    const c = generate(COVID);
    const [nx, ny, nz] = c.volume.dimensions;
    const area = nx * ny;
    let total = 0;
    let right = 0;
    let lesionRows = 0;
    let lungRows = 0;
    let lungCount = 0;
    for (let q = 0; q < c.lesionMask.length; q++) {
      const j = Math.floor((q % area) / nx);
      if (c.lungMask[q]) {
        lungRows += j;
        lungCount++;
      }
      if (!c.lesionMask[q]) continue;
      expect(c.lungMask[q]).toBe(1);
      total++;
      lesionRows += j;
      if (q % nx < nx / 2) right++;
    }
    expect(total).toBeGreaterThan(0);
    expect(right).toBeGreaterThan(0);
    expect(right).toBeLessThan(total);
    expect(lesionRows / total).toBeGreaterThan(lungRows / lungCount);
    expect(c.lesionVoxelsPerSlice).toHaveLength(nz);
    for (let k = 0; k < nz; k++) {
      expect(c.lesionVoxelsPerSlice[k]).toBe(sum(c.lesionMask.subarray(k * area, (k + 1) * area)));
      expect(c.slicePositive[k]).toBe(c.lesionVoxelsPerSlice[k]! > 0);
    }
    // Lesions raise the lung's density where they lie.
    let lesionHu = 0;
    c.lesionMask.forEach((m, q) => {
      if (m) lesionHu += c.volume.voxels[q]!;
    });
    expect(lesionHu / total).toBeGreaterThan(-750);
  });

  it('grows with extent: an early case has fewer positive slices and lesion voxels than a peak one', () => {
    const early = generate({ ...COVID, covid: { findings: ['ground-glass'], extent: 0 } });
    const peak = generate({ ...COVID, covid: { findings: ['ground-glass', 'consolidation'], extent: 1 } });
    const positive = (c: PhantomCase) => c.slicePositive.filter(Boolean).length;
    expect(positive(early)).toBeGreaterThan(0);
    expect(positive(early)).toBeLessThan(early.slicePositive.length);
    expect(positive(early)).toBeLessThan(positive(peak));
    expect(sum(early.lesionMask) * 4).toBeLessThan(sum(peak.lesionMask));
  });

  describe('non-COVID cases carry their confounders and no lesion voxels', () => {
    const base = generate(BASE);
    const lungVoxels = (c: PhantomCase, test: (hu: number) => boolean) => {
      let n = 0;
      c.lungMask.forEach((m, q) => {
        if (m && test(c.volume.voxels[q]!)) n++;
      });
      return n;
    };
    const withFinding = (finding: PhantomCaseSpec['confounders'][number]) => {
      const c = generate({ ...BASE, confounders: [finding] });
      expect(sum(c.lesionMask)).toBe(0);
      expect(c.slicePositive.every((p) => !p)).toBe(true);
      return c;
    };

    it('a solitary nodule: a compact dense change inside the lungs', () => {
      const c = withFinding('nodule');
      let changed = 0;
      for (let q = 0; q < c.volume.voxels.length; q++) {
        if (Math.abs(c.volume.voxels[q]! - base.volume.voxels[q]!) > 150) {
          changed++;
          expect(base.lungMask[q]).toBe(1);
        }
      }
      expect(changed).toBeGreaterThan(0);
      expect(changed).toBeLessThan(400);
    });

    it('emphysema: more very low-attenuation voxels in the lungs', () => {
      expect(lungVoxels(withFinding('emphysema'), (hu) => hu < -900)).toBeGreaterThan(lungVoxels(base, (hu) => hu < -900) + 30);
    });

    it('atelectasis: more dense voxels in the lungs', () => {
      expect(lungVoxels(withFinding('atelectasis'), (hu) => hu > -600)).toBeGreaterThan(lungVoxels(base, (hu) => hu > -600) + 10);
    });

    it('pleural effusion: fluid outside the lung mask, which shrinks', () => {
      const c = withFinding('effusion');
      expect(sum(c.lungMask)).toBeLessThan(sum(base.lungMask) * 0.98);
    });

    it('motion: blurred, streaked slices', () => {
      const c = withFinding('motion');
      let differing = 0;
      for (let q = 0; q < c.volume.voxels.length; q++) if (c.volume.voxels[q] !== base.volume.voxels[q]) differing++;
      expect(differing).toBeGreaterThan(c.volume.voxels.length * 0.05);
    });
  });

  it('rejects an inconsistent spec', () => {
    expect(() => generateCase({ ...BASE, label: 'covid' })).toThrow(LungLensError);
    expect(() => generateCase({ ...BASE, size: 4 })).toThrow(LungLensError);
  });
});
