import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { valueSha256 } from '../ingest/checksum.js';
import { readSeries } from '../ingest/read-series.js';
import { IngestPool } from '../ingest/ingest-pool.js';
import { Volume } from '../volume/volume.js';
import { blobTextures, type Blob } from './blobs.js';
import { generateCase, type PhantomCaseSpec } from './index.js';
import { computeLungMask } from '../lung/index.js';
import { growInPlane, INSERT_MARGIN_MM } from './backgrounds.js';
import { H_FILL, insertLesions, LESION_TRUTH_HU, P_REF } from './insert-lesions.js';
import { planInsertions } from './plan-insertions.js';
import { Rng } from './random.js';
import { profileScan } from './scan-profile.js';
import { writeInserted, type InsertedLabels } from './write-inserted.js';
import { writePhantoms } from './write-phantoms.js';

/** A uniform lung: a box of parenchyma at `lungHu` (mask 1) inside soft tissue, 1 mm pixels. */
function uniformLung(nx: number, nz: number, spacingZ: number, lungHu = P_REF): { volume: Volume; mask: Uint8Array } {
  const voxels = new Int16Array(nx * nx * nz).fill(40);
  const mask = new Uint8Array(voxels.length);
  for (let k = 0; k < nz; k++) {
    for (let j = 8; j < nx - 8; j++) {
      for (let i = 8; i < nx - 8; i++) {
        voxels[(k * nx + j) * nx + i] = lungHu;
        mask[(k * nx + j) * nx + i] = 1;
      }
    }
  }
  return { volume: Volume.create({ dimensions: [nx, nx, nz], spacingMm: [1, 1, spacingZ], originLps: [0, 0, 0], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1], voxels, units: 'HU' }), mask };
}

/** A plain ellipsoid lesion (no mottle, no septa, a smooth edge) in the index frame. */
const plainBlob = (b: Partial<Blob>): Blob => ({
  cx: 32, cy: 32, cz: 20, ax: 12, ay: 12, az: 12, theta: 0, edgeMm: 0.5, roughness: 0, hu: -500, reticulationHu: 0, mottleHu: 0, lesion: true, ...b,
});
const textures = (blobs: Blob[]) => blobTextures(new Rng('tex'), 1, blobs);

describe('insertLesions', () => {
  it('raises aerated lung by the fill fraction, to the blob\'s HU where the lung is the reference parenchyma', () => {
    const { volume, mask } = uniformLung(64, 40, 1);
    const blob = plainBlob({});
    const r = insertLesions(volume, mask, [blob], textures([blob]), { sliceThicknessMm: 1, blurSigmaPx: 0, noiseHu: 0 });
    const centre = (20 * 64 + 32) * 64 + 32;
    expect(r.voxels[centre]).toBe(-500);
    // Denser (dependent) parenchyma rises less, in proportion to its air: fill × (H − P).
    const dense = uniformLung(64, 40, 1, -700);
    const d = insertLesions(dense.volume, dense.mask, [blob], textures([blob]), { sliceThicknessMm: 1, blurSigmaPx: 0, noiseHu: 0 });
    const fill = (-500 - P_REF) / (H_FILL - P_REF);
    expect(d.voxels[centre]).toBe(Math.round(-700 + fill * (H_FILL + 700)));
  });

  it('averages the lesion over the real slab: a thin lesion in a thick slice rises by the fraction it fills', () => {
    const { volume, mask } = uniformLung(64, 10, 8);
    // A lesion 4 mm thick at its centre (z 38…42) inside slice 5 (z 36…44): half of the slab.
    const blob = plainBlob({ cz: 40, az: 2, ax: 20, ay: 20, edgeMm: 0.01 });
    const r = insertLesions(volume, mask, [blob], textures([blob]), { sliceThicknessMm: 8, blurSigmaPx: 0, noiseHu: 0 });
    const centre = (5 * 64 + 32) * 64 + 32;
    expect(r.voxels[centre]! - P_REF).toBeGreaterThan(0.45 * (-500 - P_REF));
    expect(r.voxels[centre]! - P_REF).toBeLessThan(0.55 * (-500 - P_REF));
    // Overlapping slabs (8 mm thick every 4 mm): a lesion 6 mm thick (z 37…43) fills 3/8 of the
    // slabs either side of the one it sits in, enough to count there too.
    const thicker = plainBlob({ cz: 40, az: 3, ax: 20, ay: 20, edgeMm: 0.01 });
    const lung = uniformLung(64, 20, 4);
    const overlap = insertLesions(lung.volume, lung.mask, [thicker], textures([thicker]), { sliceThicknessMm: 8, blurSigmaPx: 0, noiseHu: 0 });
    expect(overlap.slicePositive.map((p, k) => (p ? k : -1)).filter((k) => k >= 0)).toEqual([9, 10, 11]);
  });

  it('leaves vessels and airways as they are: no air to fill in soft tissue, bronchi stay aerated', () => {
    const { volume, mask } = uniformLung(64, 40, 1);
    const at = (i: number, j: number, k: number) => (k * 64 + j) * 64 + i;
    // A vessel (+40 HU) and an airway lumen (−990 HU), 5 pixels wide, through the lesion.
    for (let k = 0; k < 40; k++) {
      for (let j = 30; j < 35; j++) {
        for (let i = 20; i < 25; i++) volume.voxels[at(i, j, k)] = 40;
        for (let i = 40; i < 45; i++) volume.voxels[at(i, j, k)] = -990;
      }
    }
    const blob = plainBlob({ ax: 25, ay: 25, hu: -300 });
    const r = insertLesions(volume, mask, [blob], textures([blob]), { sliceThicknessMm: 1, blurSigmaPx: 0, noiseHu: 0 });
    // Within a few HU (the smoothing reaches the vessel's side), against 570 HU for the lung.
    expect(r.voxels[at(22, 32, 20)]! - 40).toBeLessThanOrEqual(10);
    expect(r.voxels[at(42, 32, 20)]).toBe(-990);
    expect(r.voxels[at(32, 45, 20)]).toBe(-300);
  });

  it('changes nothing outside the mask and reports exact truth: lesion voxels rose by ≥ the threshold', () => {
    const { volume, mask } = uniformLung(64, 40, 1);
    const blob = plainBlob({ ax: 40, ay: 40 });
    const r = insertLesions(volume, mask, [blob], textures([blob]), { sliceThicknessMm: 1, blurSigmaPx: 1.2, noiseHu: 10 });
    let changed = 0;
    for (let q = 0; q < r.voxels.length; q++) {
      const d = r.voxels[q]! - volume.voxels[q]!;
      if (d !== 0) {
        changed++;
        expect(mask[q]).toBe(1);
      }
      expect(r.lesionMask[q]).toBe(d >= LESION_TRUTH_HU ? 1 : 0);
    }
    expect(changed).toBe(r.changedVoxels);
    expect(r.slicePositive).toEqual(r.lesionVoxelsPerSlice.map((c) => c > 0));
  });
});

describe('profileScan', () => {
  const spec: PhantomCaseSpec = {
    id: 'noise', seed: 77, label: 'non-covid', size: 192, slices: 24, pixelSpacingMm: 1.9, sliceThicknessMm: 5,
    noiseHu: 20, kernel: 'smooth', storage: 'signed', covid: null, confounders: [],
  };
  it.each([
    ['smooth', 9],
    ['smooth', 30],
    ['sharp', 14],
  ] as const)('recovers the noise σ of a %s-kernel phantom with σ = %d HU within a tenth, and the kernel from its correlation', (kernel, sigma) => {
    const p = profileScan(generateCase({ ...spec, kernel, noiseHu: sigma }).volume);
    expect(p.noiseHu).not.toBeNull();
    expect(Math.abs(p.noiseHu! - sigma) / sigma).toBeLessThan(0.1);
    if (kernel === 'smooth') expect(p.noiseCorrelation![0]).toBeGreaterThan(0.5);
    else expect(p.noiseCorrelation![0]).toBeLessThan(0);
    expect(p.edgeSigmaPx).not.toBeNull();
  });
});

describe('planInsertions', () => {
  it('spreads cases evenly over the backgrounds, each with the positive rate, reproducibly', () => {
    const plan = planInsertions({ count: 40, seed: 5, backgrounds: 4, positiveRate: 0.5 });
    expect(plan).toEqual(planInsertions({ count: 40, seed: 5, backgrounds: 4, positiveRate: 0.5 }));
    for (let b = 0; b < 4; b++) {
      const mine = plan.filter((c) => c.background === b);
      expect(mine).toHaveLength(10);
      expect(mine.filter((c) => c.label === 'covid')).toHaveLength(5);
    }
    expect(plan.every((c) => (c.label === 'covid') === (c.covid !== null))).toBe(true);
    expect(new Set(plan.map((c) => c.seed)).size).toBe(40);
  });
});

describe('lunglens phantom --background (DICOM)', () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'lunglens-insert-'));
  const pool = new IngestPool(2);
  const background = path.join(root, 'background');
  const out = path.join(root, 'inserted');
  let labels: InsertedLabels;
  let source: { volume: Volume; lungTruth: Uint8Array };
  beforeAll(async () => {
    // The background: a non-COVID phantom written as DICOM, so its true lungs are known.
    const written = await writePhantoms({ out: background, count: 1, seed: 'insert-bg', positiveRate: 0, size: 128, slices: [44, 44] });
    const c = generateCase(written.cases[0]!.spec);
    source = { volume: c.volume, lungTruth: c.lungMask };
    labels = await writeInserted({ backgrounds: [path.join(background, written.cases[0]!.path)], out, count: 4, seed: 'insert-test', positiveRate: 0.5 });
  }, 120_000);
  afterAll(async () => {
    await pool.close();
    rmSync(root, { recursive: true, force: true });
  });

  const read = async (dir: string) => {
    let volume: Volume | null = null;
    const { series } = await readSeries([dir], pool, { onVolume: (_, v) => void (volume = v) });
    return { summary: series[0]!, volume: volume! as Volume };
  };

  it('writes labels.json with exact slice truth and each case\'s background', () => {
    expect(JSON.parse(readFileSync(path.join(out, 'labels.json'), 'utf8'))).toEqual(labels);
    expect(labels.cases).toHaveLength(4);
    expect(labels.cases.filter((c) => c.label === 'covid')).toHaveLength(2);
    const bg = labels.generator.backgrounds[0]!;
    expect(bg.seriesInstanceUid).toMatch(/^2\.25\./);
    for (const c of labels.cases) {
      expect(c.background).toEqual({ index: 0, path: bg.path, seriesInstanceUid: bg.seriesInstanceUid, patientKey: bg.patientKey });
      expect(c.slicePositive).toEqual(c.lesionVoxelsPerSlice.map((n) => n > 0));
      expect(c.slicePositive).toHaveLength(44);
      if (c.label === 'covid') expect(c.slicePositive.some(Boolean)).toBe(true);
      else expect(c.lesionVoxelsPerSlice.every((n) => n === 0)).toBe(true);
    }
  });

  it('negatives are the background byte for byte; positives differ only inside the lungs, by exactly the recorded truth', async () => {
    const bgSha = labels.generator.backgrounds[0]!.valueSha256;
    expect(bgSha).toBe(await valueSha256(source.volume.voxels));
    const [nx, ny, nz] = source.volume.dimensions;
    const sx = source.volume.spacingMm[0];
    // Where the inserter may write: the lung mask LungLens computes, grown by the margin that lets
    // lesions reach the pleura. And the phantom's true lungs grown by the same (plus a pixel).
    const region = growInPlane(computeLungMask(source.volume).mask, [nx, ny, nz], sx, INSERT_MARGIN_MM);
    const lungs = growInPlane(source.lungTruth, [nx, ny, nz], sx, INSERT_MARGIN_MM + sx);
    for (const c of labels.cases) {
      const { summary, volume } = await read(path.join(out, c.path));
      expect(summary.seriesInstanceUid).toBe(c.seriesInstanceUid);
      expect(volume.dimensions).toEqual(source.volume.dimensions);
      volume.originLps.forEach((v, i) => expect(v).toBeCloseTo(source.volume.originLps[i]!, 3));
      if (c.label === 'non-covid') {
        expect(await valueSha256(volume.voxels)).toBe(bgSha);
        continue;
      }
      const perSlice = new Array<number>(nz).fill(0);
      let changed = 0;
      let outsideTruth = 0;
      for (let q = 0; q < volume.voxels.length; q++) {
        const d = volume.voxels[q]! - source.volume.voxels[q]!;
        if (d === 0) continue;
        changed++;
        expect(region[q]).toBe(1);
        if (!lungs[q]) outsideTruth++;
        if (d >= labels.generator.truth.lesionThresholdHu) perSlice[Math.floor(q / (nx * ny))]!++;
      }
      // The computed mask takes in a little of the hila (lung-mask limits): nearly all is lung.
      expect(outsideTruth).toBeLessThan(0.005 * changed);
      expect(changed).toBe(c.insertion!.changedVoxels);
      expect(perSlice).toEqual(c.lesionVoxelsPerSlice);
    }
  });

  it('is deterministic for a seed', async () => {
    const again = await writeInserted({ backgrounds: [labels.generator.backgrounds[0]!.path], out: path.join(root, 'again'), count: 4, seed: 'insert-test', positiveRate: 0.5 });
    expect(again.cases).toEqual(labels.cases.map((c) => ({ ...c, seriesInstanceUid: c.seriesInstanceUid })));
  }, 60_000);

  it('skips a background it cannot use, with a sentence, and fails only when none is usable', async () => {
    const r = await writeInserted({ backgrounds: [root + '/nowhere', labels.generator.backgrounds[0]!.path], out: path.join(root, 'mixed'), count: 1, seed: 1 });
    expect(r.generator.rejected).toHaveLength(1);
    expect(r.generator.rejected[0]!.message).toMatch(/No usable CT series/);
    await expect(writeInserted({ backgrounds: [root + '/nowhere'], out: path.join(root, 'none'), count: 1, seed: 1 })).rejects.toThrow(/None of the 1 backgrounds/);
  }, 60_000);
});
