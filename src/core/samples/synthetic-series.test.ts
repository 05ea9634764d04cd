import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import dicomParser from 'dicom-parser';
import { afterAll, describe, expect, it } from 'vitest';
import {
  CONVERSIONS, LUNG_HU, SPINE_HU, FAT_HU, convertNamed, convertWith, findExecutable, huSha256, writeSyntheticSeries,
  type ConversionName, type SyntheticSeriesOptions,
} from './synthetic-series.js';

const work = mkdtempSync(path.join(tmpdir(), 'lunglens-synthetic-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let counter = 0;
const freshDir = (name: string) => path.join(work, `${counter++}-${name}`);

/**
 * An independent reader: pydicom (with GDCM for compressed data) computes the checksum of the
 * HU values of the given files, in the given order, by the DICOM rules alone (mask to BitsStored,
 * sign-extend, padding → −1024 HU, HU = floor(stored · slope + intercept + 0.5)).
 */
const PYDICOM_SHA = `
import sys, json, hashlib, numpy as np, pydicom
files = json.load(sys.stdin)
h = hashlib.sha256()
for f in files:
    d = pydicom.dcmread(f, force=True)
    if 'TransferSyntaxUID' not in d.file_meta:
        d.file_meta.TransferSyntaxUID = pydicom.uid.ImplicitVRLittleEndian
    a = d.pixel_array.astype(np.int64)
    bs = int(d.BitsStored)
    a = a & ((1 << bs) - 1)
    if int(d.PixelRepresentation) == 1:
        a = np.where(a >= (1 << (bs - 1)), a - (1 << bs), a)
    hu = np.floor(a * float(d.get('RescaleSlope', 1)) + float(d.get('RescaleIntercept', 0)) + 0.5).astype(np.int64)
    if 'PixelPaddingValue' in d:
        pad = int(d.PixelPaddingValue)
        hu = np.where(a == pad, -1024, hu)
    h.update(hu.astype('<i4').tobytes())
print(h.hexdigest())
`;
const hasPydicom = spawnSync('/usr/bin/python3', ['-c', 'import pydicom, numpy'], { encoding: 'utf8' }).status === 0;

function pydicomSha(files: string[]): string {
  const r = spawnSync('/usr/bin/python3', ['-c', PYDICOM_SHA], { input: JSON.stringify(files), encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`pydicom failed: ${r.stderr}`);
  return r.stdout.trim();
}

function header(file: string) {
  const ds = dicomParser.parseDicom(readFileSync(file), { untilTag: 'x7fe00010' });
  const nums = (t: string, n: number) => Array.from({ length: n }, (_, i) => ds.floatString(t, i)!);
  return {
    position: nums('x00200032', 3),
    orientation: nums('x00200037', 6),
    instanceNumber: ds.intString('x00200013')!,
    transferSyntaxUid: ds.string('x00020010'),
    sopInstanceUid: ds.string('x00080018'),
  };
}

const dot = (a: number[], b: number[]) => a.reduce((s, v, i) => s + v * b[i]!, 0);

describe('writeSyntheticSeries geometry', () => {
  it('lists files in slice order (position along the normal), whatever the names and InstanceNumbers say', async () => {
    const s = await writeSyntheticSeries(freshDir('shuffled'), { fileNames: 'shuffled', instanceNumbers: 'descending', slices: 9, seed: 1 });
    const normal = s.direction.slice(6);
    const z = s.files.map((f) => dot(header(f).position, normal));
    expect(z).toEqual([...z].sort((a, b) => a - b));
    expect(z[1]! - z[0]!).toBeCloseTo(2.5, 6);
    expect(s.files.map((f) => header(f).instanceNumber)).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1]);
    const names = s.files.map((f) => path.basename(f));
    expect(names).not.toEqual([...names].sort());
    expect(header(s.files[0]!).position).toEqual(s.originLps.map((v) => Number(v.toPrecision(14))));
    expect(s.files.map((f) => header(f).sopInstanceUid)).toEqual(s.sopInstanceUids);
  });

  it.each([
    ['axial', { orientation: 'axial' }, [0, 0, 1]],
    ['coronal', { orientation: 'coronal' }, [0, 1, 0]],
    ['sagittal', { orientation: 'sagittal' }, [-1, 0, 0]],
  ] as [string, SyntheticSeriesOptions, number[]][])('%s series have the normal %j = row × column', async (_n, opts, normal) => {
    const s = await writeSyntheticSeries(freshDir('orientation'), { ...opts, slices: 3 });
    expect(s.direction.slice(6).map((v) => v + 0)).toEqual(normal);
    expect(header(s.files[0]!).orientation).toEqual(s.direction.slice(0, 6).map((v) => v + 0));
  });

  it('a gantry tilt tilts the image plane while positions step along the table axis', async () => {
    const s = await writeSyntheticSeries(freshDir('tilt'), { gantryTiltDeg: 20, slices: 4, sliceSpacingMm: 3 });
    const step = header(s.files[1]!).position.map((v, i) => v - header(s.files[0]!).position[i]!);
    expect(step[0]).toBeCloseTo(0, 9);
    expect(step[1]).toBeCloseTo(0, 9);
    expect(step[2]).toBeCloseTo(3, 9);
    expect(s.spacingMm[2]).toBeCloseTo(3 * Math.cos((20 * Math.PI) / 180), 9);
    expect(dot(s.direction.slice(6), [0, 0, 1])).toBeCloseTo(Math.cos((20 * Math.PI) / 180), 9);
  });
});

describe('the test object', () => {
  it('is recognisable: air, fat rim, two unequal lungs, a spine, tissue brightening towards the head', async () => {
    const s = await writeSyntheticSeries(freshDir('object'), { columns: 80, rows: 64, slices: 10 });
    const v = s.voxels!;
    const [nx, ny, nz] = s.dimensions;
    const count = (pred: (x: number) => boolean, from = 0, to = v.length) => {
      let n = 0;
      for (let i = from; i < to; i++) if (pred(v[i]!)) n++;
      return n;
    };
    expect(count((x) => x === -1000)).toBeGreaterThan(0);
    expect(count((x) => x >= LUNG_HU - 3 && x <= LUNG_HU + 3)).toBeGreaterThan(v.length / 20);
    expect(count((x) => x >= SPINE_HU - 3 && x <= SPINE_HU + 3)).toBeGreaterThan(0);
    expect(count((x) => x >= FAT_HU - 3 && x <= FAT_HU + 3)).toBeGreaterThan(0);
    // Right lung (patient right = low column index) larger than the left on the middle slice.
    const mid = Math.floor(nz / 2) * nx * ny;
    let right = 0;
    let left = 0;
    for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) {
      const x = v[mid + j * nx + i]!;
      if (x < -800 && x > -900) {
        if (i < nx / 2) right++;
        else left++;
      }
    }
    expect(right).toBeGreaterThan(left);
    // Soft tissue brightens with slice index (inferior → superior).
    const tissueMean = (k: number) => {
      let sum = 0;
      let n = 0;
      for (let i = k * nx * ny; i < (k + 1) * nx * ny; i++) if (v[i]! >= -10 && v[i]! <= 50) {
          sum += v[i]!;
          n++;
        }
      return sum / n;
    };
    expect(tissueMean(nz - 1)).toBeGreaterThan(tissueMean(0) + 20);
  });

  it('slices at the same position are identical, so a reader may keep either', async () => {
    const s = await writeSyntheticSeries(freshDir('dup'), { positionsMm: [0, 2.5, 2.5, 5] });
    const n = s.dimensions[0] * s.dimensions[1];
    expect(Array.from(s.voxels!.subarray(n, 2 * n))).toEqual(Array.from(s.voxels!.subarray(2 * n, 3 * n)));
    expect(Array.from(s.voxels!.subarray(0, n))).not.toEqual(Array.from(s.voxels!.subarray(n, 2 * n)));
  });
});

describe('stored representations give identical HU', () => {
  const base: SyntheticSeriesOptions = { columns: 40, rows: 36, slices: 5, pixelSpacingMm: [0.9, 0.6] };
  const variants: [string, SyntheticSeriesOptions][] = [
    ['signed 16-bit', {}],
    ['unsigned 16-bit, intercept −1024', { signed: false }],
    ['signed 12-bit', { bitsStored: 12 }],
    ['unsigned 12-bit with junk above BitsStored', { signed: false, bitsStored: 12, unusedBits: 'noise' }],
    ['signed, padding −2000 outside the field of view', { pixelPaddingValue: -2000 }],
    ['unsigned 12-bit, padding 0', { signed: false, bitsStored: 12, pixelPaddingValue: 0 }],
    ['signed 12-bit with junk, padding −2000', { bitsStored: 12, unusedBits: 'noise', pixelPaddingValue: -2000 }],
    ['implicit VR', { transferSyntax: 'implicit-little' }],
    ['deflated', { transferSyntax: 'deflated-explicit-little' }],
    ['no preamble', { preamble: false }],
    ['no preamble, no file meta (implicit)', { fileMeta: false, transferSyntax: 'implicit-little' }],
  ];
  let reference: string | undefined;

  it.each(variants)('%s', async (_name, opts) => {
    const s = await writeSyntheticSeries(freshDir('variant'), { ...base, ...opts });
    reference ??= s.valueSha256;
    expect(s.valueSha256).toBe(reference);
    expect(huSha256(s.voxels!)).toBe(s.valueSha256);
    if (hasPydicom) expect(pydicomSha(s.files)).toBe(s.valueSha256);
  });

  it('a rescale slope quantises HU, and the expected volume says so', async () => {
    const s = await writeSyntheticSeries(freshDir('slope'), { ...base, signed: false, rescaleSlope: 2, rescaleIntercept: -1024 });
    expect(s.valueSha256).not.toBe(reference);
    expect(Array.from(s.voxels!).every((x) => (x + 1024) % 2 === 0)).toBe(true);
    if (hasPydicom) expect(pydicomSha(s.files)).toBe(s.valueSha256);
  });

  it('refuses values a representation cannot hold', async () => {
    await expect(writeSyntheticSeries(freshDir('bad'), { ...base, signed: false, rescaleIntercept: 0 })).rejects.toThrow(/outside the unsigned 16-bit range/);
  });

  it.skipIf(!hasPydicom)('coronal and tilted series decode the same with pydicom', async () => {
    for (const opts of [{ orientation: 'coronal' }, { gantryTiltDeg: 12, fileNames: 'shuffled', instanceNumbers: 'shuffled' }] as SyntheticSeriesOptions[]) {
      const s = await writeSyntheticSeries(freshDir('planes'), { ...base, ...opts });
      expect(pydicomSha(s.files)).toBe(s.valueSha256);
    }
  });
});

const hasDciodvfy = findExecutable('dciodvfy') !== null;
describe('conformance', () => {
  it.skipIf(!hasDciodvfy)('dciodvfy finds no errors or warnings in a CT image of each kind', async () => {
    for (const opts of [{}, { signed: false, bitsStored: 12, pixelPaddingValue: 0 }, { orientation: 'coronal' }] as SyntheticSeriesOptions[]) {
      const s = await writeSyntheticSeries(freshDir('dciodvfy'), { slices: 2, ...opts });
      const r = spawnSync('dciodvfy', [s.files[0]!], { encoding: 'utf8' });
      const report = `${r.stdout}${r.stderr}`;
      expect(report).toContain('CTImage');
      expect(report).not.toMatch(/^(Error|Warning)/m);
    }
  });
});

describe('convertWith', () => {
  const names = Object.keys(CONVERSIONS) as ConversionName[];
  let source: Awaited<ReturnType<typeof writeSyntheticSeries>> | undefined;
  const series = async () => (source ??= await writeSyntheticSeries(freshDir('convert-src'), {
    columns: 48, rows: 40, slices: 4, bitsStored: 12, pixelPaddingValue: -2000, fileNames: 'shuffled',
  }));

  it.each(names)('%s keeps every HU and writes its transfer syntax', async (name) => {
    const c = CONVERSIONS[name];
    if (!findExecutable(c.tool)) {
      console.warn(`skipped: ${c.tool} is not installed`);
      return;
    }
    const s = await series();
    const dst = freshDir(name);
    const written = await convertNamed(name, s.dir, dst, { concurrency: 2 });
    expect(written).not.toBeNull();
    const byName = new Map(written!.map((f) => [path.basename(f), f]));
    const inSliceOrder = s.files.map((f) => byName.get(path.basename(f))!);
    for (const f of inSliceOrder) {
      const meta = dicomParser.parseDicom(readFileSync(f), { untilTag: 'x00020010' });
      expect(meta.string('x00020010')).toBe(c.transferSyntaxUid);
    }
    if (hasPydicom) expect(pydicomSha(inSliceOrder)).toBe(s.valueSha256);
  });

  it('returns null when the tool is missing, and converts a single file', async () => {
    const s = await series();
    expect(await convertWith('no-such-dicom-tool', [], s.files[0]!, path.join(work, 'x.dcm'))).toBeNull();
    if (findExecutable('dcmconv')) {
      const out = await convertWith('dcmconv', ['+te'], s.files[0]!, path.join(freshDir('single'), 'one.dcm'));
      expect(out).toHaveLength(1);
    }
  });

  it('reports the tool’s own message when a conversion fails', async () => {
    if (!findExecutable('dcmconv')) return;
    const junk = path.join(work, 'junk.txt');
    (await import('node:fs')).writeFileSync(junk, 'not dicom');
    await expect(convertWith('dcmconv', [], junk, path.join(work, 'junk.dcm'))).rejects.toThrow(/dcmconv {2}failed on .*junk\.txt/);
  });
});
