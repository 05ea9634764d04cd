import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { PreparedManifestSchema, type PreparedManifest } from '../core/dataset/manifest.js';
import { parseNpy } from '../core/dataset/npy.js';
import { writeNifti } from '../core/formats/index.js';
import { openLargestVolume } from '../core/ingest/open-volume.js';
import { computeLungMask, syntheticChest } from '../core/lung/index.js';
import { DEFAULT_PREPROCESSING } from '../core/model/defaults.js';
import { prepareMask, prepareSlice } from '../core/model/preprocess.js';
import { volumeTensors } from '../core/model/volume-tensors.js';
import { generateCase, SCANNER_HU_RANGE, writePhantoms, type PhantomLabels } from '../core/phantom/index.js';
import { runCli as run } from './test-support.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'lunglens-prepare-cli-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

const readManifest = (dir: string): PreparedManifest => PreparedManifestSchema.parse(JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')));
const npy = (dir: string, file: string) => parseNpy(readFileSync(path.join(dir, file)));
const bytesOf = (a: Float32Array | Uint8Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

// Small phantoms keep this fast: 96² slices, 20–30 per case. Seed 3 gives a COVID-19 case whose
// lesions reach only some slices (case-0002: 12 of 20), so slice alignment is visible.
const nifti = path.join(root, 'nifti');
const dicom = path.join(root, 'dicom');
let niftiLabels: PhantomLabels;
let dicomLabels: PhantomLabels;

beforeAll(async () => {
  niftiLabels = await writePhantoms({ out: nifti, count: 3, seed: 3, size: 96, slices: [20, 30], format: 'nifti' });
  dicomLabels = await writePhantoms({ out: dicom, count: 1, seed: 4, size: 96, slices: [20, 30], format: 'dicom' });
  writeFileSync(path.join(nifti, 'broken.nii.gz'), Buffer.from('this is not a gzip stream'));
});

describe('lunglens prepare', () => {
  const out = path.join(root, 'prepared');
  let manifest: PreparedManifest;
  let printed: string;
  let code: number;
  beforeAll(async () => {
    ({ code, stdout: printed } = await run('prepare', nifti, '--labels', path.join(nifti, 'labels.json'), '--out', out, '--json', '--workers', '2'));
    manifest = readManifest(out);
  });

  it('writes the manifest of the contract, prints it with --json and exits 0', () => {
    expect(code).toBe(0);
    expect(JSON.parse(printed)).toEqual(manifest);
    expect(manifest).toMatchObject({ format: 'lunglens-prepared', version: 1, mask: 'dilated', preprocessing: DEFAULT_PREPROCESSING });
    expect(manifest.createdBy).toMatch(/^lunglens \d+\.\d+\.\d+/);
    expect(manifest.cases.map((c) => c.id).sort()).toEqual(['case-0001', 'case-0002', 'case-0003']);
    for (const c of manifest.cases) {
      const label = niftiLabels.cases.find((l) => l.id === c.id)!;
      expect(c).toEqual({
        id: label.id,
        seriesInstanceUid: label.seriesInstanceUid, // a NIfTI has none: matched by path, the label's UID is kept
        source: path.join(nifti, label.path),
        label: label.label,
        slicePositive: label.slicePositive,
        slices: label.slicePositive.length,
        lungVolumeMl: expect.any(Number),
        lungStatus: 'ok',
        slicesFile: `cases/${c.id}-slices.npy`,
        masksFile: `cases/${c.id}-masks.npy`,
      });
      expect(c.lungVolumeMl).toBeGreaterThan(0);
    }
  });

  it('rejects the corrupt file with a code and a sentence, and does not list labels.json', () => {
    expect(manifest.rejected).toEqual([{ path: path.join(nifti, 'broken.nii.gz'), code: expect.any(String), message: expect.stringMatching(/\w+ \w+/) }]);
  });

  it('writes float32 [N,1,S,S] and uint8 masks whose headers numpy reads, data 64-byte aligned, and nothing else', () => {
    const S = DEFAULT_PREPROCESSING.size;
    for (const c of manifest.cases) {
      const slices = npy(out, c.slicesFile);
      const masks = npy(out, c.masksFile);
      expect(slices).toMatchObject({ descr: '<f4', fortranOrder: false, shape: [c.slices, 1, S, S] });
      expect(masks).toMatchObject({ descr: '|u1', fortranOrder: false, shape: [c.slices, 1, S, S] });
      expect(slices.dataOffset % 64).toBe(0);
      expect(masks.data.every((v) => v === 0 || v === 1)).toBe(true);
      expect(masks.data.some((v) => v === 1)).toBe(true);
    }
    expect(readdirSync(path.join(out, 'cases'))).toHaveLength(6); // no temporary files left
    expect(readdirSync(out).sort()).toEqual(['cases', 'manifest.json']);
  });

  it('holds exactly prepareSlice and prepareMask of the loaded volume and its dilated lung mask', async () => {
    const c = manifest.cases.find((x) => x.id === 'case-0002')!;
    const loaded = (await openLargestVolume([c.source], { workers: 1 })).series!.volume;
    const lung = computeLungMask(loaded);
    const [columns, rows, n] = loaded.dimensions;
    const spacing: [number, number] = [loaded.spacingMm[0], loaded.spacingMm[1]];
    const S = DEFAULT_PREPROCESSING.size;
    const slices = npy(out, c.slicesFile).data;
    const masks = npy(out, c.masksFile).data;
    for (let k = 0; k < n; k++) {
      const expected = prepareSlice(loaded.slice(k), columns, rows, spacing, DEFAULT_PREPROCESSING);
      expect(bytesOf(slices.subarray(k * S * S, (k + 1) * S * S)).equals(bytesOf(expected)), `slice ${k}`).toBe(true);
      const mask = Uint8Array.from(prepareMask(lung.dilatedMask.subarray(k * columns * rows, (k + 1) * columns * rows), columns, rows, spacing, S));
      expect(bytesOf(masks.subarray(k * S * S, (k + 1) * S * S)).equals(bytesOf(mask)), `mask ${k}`).toBe(true);
    }
  });

  it('aligns slicePositive with the tensors: slice k is the phantom slice whose lesion truth gives slicePositive[k]', () => {
    const c = manifest.cases.find((x) => x.id === 'case-0002')!;
    const truth = generateCase(niftiLabels.cases.find((l) => l.id === c.id)!.spec);
    const [low, high] = SCANNER_HU_RANGE;
    const voxels = truth.volume.voxels.map((v) => Math.min(high, Math.max(low, v)));
    const [columns, rows, n] = truth.volume.dimensions;
    const plane = columns * rows;
    const positive = Array.from({ length: n }, (_, k) => truth.lesionMask.subarray(k * plane, (k + 1) * plane).some((v) => v > 0));
    expect(positive.some(Boolean) && !positive.every(Boolean)).toBe(true); // lesions in some slices only
    expect(c.slicePositive).toEqual(positive);
    const S = DEFAULT_PREPROCESSING.size;
    const slices = npy(out, c.slicesFile).data;
    for (let k = 0; k < n; k++) {
      const expected = prepareSlice(voxels.subarray(k * plane, (k + 1) * plane), columns, rows, [truth.volume.spacingMm[0], truth.volume.spacingMm[1]], DEFAULT_PREPROCESSING);
      expect(bytesOf(slices.subarray(k * S * S, (k + 1) * S * S)).equals(bytesOf(expected)), `slice ${k}`).toBe(true);
    }
  });
});

describe('lunglens prepare, other inputs', () => {
  it('matches DICOM series by SeriesInstanceUID and takes the preprocessing from a model card', async () => {
    const card = path.join(root, 'card.json');
    const preprocessing = { size: 64, huWindow: { lowHu: -1000, highHu: 200 }, normalization: { mean: 0.25, std: 0.5 } };
    writeFileSync(card, JSON.stringify({ name: 'test', preprocessing }));
    const out = path.join(root, 'prepared-dicom');
    const { code, stdout } = await run('prepare', dicom, '--labels', path.join(dicom, 'labels.json'), '--card', card, '--out', out);
    expect(code).toBe(0);
    expect(stdout).toMatch(/Prepared 1 case\(s\)/);
    const manifest = readManifest(out);
    expect(manifest.preprocessing).toEqual(preprocessing);
    const label = dicomLabels.cases[0]!;
    expect(manifest.cases).toEqual([expect.objectContaining({ id: label.id, seriesInstanceUid: label.seriesInstanceUid, label: label.label, slicePositive: label.slicePositive, source: path.join(dicom, label.path) })]);
    const slices = npy(out, manifest.cases[0]!.slicesFile);
    expect(slices.shape).toEqual([label.slicePositive.length, 1, 64, 64]);
    expect(manifest.rejected).toEqual([]);
    // Shuffled file names and instance numbers: slice k is still the generator's slice k.
    const truth = generateCase(label.spec);
    const [low, high] = SCANNER_HU_RANGE;
    const voxels = truth.volume.voxels.map((v) => Math.min(high, Math.max(low, v)));
    const [columns, rows, n] = truth.volume.dimensions;
    for (let k = 0; k < n; k++) {
      const expected = prepareSlice(voxels.subarray(k * columns * rows, (k + 1) * columns * rows), columns, rows, [truth.volume.spacingMm[0], truth.volume.spacingMm[1]], preprocessing);
      expect(bytesOf(slices.data.subarray(k * 64 * 64, (k + 1) * 64 * 64)).equals(bytesOf(expected)), `slice ${k}`).toBe(true);
    }
  });

  it('crops to the lungs with --crop-lungs: the manifest says so and the tensors are those of the square around them', async () => {
    const out = path.join(root, 'prepared-cropped');
    const file = path.join(nifti, 'case-0002.nii.gz');
    const { code } = await run('prepare', file, '--out', out, '--crop-lungs', '5,60');
    expect(code).toBe(0);
    const manifest = readManifest(out);
    const pre = { ...DEFAULT_PREPROCESSING, crop: { to: 'lungs' as const, marginMm: 5, minSideMm: 60 } };
    expect(manifest.preprocessing).toEqual(pre);
    const loaded = (await openLargestVolume([file], { workers: 1 })).series!.volume;
    const expected = volumeTensors(loaded, computeLungMask(loaded).dilatedMask, pre);
    const c = manifest.cases[0]!;
    expect(bytesOf(npy(out, c.slicesFile).data).equals(bytesOf(expected.slices))).toBe(true);
    expect(bytesOf(npy(out, c.masksFile).data).equals(bytesOf(expected.masks))).toBe(true);
    // and not the whole field of view
    const whole = volumeTensors(loaded, computeLungMask(loaded).dilatedMask, DEFAULT_PREPROCESSING);
    expect(bytesOf(expected.slices).equals(bytesOf(whole.slices))).toBe(false);
  });

  it('rejects unlabelled series and misaligned slice truth, and keeps a scan without lungs with its status', async () => {
    const extra = path.join(root, 'extra');
    mkdirSync(extra);
    const chest = syntheticChest({ lungs: false });
    await writeNifti(path.join(extra, 'abdomen.nii.gz'), { geometry: chest.volume, data: chest.volume.voxels });
    const cases = niftiLabels.cases
      .filter((c) => c.id !== 'case-0001')
      .map((c) => ({ id: c.id, seriesInstanceUid: c.seriesInstanceUid, label: c.label, path: c.path, slicePositive: c.id === 'case-0003' ? c.slicePositive.slice(1) : c.slicePositive }));
    cases.push({ id: 'abdomen', seriesInstanceUid: '', label: 'non-covid', path: '../extra/abdomen.nii.gz', slicePositive: new Array<boolean>(chest.volume.dimensions[2]).fill(false) });
    mkdirSync(path.join(root, 'labels-edited'));
    const labels = path.join(root, 'labels-edited', 'labels.json');
    const relocated = cases.map((c) => (c.id === 'abdomen' ? c : { ...c, path: path.join('..', 'nifti', c.path) }));
    writeFileSync(labels, JSON.stringify({ cases: relocated }));
    const out = path.join(root, 'prepared-edited');
    const { code, stderr } = await run('prepare', nifti, extra, '--labels', labels, '--out', out);
    expect(code).toBe(0);
    expect(stderr).toMatch(/rejected .*case-0001\.nii\.gz: unlabeled/);
    const manifest = readManifest(out);
    expect(manifest.cases.map((c) => c.id).sort()).toEqual(['abdomen', 'case-0002']);
    expect(manifest.cases.find((c) => c.id === 'abdomen')).toMatchObject({ label: 'non-covid', lungStatus: 'no-lung-found', lungVolumeMl: 0 });
    const byCode = Object.fromEntries(manifest.rejected.map((r) => [path.basename(r.path), r]));
    expect(byCode['case-0001.nii.gz']).toMatchObject({ code: 'unlabeled', message: expect.stringMatching(/labels file has no case/) });
    expect(byCode['case-0003.nii.gz']).toMatchObject({ code: 'slice-count-mismatch', message: expect.stringMatching(/slicePositive for \d+ slices, but the series has \d+/) });
    expect(byCode['broken.nii.gz']).toBeDefined();
  });

  it('exits 2 with a manifest of rejections when nothing could be prepared', async () => {
    const out = path.join(root, 'prepared-none');
    const { code, stdout } = await run('prepare', path.join(nifti, 'broken.nii.gz'), '--out', out);
    expect(code).toBe(2);
    expect(stdout).toMatch(/Prepared 0 case\(s\).*1 rejected/);
    expect(readManifest(out)).toMatchObject({ cases: [], rejected: [{ path: path.join(nifti, 'broken.nii.gz') }] });
  });

  it('exits 1 with a sentence when the output cannot be written', async () => {
    const file = path.join(root, 'a-file');
    writeFileSync(file, 'x');
    const { code, stderr } = await run('prepare', path.join(nifti, 'case-0001.nii.gz'), '--out', path.join(file, 'out'));
    expect(code).toBe(1);
    expect(stderr).toMatch(/lunglens prepare: The output folder .* cannot be written/);
  });

  it.each([
    ['--card with preprocessing flags', ['--card', 'good-card.json', '--size', '64'], /--card fixes the preprocessing/],
    ['a window that is not LOW,HIGH', ['--window', '150,-1350'], /LOW < HIGH/],
    ['a crop that is not MARGIN,MINSIDE', ['--crop-lungs', '10'], /MARGIN,MINSIDE in mm/],
    ['--card with --crop-lungs', ['--card', 'good-card.json', '--crop-lungs'], /--card fixes the preprocessing/],
    ['a labels file that is not one', ['--labels', 'good-card.json'], /not a labels file/],
    ['a card without preprocessing', ['--card', 'no-preprocessing.json'], /no "preprocessing" block/],
    ['a card asking for more than this version does', ['--card', 'unknown-step.json'], /Unrecognized key/],
  ])('exits 1 on %s', async (_name, flags, message) => {
    const cards = path.join(root, 'cards');
    mkdirSync(cards, { recursive: true });
    writeFileSync(path.join(cards, 'good-card.json'), JSON.stringify({ preprocessing: DEFAULT_PREPROCESSING }));
    writeFileSync(path.join(cards, 'no-preprocessing.json'), JSON.stringify({ name: 'x' }));
    writeFileSync(path.join(cards, 'unknown-step.json'), JSON.stringify({ preprocessing: { ...DEFAULT_PREPROCESSING, toneMapping: true } }));
    const resolved = flags.map((f) => (f.endsWith('.json') ? path.join(cards, f) : f));
    const { code, stderr } = await run('prepare', nifti, '--out', path.join(root, 'unused'), ...resolved);
    expect(code).toBe(1);
    expect(stderr).toMatch(message);
  });
});
