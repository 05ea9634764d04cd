import { afterAll, describe, expect, it } from 'vitest';
import { LungLensError } from '../errors.js';
import { apply, gzip, indexValues, niftiBytes, scratchDir, type Matrix34, type NiftiSpec } from './__tests__/fixtures.js';
import { readNifti } from './nifti.js';
import type { FormatVolume } from './types.js';

const scratch = scratchDir();
afterAll(() => scratch.cleanup());
let counter = 0;

async function read(spec: NiftiSpec, options: { gz?: boolean } = {}): Promise<FormatVolume> {
  const bytes = niftiBytes(spec);
  const name = `case-${counter++}.nii${options.gz ? '.gz' : ''}`;
  return readNifti(scratch.file(name, options.gz ? gzip(bytes) : bytes));
}

async function readError(spec: NiftiSpec | Uint8Array, name = `bad-${counter++}.nii`): Promise<LungLensError> {
  const bytes = spec instanceof Uint8Array ? spec : niftiBytes(spec);
  const error = await readNifti(scratch.file(name, bytes)).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(LungLensError);
  return error as LungLensError;
}

const det3 = (m: Matrix34): number =>
  m[0][0]! * (m[1][1]! * m[2][2]! - m[1][2]! * m[2][1]!) -
  m[0][1]! * (m[1][0]! * m[2][2]! - m[1][2]! * m[2][0]!) +
  m[0][2]! * (m[1][0]! * m[2][1]! - m[1][1]! * m[2][0]!);

/**
 * The one check that matters: every voxel of the file, placed by the RAS affine, must be found
 * in our volume at the same LPS position (x and y negated) with the same value. Our slice index
 * is the file's, reversed when the grid is left-handed; i and j are never touched.
 */
function expectSameVoxels(result: FormatVolume, rasAffine: Matrix34, dims: [number, number, number], values: ArrayLike<number>): void {
  const [nx, ny, nz] = dims;
  const { volume } = result;
  expect(volume.dimensions).toEqual(dims);
  const reversed = det3(rasAffine) < 0;
  for (let k = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++) {
        const [x, y, z] = apply(rasAffine, i, j, k);
        const ours = reversed ? nz - 1 - k : k;
        const lps = volume.voxelToLps(i, j, ours);
        expect(lps[0]).toBeCloseTo(-x, 4);
        expect(lps[1]).toBeCloseTo(-y, 4);
        expect(lps[2]).toBeCloseTo(z, 4);
        expect(volume.voxels[i + nx * (j + ny * ours)]).toBe(Math.round(values[i + nx * (j + ny * k)]!));
      }
    }
  }
}

const DIMS: [number, number, number] = [4, 3, 5];
const VALUES = indexValues(...DIMS);

describe('readNifti geometry', () => {
  it('puts a known voxel at its LPS position: RAS sform of a radiological (LPS-stored) grid', async () => {
    // The common CT case: i towards patient left, j towards posterior, k superior.
    const sform: Matrix34 = [
      [-0.7, 0, 0, 90],
      [0, -0.7, 0, 120],
      [0, 0, 2.5, -300],
    ];
    const r = await read({ dims: DIMS, values: VALUES, sform, pixdim: [0.7, 0.7, 2.5] });
    expect(r.volume.direction).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 1]);
    expect(r.volume.spacingMm).toEqual([expect.closeTo(0.7, 6), expect.closeTo(0.7, 6), 2.5]);
    expect(r.volume.originLps).toEqual([-90, -120, -300]);
    // Voxel (3, 2, 4): RAS (90 − 2.1, 120 − 1.4, −300 + 10) → LPS (−87.9, −118.6, −290).
    const p = r.volume.voxelToLps(3, 2, 4);
    expect(p[0]).toBeCloseTo(-87.9, 5);
    expect(p[1]).toBeCloseTo(-118.6, 5);
    expect(p[2]).toBeCloseTo(-290, 5);
    expect(r.description).toContain('voxel axes LPS');
    expectSameVoxels(r, sform, DIMS, VALUES);
  });

  it('reads a RAS-stored grid (nibabel canonical) with row and column pointing right and anterior', async () => {
    const sform: Matrix34 = [
      [3, 0, 0, -177.9],
      [0, 3, 0, 11.3],
      [0, 0, 3, 94.3],
    ];
    const r = await read({ dims: DIMS, values: VALUES, sform });
    expect(r.volume.direction).toEqual([-1, 0, 0, 0, -1, 0, 0, 0, 1]);
    expect(r.volume.originLps).toEqual([expect.closeTo(177.9, 4), expect.closeTo(-11.3, 4), expect.closeTo(94.3, 4)]);
    expect(r.description).toContain('voxel axes RAS');
    expect(r.warnings).toEqual([]);
    expectSameVoxels(r, sform, DIMS, VALUES);
  });

  it('reverses the slices of a left-handed grid so that normal = row × column, keeping every voxel in place', async () => {
    // dcm2niix-style: rows stored bottom-up (j anterior) and i to the left → det < 0.
    const sform: Matrix34 = [
      [-0.8, 0, 0, 100],
      [0, 0.8, 0, -80],
      [0, 0, 2, -50],
    ];
    const r = await read({ dims: DIMS, values: VALUES, sform });
    const v = r.volume;
    expect(v.direction).toEqual([1, 0, 0, 0, -1, 0, 0, 0, -1]);
    // Origin = the file's last slice: z = −50 + 2·4.
    expect(v.originLps).toEqual([-100, 80, expect.closeTo(-42, 5)]);
    expect(v.spacingMm[2]).toBeCloseTo(2, 6);
    expect(r.description).toContain('slice order reversed');
    expectSameVoxels(r, sform, DIMS, VALUES);
    // Our slice 0 is the file's slice 4.
    expect(Array.from(v.slice(0).slice(0, 2))).toEqual([-600, -599]);
  });

  it('handles an oblique (rotated) sform', async () => {
    const t = (25 * Math.PI) / 180;
    const sform: Matrix34 = [
      [0.9 * Math.cos(t), -0.9 * Math.sin(t), 0, 10],
      [0.9 * Math.sin(t), 0.9 * Math.cos(t), 0, 20],
      [0, 0, 1.25, 30],
    ];
    const r = await read({ dims: DIMS, values: VALUES, sform });
    expect(r.warnings).toEqual([]);
    expectSameVoxels(r, sform, DIMS, VALUES);
  });

  it('warns about a sheared grid and still places the first slice exactly', async () => {
    const sform: Matrix34 = [
      [1, 0, 0, 0],
      [0, 1, 0.3, 0],
      [0, 0, 2, 0],
    ];
    const r = await read({ dims: DIMS, values: VALUES, sform });
    expect(r.warnings.map((w) => w.code)).toContain('sheared-grid');
    expect(r.volume.voxelToLps(2, 1, 0)).toEqual([-2, -1, 0]);
    // The slice spacing is the distance between slices along the normal.
    expect(r.volume.spacingMm[2]).toBeCloseTo(2, 6);
  });

  it('prefers the sform over the qform, whatever their codes (as nibabel does)', async () => {
    const sform: Matrix34 = [
      [-1, 0, 0, 5],
      [0, -1, 0, 6],
      [0, 0, 1, 7],
    ];
    const r = await read({
      dims: DIMS,
      values: VALUES,
      sform,
      sformCode: 1,
      qformCode: 2,
      qform: { b: 0, c: 0, d: 1, offset: [100, 100, 100] },
    });
    expect(r.description).toContain('sform (code 1)');
    expectSameVoxels(r, sform, DIMS, VALUES);
  });

  it('uses the qform when there is no sform: a 90° rotation about z', async () => {
    const s = Math.SQRT1_2;
    const r = await read({
      dims: DIMS,
      values: VALUES,
      pixdim: [0.5, 0.6, 2],
      qformCode: 1,
      qform: { b: 0, c: 0, d: s, offset: [-10, 20, 30] },
    });
    // R(z, 90°): i → +y (anterior), j → −x (right).
    const expected: Matrix34 = [
      [0, -0.6, 0, -10],
      [0.5, 0, 0, 20],
      [0, 0, 2, 30],
    ];
    expect(r.description).toContain('qform (code 1)');
    expectSameVoxels(r, expected, DIMS, VALUES);
  });

  it('applies qfac = −1 from pixdim[0] (a left-handed qform grid, then reversed)', async () => {
    const r = await read({
      dims: DIMS,
      values: VALUES,
      pixdim: [1, 1, 3],
      qfac: -1,
      qformCode: 1,
      qform: { b: 0, c: 0, d: 0, offset: [0, 0, 0] },
    });
    const expected: Matrix34 = [
      [1, 0, 0, 0],
      [0, 1, 0, 0],
      [0, 0, -3, 0],
    ];
    expect(r.description).toContain('slice order reversed');
    expectSameVoxels(r, expected, DIMS, VALUES);
  });

  it('falls back to pixdim when neither form is set, and says so', async () => {
    const r = await read({ dims: DIMS, values: VALUES, pixdim: [0.5, 0.5, 2] });
    expect(r.warnings.map((w) => w.code)).toEqual(['orientation-unknown']);
    expectSameVoxels(
      r,
      [
        [0.5, 0, 0, 0],
        [0, 0.5, 0, 0],
        [0, 0, 2, 0],
      ],
      DIMS,
      VALUES,
    );
  });

  it('converts metres to millimetres', async () => {
    const r = await read({ dims: DIMS, values: VALUES, xyztUnits: 1, sform: [[0.001, 0, 0, 0.1], [0, 0.001, 0, 0], [0, 0, 0.002, 0]] });
    expect(r.warnings.map((w) => w.code)).toContain('units-converted');
    expect(r.volume.spacingMm).toEqual([expect.closeTo(1, 5), expect.closeTo(1, 5), expect.closeTo(2, 5)]);
    expect(r.volume.originLps[0]).toBeCloseTo(-100, 3);
  });

  it('reads a NIfTI-2 file, gzipped, big-endian', async () => {
    const sform: Matrix34 = [
      [-0.75, 0, 0, 1],
      [0, -0.75, 0, 2],
      [0, 0, 1.5, 3],
    ];
    const r = await read({ version: 2, dims: DIMS, values: VALUES, sform, littleEndian: false }, { gz: true });
    expect(r.description).toMatch(/^NIfTI-2 int16/);
    expectSameVoxels(r, sform, DIMS, VALUES);
  });

  it('reads the same volume from .nii and .nii.gz', async () => {
    const spec: NiftiSpec = { dims: DIMS, values: VALUES, sform: [[-1, 0, 0, 0], [0, -1, 0, 0], [0, 0, 1, 0]] };
    const plain = await read(spec);
    const zipped = await read(spec, { gz: true });
    expect(zipped.volume.voxels).toEqual(plain.volume.voxels);
    expect(zipped.volume.originLps).toEqual(plain.volume.originLps);
  });

  it('treats vox_offset 0 as "right after the header" (352)', async () => {
    const r = await read({ dims: DIMS, values: VALUES, voxOffset: 0 });
    expect(r.volume.voxels[5]).toBe(VALUES[5]);
  });

  it('reads only the first volume of a 4-D file, with a warning', async () => {
    const values = [...VALUES, ...VALUES.map((v) => v + 1000)];
    const r = await read({ dims: [...DIMS, 2], values });
    expect(r.warnings.map((w) => w.code)).toEqual(['first-volume-only', 'orientation-unknown']);
    expect(Array.from(r.volume.voxels)).toEqual(VALUES);
  });
});

describe('readNifti values', () => {
  const types = ['int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'float32', 'float64'] as const;
  for (const type of types) {
    for (const littleEndian of [true, false]) {
      it(`reads ${type} (${littleEndian ? 'little' : 'big'}-endian) and applies scl_slope/scl_inter`, async () => {
        const stored = [0, 1, 2, 3, 100, 127, 50, 7];
        const r = await read({ dims: [2, 2, 2], type, values: stored, littleEndian, slope: 2, intercept: -1000 });
        expect(Array.from(r.volume.voxels)).toEqual(stored.map((v) => v * 2 - 1000));
        expect(r.volume.units).toBe('HU');
      });
    }
  }

  it('rounds half up (Math.round) after scaling', async () => {
    const stored = [1.25, -0.75, 0.25, -1.25, 2.5, -2.5, 0.1, -0.1];
    const r = await read({ dims: [2, 2, 2], type: 'float32', values: stored, slope: 2, intercept: 0 });
    // 2.5 → 3, −1.5 → −1, 0.5 → 1, −2.5 → −2, 5 → 5, −5 → −5, 0.2 → 0, −0.2 → 0
    expect(Array.from(r.volume.voxels)).toEqual([3, -1, 1, -2, 5, -5, 0, 0]);
  });

  it('ignores scl_slope = 0 (no scaling), as the NIfTI standard says', async () => {
    const r = await read({ dims: [2, 1, 1], values: [-1000, 40], slope: 0, intercept: 500 });
    expect(Array.from(r.volume.voxels)).toEqual([-1000, 40]);
  });

  it('clamps values beyond Int16 and warns', async () => {
    const r = await read({ dims: [2, 2, 1], type: 'int32', values: [40000, -40000, -1000, 32767] });
    expect(Array.from(r.volume.voxels)).toEqual([32767, -32768, -1000, 32767]);
    const warning = r.warnings.find((w) => w.code === 'values-clamped');
    expect(warning?.message).toMatch(/^2 voxel value\(s\)/);
  });

  it('warns when the values look like normalised intensities', async () => {
    const r = await read({ dims: [2, 2, 1], type: 'float32', values: [0, 0.25, 0.5, 1] });
    expect(r.volume.units).toBe('HU');
    expect(r.warnings.map((w) => w.code)).toContain('values-not-hu?');
  });

  it('warns when the values look like an 8-bit picture', async () => {
    const r = await read({ dims: [2, 2, 1], type: 'uint8', values: [0, 10, 128, 255] });
    expect(r.warnings.find((w) => w.code === 'values-not-hu?')?.message).toMatch(/8-bit/);
  });

  it('does not warn for plausible CT values', async () => {
    const r = await read({ dims: [2, 2, 1], values: [-1024, -800, 40, 1200], sform: [[-1, 0, 0, 0], [0, -1, 0, 0], [0, 0, 1, 0]] });
    expect(r.warnings).toEqual([]);
  });

  it('sets NaN to −1024 with a warning', async () => {
    const r = await read({ dims: [2, 1, 1], type: 'float32', values: [NaN, -500] });
    expect(Array.from(r.volume.voxels)).toEqual([-1024, -500]);
    expect(r.warnings.map((w) => w.code)).toContain('non-finite-values');
  });
});

describe('readNifti errors', () => {
  it('rejects a truncated file', async () => {
    const e = await readError({ dims: DIMS, values: VALUES, truncateTo: 352 + 50 });
    expect(e.code).toBe('corrupt-file');
    expect(e.message).toMatch(/truncated/);
  });

  it('rejects a truncated .nii.gz', async () => {
    const zipped = gzip(niftiBytes({ dims: DIMS, values: VALUES }));
    const e = await readError(zipped.subarray(0, zipped.length - 20), `cut-${counter++}.nii.gz`);
    expect(e.code).toBe('corrupt-file');
  });

  it('refuses a .nii.gz that inflates to far more than its header declares', async () => {
    const header = niftiBytes({ dims: [2, 2, 2], values: new Array(8).fill(0) });
    const bomb = gzip(Buffer.concat([header, Buffer.alloc(40 * 1024 * 1024)]));
    const e = await readError(bomb, `bomb-${counter++}.nii.gz`);
    expect(e.code).toBe('too-large');
  });

  it('rejects gzip data that is not a NIfTI, or not gzip at all past its magic', async () => {
    expect((await readError(gzip(Buffer.from('hello')), `tiny-${counter++}.nii.gz`)).code).toBe('corrupt-file');
    expect((await readError(Buffer.from([0x1f, 0x8b, 1, 2, 3, 4, 5, 6, 7, 8, 9]), `junk-${counter++}.nii.gz`)).code).toBe('corrupt-file');
  });

  it('rejects a file that is not NIfTI', async () => {
    const e = await readError(Buffer.alloc(400, 0x41));
    expect(e.code).toBe('corrupt-file');
    expect(e.message).toMatch(/does not start with a NIfTI header/);
  });

  it('rejects a file shorter than a header', async () => {
    expect((await readError(Buffer.from('hello'))).code).toBe('corrupt-file');
  });

  it('rejects an Analyze header and the header of a .hdr/.img pair', async () => {
    expect((await readError({ dims: DIMS, values: VALUES, magic: '\0\0\0' })).code).toBe('unsupported-format');
    const pair = await readError({ dims: DIMS, values: VALUES, magic: 'ni1' });
    expect(pair.code).toBe('unsupported-format');
    expect(pair.message).toMatch(/pair/);
  });

  it('rejects unsupported sample types with their name', async () => {
    const e = await readError({ dims: [2, 1, 1], values: [0, 0], datatypeCode: 128 });
    expect(e.code).toBe('unsupported-format');
    expect(e.message).toMatch(/RGB24/);
  });

  it('rejects absurd declared sizes before allocating anything', async () => {
    const e = await readError({ dims: [30000, 30000, 30000], values: [0] });
    expect(e.code).toBe('too-large');
  });

  it('rejects invalid dimensions', async () => {
    expect((await readError({ dims: [4, 0, 5], values: [] })).code).toBe('corrupt-file');
    expect((await readError({ dims: [4, -3, 5], values: [] })).code).toBe('corrupt-file');
  });

  it('rejects a degenerate sform', async () => {
    const e = await readError({ dims: DIMS, values: VALUES, sform: [[1, 0, 0, 0], [0, 0, 0, 0], [0, 0, 1, 0]] });
    expect(e.code).toBe('invalid-volume');
  });

  it('reports empty and missing files', async () => {
    expect((await readError(Buffer.alloc(0))).code).toBe('empty-file');
    const missing = await readNifti(`${scratch.dir}/nope.nii`).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(LungLensError);
    expect((missing as LungLensError).code).toBe('unreadable');
  });
});
