import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { valueSha256 } from '../ingest/checksum.js';
import { readSeries } from '../ingest/read-series.js';
import { IngestPool } from '../ingest/ingest-pool.js';
import type { Volume } from '../volume/volume.js';
import { generateCase, planCases, type PhantomCase, type PhantomCaseSpec } from './index.js';
import { profileScan } from './scan-profile.js';
import type { ConfounderFinding, RealismV2 } from './types.js';
import { writePhantomCase } from './write-phantoms.js';

const sum = (a: Uint8Array) => a.reduce((s, v) => s + v, 0);

describe('realism v1 stays what the shipped model was trained on', () => {
  it('generates a v1 case bit for bit as before realism v2 existed', () => {
    // The hash was taken from main before v2 (and is what main still gives).
    const c = generateCase({
      id: 'case-v1', seed: 424242, label: 'covid', size: 96, slices: 30, pixelSpacingMm: 3.6, sliceThicknessMm: 9, noiseHu: 12, kernel: 'sharp', storage: 'signed',
      covid: { findings: ['ground-glass', 'crazy-paving', 'consolidation'], extent: 0.7 }, confounders: ['nodule', 'emphysema', 'atelectasis', 'effusion', 'motion'],
    });
    const hash = createHash('sha256').update(new Uint8Array(c.volume.voxels.buffer)).update(c.lesionMask).update(c.lungMask).digest('hex');
    expect(hash).toBe('89566a5103482552226e3959cc09731e4b7c62586fdf4d0436d6a169b35dc85c');
  });

  it('plans v1 unless v2 is asked for', () => {
    expect(planCases({ count: 8, seed: 3003 })).toEqual(planCases({ count: 8, seed: 3003, realism: 'v1' }));
    expect(planCases({ count: 8, seed: 3003 }).every((s) => s.v2 === undefined)).toBe(true);
  });
});

describe('planCases (realism v2)', () => {
  const specs = planCases({ count: 300, seed: 'v2-plan', realism: 'v2' });
  const more = planCases({ count: 1000, seed: 'v2-plan-more', realism: 'v2' });
  const v2 = (s: PhantomCaseSpec) => s.v2!;

  it('is deterministic and gives every case its v2 scanner and patient', () => {
    expect(planCases({ count: 300, seed: 'v2-plan', realism: 'v2' })).toEqual(specs);
    expect(specs.every((s) => s.v2 !== undefined)).toBe(true);
    expect(specs.filter((s) => s.label === 'covid')).toHaveLength(150);
  });

  it('covers real scanners: 0.625–10 mm slices (overlapping too), three kernels, low dose, circles with padding, prone, arms down', () => {
    const thick = specs.map((s) => s.sliceThicknessMm);
    expect(Math.min(...thick)).toBe(0.625);
    expect(Math.max(...thick)).toBe(10);
    expect(specs.filter((s) => s.sliceThicknessMm >= 7.5).length).toBeGreaterThan(20);
    expect(specs.some((s) => v2(s).sliceSpacingMm < s.sliceThicknessMm)).toBe(true);
    expect(specs.every((s) => v2(s).sliceSpacingMm <= s.sliceThicknessMm)).toBe(true);
    for (const k of ['smooth', 'standard', 'sharp'] as const) expect(specs.filter((s) => s.kernel === k).length).toBeGreaterThan(60);
    expect(specs.filter((s) => s.noiseHu > 40).length).toBeGreaterThan(15);
    expect(specs.filter((s) => v2(s).fovFraction < 1).length).toBeGreaterThan(90);
    for (const hu of [-1024, -2000, -3024]) expect(specs.some((s) => v2(s).outsideHu === hu)).toBe(true);
    expect(specs.some((s) => v2(s).paddingDeclared)).toBe(true);
    expect(specs.filter((s) => v2(s).position === 'prone').length).toBeGreaterThan(15);
    expect(specs.filter((s) => v2(s).arms === 'down').length).toBeGreaterThan(80);
    for (const s of specs) {
      expect(s.slices).toBeGreaterThanOrEqual(20);
      expect(s.slices).toBeLessThanOrEqual(200);
    }
    // An exact slice count asked for is kept; the thickness adapts (120 slices fit 400 mm).
    for (const s of planCases({ count: 30, seed: 'exact', slices: [120, 120], realism: 'v2' })) {
      expect(s.slices).toBe(120);
      expect(s.sliceThicknessMm * 120).toBeLessThanOrEqual(400);
    }
    // Adults, in fields of view from tight to PET/CT-wide.
    for (const s of specs) {
      expect(v2(s).bodyWidthMm).toBeGreaterThanOrEqual(280);
      expect(v2(s).bodyWidthMm).toBeLessThanOrEqual(390);
      expect(s.pixelSpacingMm * s.size).toBeGreaterThan(v2(s).bodyWidthMm);
    }
  });

  it('draws every non-COVID finding, in COVID-19 cases too, so no finding gives the label away', () => {
    const all: ConfounderFinding[] = ['dependent-density', 'atelectasis', 'plate-atelectasis', 'nodule', 'nodules', 'mass', 'emphysema', 'fibrosis', 'effusion', 'motion', 'sternotomy', 'clips', 'lobectomy'];
    for (const f of all) {
      expect(more.some((s) => s.label === 'non-covid' && s.confounders.includes(f)), f).toBe(true);
      expect(more.some((s) => s.label === 'covid' && s.confounders.includes(f)), f).toBe(true);
    }
    expect(specs.some((s) => s.covid?.findings.includes('organizing'))).toBe(true);
  });
});

/** A small whole chest (128², 40 slices of 7 mm) in realism v2, supine, no circle. */
const V2: RealismV2 = { sliceSpacingMm: 7, blurPx: 0.9, edgeGain: 0.3, fovFraction: 1, outsideHu: -1024, paddingDeclared: false, position: 'supine', arms: 'up', bodyWidthMm: 300 };
const BASE: PhantomCaseSpec = {
  id: 'case-v2', seed: 771, label: 'non-covid', size: 128, slices: 40, pixelSpacingMm: 2.8, sliceThicknessMm: 7, noiseHu: 10, kernel: 'standard',
  storage: 'signed', covid: null, confounders: [], v2: V2,
};
const cache = new Map<string, PhantomCase>();
const generate = (s: PhantomCaseSpec) => {
  const key = JSON.stringify(s);
  if (!cache.has(key)) cache.set(key, generateCase(s));
  return cache.get(key)!;
};
const withV2 = (v: Partial<RealismV2>, s: Partial<PhantomCaseSpec> = {}): PhantomCaseSpec => ({ ...BASE, ...s, v2: { ...V2, ...v } });

/** Mean HU of lung voxels in the image's upper and lower halves. */
function lungHalves(c: PhantomCase): [number, number] {
  const [nx, ny] = c.volume.dimensions;
  const acc = [0, 0, 0, 0];
  c.lungMask.forEach((m, q) => {
    if (!m) return;
    const half = Math.floor((q % (nx * ny)) / nx) < ny / 2 ? 0 : 1;
    acc[half]! += c.volume.voxels[q]!;
    acc[half + 2]!++;
  });
  return [acc[0]! / acc[2]!, acc[1]! / acc[3]!];
}

function expectExactTruth(c: PhantomCase): void {
  const area = c.volume.dimensions[0] * c.volume.dimensions[1];
  c.lesionMask.forEach((m, q) => {
    if (m) expect(c.lungMask[q]).toBe(1);
  });
  c.lesionVoxelsPerSlice.forEach((n, k) => expect(n).toBe(sum(c.lesionMask.subarray(k * area, (k + 1) * area))));
  expect(c.slicePositive).toEqual(c.lesionVoxelsPerSlice.map((n) => n > 0));
}

describe('generateCase (realism v2)', () => {
  it('reconstructs overlapping slabs: slices every spacing, each a slab of the thickness', () => {
    const c = generate(withV2({ sliceSpacingMm: 3.5 }, { slices: 80 }));
    expect(c.volume.dimensions[2]).toBe(80);
    expect(c.volume.spacingMm[2]).toBe(3.5);
    expectExactTruth(c);
  });

  it('lies prone: written turned half a turn (rows −y, columns −x), spine at the top, the dependent lung toward the table', () => {
    const supine = generate(BASE);
    const prone = generate(withV2({ position: 'prone' }));
    expect(prone.volume.direction).toEqual([-1, 0, 0, 0, -1, 0, 0, 0, 1]);
    const [nx, ny, nz] = prone.volume.dimensions;
    // The patient's left (LPS +x) is where the image's columns start.
    const [x0] = prone.volume.voxelToLps(0, 0, 0);
    const [x1] = prone.volume.voxelToLps(nx - 1, 0, 0);
    expect(x0).toBeGreaterThan(x1);
    let boneRows = 0;
    let bone = 0;
    for (let k = Math.floor(nz / 3); k < (2 * nz) / 3; k++) {
      for (let j = 0; j < ny; j++) {
        const v = prone.volume.voxels[(k * ny + j) * nx + nx / 2]!;
        if (v > 250) {
          boneRows += j;
          bone++;
        }
      }
    }
    expect(boneRows / bone).toBeLessThan(ny / 2);
    // Gravity: the half of the lungs nearer the table (the image's lower half, both ways) is denser.
    const [sUp, sDown] = lungHalves(supine);
    const [pUp, pDown] = lungHalves(prone);
    expect(sDown).toBeGreaterThan(sUp);
    expect(pDown).toBeGreaterThan(pUp);
    expectExactTruth(prone);
  });

  it('draws the reconstruction circle with the scanner\'s outside value, never below −1024 HU inside it', () => {
    const c = generate(withV2({ fovFraction: 0.9, outsideHu: -3024 }));
    const [nx, ny, nz] = c.volume.dimensions;
    const centre = (nx - 1) / 2;
    for (let k = 0; k < nz; k += 7) {
      for (let j = 0; j < ny; j++) {
        for (let i = 0; i < nx; i++) {
          const v = c.volume.voxels[(k * ny + j) * nx + i]!;
          const r = Math.hypot(i - centre, j - centre);
          if (r > 0.9 * (nx / 2) + 1) expect(v).toBe(-3024);
          else if (r < 0.9 * (nx / 2) - 1) expect(v).toBeGreaterThanOrEqual(-1024);
        }
      }
    }
  });

  it('puts the arms beside the chest when they are down', () => {
    // Rows of a mid-chest slice that, coming from the image's side, cross tissue, air, then tissue
    // again before the lung: an arm beside the chest wall.
    const armRows = (c: PhantomCase) => {
      const [nx, ny, nz] = c.volume.dimensions;
      const k = Math.floor(nz / 2);
      let rows = 0;
      for (let j = Math.floor(ny * 0.35); j < ny * 0.55; j++) {
        let entries = 0;
        let inside = false;
        for (let i = 0; i < nx / 2; i++) {
          const q = (k * ny + j) * nx + i;
          if (c.lungMask[q]) break;
          const tissue = c.volume.voxels[q]! > -300;
          if (tissue && !inside) entries++;
          inside = tissue;
        }
        if (entries >= 2) rows++;
      }
      return rows;
    };
    expect(armRows(generate(BASE))).toBe(0);
    expect(armRows(generate(withV2({ arms: 'down' })))).toBeGreaterThan(5);
  });

  it.each([
    ['smooth', 1.6, 0],
    ['sharp', 0.7, 1.6],
  ] as const)('makes %s-kernel noise of the asked σ whose grain follows the kernel', (kernel, blurPx, edgeGain) => {
    // A clinical grid (384², 0.95 mm): homogeneous 16-pixel blocks are common, as in real scans.
    const c = generate(withV2({ blurPx, edgeGain }, { kernel, noiseHu: 25, size: 384, pixelSpacingMm: 0.95, slices: 16, sliceThicknessMm: 5, v2: { ...V2, blurPx, edgeGain, sliceSpacingMm: 5 } }));
    const p = profileScan(c.volume);
    expect(Math.abs(p.noiseHu! - 25) / 25).toBeLessThan(0.1);
    if (kernel === 'smooth') expect(p.noiseCorrelation![0]).toBeGreaterThan(0.7);
    else expect(p.noiseCorrelation![0]).toBeLessThan(0);
  });

  describe('non-COVID findings of v2 change the image and never count as lesion', () => {
    const base = generate(BASE);
    const lungCount = (c: PhantomCase, test: (hu: number) => boolean) => {
      let n = 0;
      c.lungMask.forEach((m, q) => {
        if (m && test(c.volume.voxels[q]!)) n++;
      });
      return n;
    };
    const anywhere = (c: PhantomCase, test: (hu: number) => boolean) => c.volume.voxels.reduce((n, v) => n + (test(v) ? 1 : 0), 0);
    const withFinding = (f: ConfounderFinding): PhantomCase => {
      const c = generate({ ...BASE, confounders: [f] });
      expect(sum(c.lesionMask)).toBe(0);
      expectExactTruth(c);
      return c;
    };
    it.each([
      ['nodules', (c: PhantomCase) => expect(lungCount(c, (h) => h > -300)).toBeGreaterThan(lungCount(base, (h) => h > -300))],
      ['mass', (c: PhantomCase) => expect(lungCount(c, (h) => h > -100)).toBeGreaterThan(lungCount(base, (h) => h > -100) + 100)],
      ['dependent-density', (c: PhantomCase) => expect(lungHalves(c)[1] - lungHalves(base)[1]).toBeGreaterThan(3)],
      ['plate-atelectasis', (c: PhantomCase) => expect(lungCount(c, (h) => h > -600)).toBeGreaterThan(lungCount(base, (h) => h > -600))],
      ['fibrosis', (c: PhantomCase) => expect(lungCount(c, (h) => h > -650)).toBeGreaterThan(lungCount(base, (h) => h > -650) + 20)],
      ['sternotomy', (c: PhantomCase) => expect(anywhere(c, (h) => h >= 1500)).toBeGreaterThan(anywhere(base, (h) => h >= 1500))],
      ['clips', (c: PhantomCase) => expect(anywhere(c, (h) => h >= 1500)).toBeGreaterThan(anywhere(base, (h) => h >= 1500))],
      ['lobectomy', (c: PhantomCase) => expect(sum(c.lungMask)).toBeLessThan(sum(base.lungMask) * 0.97)],
      ['motion', (c: PhantomCase) => expect(c.volume.voxels.filter((v, q) => v !== base.volume.voxels[q]).length).toBeGreaterThan(c.volume.voxels.length * 0.05)],
    ] as const)('%s', (finding, check) => check(withFinding(finding)));
  });

  it('keeps COVID-19 lesions (v2 style, organising stage included) inside the lungs, with exact slice truth', () => {
    const c = generate({ ...BASE, label: 'covid', covid: { findings: ['ground-glass', 'consolidation', 'organizing'], extent: 0.6 }, confounders: ['dependent-density', 'fibrosis'] });
    expect(sum(c.lesionMask)).toBeGreaterThan(0);
    expectExactTruth(c);
  });
});

describe('lunglens phantom --realism v2 (DICOM)', () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'lunglens-v2-'));
  const pool = new IngestPool(2);
  afterAll(async () => {
    await pool.close();
    rmSync(root, { recursive: true, force: true });
  });
  const read = async (dir: string) => {
    let volume: Volume | null = null;
    const { series, rejected } = await readSeries([dir], pool, { onVolume: (_, v) => void (volume = v) });
    expect(rejected).toEqual([]);
    return { summary: series[0]!, volume: volume! as Volume };
  };

  it.each([
    ['prone, padding −3024 declared', withV2({ position: 'prone', fovFraction: 0.92, outsideHu: -3024, paddingDeclared: true }, { id: 'case-a' })],
    ['padding −2000 undeclared, unsigned storage', withV2({ fovFraction: 0.92, outsideHu: -2000 }, { id: 'case-b', storage: 'unsigned' })],
    ['overlapping 5 mm slabs every 2.5 mm', withV2({ sliceSpacingMm: 2.5 }, { id: 'case-c', sliceThicknessMm: 5, slices: 60 })],
  ])('reads back (%s) with the geometry and every value the generator made', async (_, spec) => {
    const entry = await writePhantomCase(spec, root, 'dicom');
    const { volume } = await read(path.join(root, entry.path));
    const c = generateCase(spec);
    expect(volume.dimensions).toEqual(c.volume.dimensions);
    volume.spacingMm.forEach((v, i) => expect(v).toBeCloseTo(c.volume.spacingMm[i]!, 4));
    volume.originLps.forEach((v, i) => expect(v).toBeCloseTo(c.volume.originLps[i]!, 3));
    expect(volume.direction.map((d) => Math.round(d))).toEqual(c.volume.direction);
    // Declared padding reads as air (−1024 HU), as readers treat padding.
    const expected = spec.v2!.paddingDeclared ? c.volume.voxels.map((v) => (v === spec.v2!.outsideHu ? -1024 : v)) : c.volume.voxels;
    expect(await valueSha256(volume.voxels)).toBe(await valueSha256(expected));
  }, 60_000);
});
