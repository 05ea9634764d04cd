import { deflateSync, gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import type { Vec3 } from '../geometry/vec3.js';
import { failure, indexValues, sampleBytes, scratchDir } from './__tests__/fixtures.js';
import { parseMetaImageHeader, readMetaImage } from './metaimage.js';
import type { SampleType } from './samples.js';
import type { FormatVolume } from './types.js';

const scratch = scratchDir();
afterAll(() => scratch.cleanup());
let counter = 0;

const DIMS: Vec3 = [4, 3, 5];
const VALUES = indexValues(...DIMS);

/** A header in the order ITK writes it; `extra` lines go before ElementDataFile, which is last. */
function header(fields: Record<string, string | number>, dataFile: string): string {
  const lines = Object.entries(fields).map(([k, v]) => `${k} = ${v}`);
  return `${lines.join('\n')}\nElementDataFile = ${dataFile}\n`;
}

const BASE = {
  ObjectType: 'Image',
  NDims: 3,
  BinaryData: 'True',
  BinaryDataByteOrderMSB: 'False',
  CompressedData: 'False',
  TransformMatrix: '1 0 0 0 1 0 0 0 1',
  Offset: '-100 -120 -300',
  CenterOfRotation: '0 0 0',
  AnatomicalOrientation: 'RAI',
  ElementSpacing: '0.7 0.8 2.5',
  DimSize: DIMS.join(' '),
  ElementType: 'MET_SHORT',
};

function without(fields: Record<string, string | number>, ...keys: string[]): Record<string, string | number> {
  return Object.fromEntries(Object.entries(fields).filter(([k]) => !keys.includes(k)));
}

async function mha(fields: Record<string, string | number>, data: Uint8Array): Promise<FormatVolume> {
  const bytes = Buffer.concat([Buffer.from(header(fields, 'LOCAL'), 'latin1'), data]);
  return readMetaImage(scratch.file(`case-${counter++}.mha`, bytes));
}

async function mhd(fields: Record<string, string | number>, data: Uint8Array, ext = 'raw'): Promise<FormatVolume> {
  const base = `case-${counter++}`;
  scratch.file(`${base}.${ext}`, data);
  return readMetaImage(scratch.file(`${base}.mhd`, header(fields, `${base}.${ext}`)));
}

/**
 * Every voxel of the file must be found at origin + Σ axis_a · spacing_a · index_a (ITK's rule,
 * LPS), with its value; our slice index is the file's, reversed for a left-handed matrix.
 */
function expectSameVoxels(r: FormatVolume, axes: [Vec3, Vec3, Vec3], spacing: Vec3, origin: Vec3, values: ArrayLike<number>, reversed = false): void {
  const [nx, ny, nz] = DIMS;
  for (let k = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++) {
        const ours = reversed ? nz - 1 - k : k;
        const p = r.volume.voxelToLps(i, j, ours);
        for (let c = 0; c < 3; c++) {
          const expected = origin[c]! + axes[0][c]! * spacing[0] * i + axes[1][c]! * spacing[1] * j + axes[2][c]! * spacing[2] * k;
          expect(p[c]).toBeCloseTo(expected, 6);
        }
        expect(r.volume.voxels[i + nx * (j + ny * ours)]).toBe(Math.round(values[i + nx * (j + ny * k)]!));
      }
    }
  }
}

describe('readMetaImage', () => {
  it('reads a .mhd with its .raw: geometry, values and files', async () => {
    const r = await mhd(BASE, sampleBytes(VALUES, 'int16'));
    expect(r.source).toBe('metaimage');
    expect(r.files).toHaveLength(2);
    expect(r.files[1]).toMatch(/\.raw$/);
    expect(r.volume.dimensions).toEqual(DIMS);
    expect(r.volume.spacingMm).toEqual([0.7, 0.8, 2.5]);
    expect(r.volume.originLps).toEqual([-100, -120, -300]);
    expect(r.volume.direction).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 1]);
    expect(r.warnings).toEqual([]);
    expect(r.description).toContain('AnatomicalOrientation RAI');
    // A voxel whose position we know: (3, 2, 4) → (−100 + 2.1, −120 + 1.6, −300 + 10).
    const p = r.volume.voxelToLps(3, 2, 4);
    expect(p[0]).toBeCloseTo(-97.9, 6);
    expect(p[1]).toBeCloseTo(-118.4, 6);
    expect(p[2]).toBeCloseTo(-290, 6);
    expectSameVoxels(r, [[1, 0, 0], [0, 1, 0], [0, 0, 1]], [0.7, 0.8, 2.5], [-100, -120, -300], VALUES);
  });

  it('reads TransformMatrix as ITK writes it: the direction cosines of axis 0, then axis 1, then axis 2', async () => {
    // Rotation by 30° about z. ITK writes transformMatrix[a·3 + c] = direction of axis a, component c,
    // so the first three numbers are where i runs. A row-major reading would turn it the other way.
    const c = Math.cos(Math.PI / 6);
    const s = Math.sin(Math.PI / 6);
    const r = await mha({ ...BASE, TransformMatrix: `${c} ${s} 0 ${-s} ${c} 0 0 0 1` }, sampleBytes(VALUES, 'int16'));
    const step = r.volume.voxelToLps(1, 0, 0);
    expect(step[0] - r.volume.originLps[0]).toBeCloseTo(0.7 * c, 9);
    expect(step[1] - r.volume.originLps[1]).toBeCloseTo(0.7 * s, 9);
    expectSameVoxels(r, [[c, s, 0], [-s, c, 0], [0, 0, 1]], [0.7, 0.8, 2.5], [-100, -120, -300], VALUES);
  });

  it('reads a coronal grid (i → left, j → inferior, k → posterior)', async () => {
    const r = await mha({ ...BASE, TransformMatrix: '1 0 0 0 0 -1 0 1 0' }, sampleBytes(VALUES, 'int16'));
    expect(r.volume.direction).toEqual([1, 0, 0, 0, 0, -1, 0, 1, 0]);
    expect(r.description).toContain('voxel axes LIP');
    expectSameVoxels(r, [[1, 0, 0], [0, 0, -1], [0, 1, 0]], [0.7, 0.8, 2.5], [-100, -120, -300], VALUES);
  });

  it('reverses the slices of a left-handed matrix, keeping every voxel in place', async () => {
    const r = await mha({ ...BASE, TransformMatrix: '1 0 0 0 1 0 0 0 -1' }, sampleBytes(VALUES, 'int16'));
    expect(r.volume.direction).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 1]);
    expect(r.volume.originLps).toEqual([-100, -120, -310]);
    expect(r.description).toContain('slice order reversed');
    expectSameVoxels(r, [[1, 0, 0], [0, 1, 0], [0, 0, -1]], [0.7, 0.8, 2.5], [-100, -120, -300], VALUES, true);
  });

  it('accepts Position/Origin and Rotation/Orientation as synonyms, and keys in any case', async () => {
    const r = await mha({ ...without(BASE, 'Offset', 'TransformMatrix'), position: '1 2 3', Orientation: '1 0 0 0 1 0 0 0 1' }, sampleBytes(VALUES, 'int16'));
    expect(r.volume.originLps).toEqual([1, 2, 3]);
  });

  // MetaIO's element types (MET_ValueEnumType) and the sample each stores.
  const types: [string, SampleType][] = [['MET_CHAR', 'int8'], ['MET_UCHAR', 'uint8'], ['MET_SHORT', 'int16'], ['MET_USHORT', 'uint16'], ['MET_INT', 'int32'], ['MET_UINT', 'uint32'], ['MET_FLOAT', 'float32'], ['MET_DOUBLE', 'float64']];
  for (const [elementType, sampleType] of types) {
    it(`reads ${elementType} in both byte orders`, async () => {
      const stored = [0, 1, 2, 3, 100, 127, 50, 7];
      const fields = { ...BASE, DimSize: '2 2 2', ElementType: elementType };
      const little = await mha(fields, sampleBytes(stored, sampleType, true));
      const big = await mha({ ...fields, BinaryDataByteOrderMSB: 'True' }, sampleBytes(stored, sampleType, false));
      const old = await mha({ ...without(fields, 'BinaryDataByteOrderMSB'), ElementByteOrderMSB: 'True' }, sampleBytes(stored, sampleType, false));
      for (const r of [little, big, old]) expect(Array.from(r.volume.voxels)).toEqual(stored);
    });
  }

  it('rounds floats and clamps beyond Int16 with a warning', async () => {
    const r = await mha({ ...BASE, DimSize: '2 2 1', ElementType: 'MET_FLOAT' }, sampleBytes([-1000.5, 2.5, 1e6, -1e6], 'float32'));
    expect(Array.from(r.volume.voxels)).toEqual([-1000, 3, 32767, -32768]);
    expect(r.warnings.map((w) => w.code)).toContain('values-clamped');
  });

  it('reads zlib-compressed LOCAL data (.mha) with and without CompressedDataSize', async () => {
    const zipped = deflateSync(sampleBytes(VALUES, 'int16'));
    const a = await mha({ ...BASE, CompressedData: 'True', CompressedDataSize: zipped.length }, zipped);
    const b = await mha({ ...BASE, CompressedData: 'True' }, zipped);
    expect(Array.from(a.volume.voxels)).toEqual(VALUES);
    expect(Array.from(b.volume.voxels)).toEqual(VALUES);
    expect(a.description).toContain('zlib-compressed');
  });

  it('reads a .mhd with a compressed .zraw (zlib or gzip stream)', async () => {
    const raw = sampleBytes(VALUES, 'int16');
    const a = await mhd({ ...BASE, CompressedData: 'True' }, deflateSync(raw), 'zraw');
    const b = await mhd({ ...BASE, CompressedData: 'True' }, gzipSync(raw), 'zraw');
    expect(Array.from(a.volume.voxels)).toEqual(VALUES);
    expect(Array.from(b.volume.voxels)).toEqual(VALUES);
  });

  it('skips HeaderSize bytes of the data file, and reads the tail for HeaderSize = -1', async () => {
    const data = Buffer.concat([Buffer.alloc(37, 0xee), sampleBytes(VALUES, 'int16')]);
    const a = await mhd({ ...BASE, HeaderSize: 37 }, data);
    const b = await mhd({ ...BASE, HeaderSize: -1 }, data);
    expect(Array.from(a.volume.voxels)).toEqual(VALUES);
    expect(Array.from(b.volume.voxels)).toEqual(VALUES);
  });

  it('reads a 2-D image as one slice, and the first volume of a 4-D image', async () => {
    const flat = await mha({ ...BASE, NDims: 2, DimSize: '4 3', ElementSpacing: '0.5 0.5', Offset: '1 2', TransformMatrix: '1 0 0 1' }, sampleBytes(VALUES.slice(0, 12), 'int16'));
    expect(flat.volume.dimensions).toEqual([4, 3, 1]);
    expect(flat.volume.originLps).toEqual([1, 2, 0]);
    const four = await mha(
      { ...BASE, NDims: 4, DimSize: `${DIMS.join(' ')} 2`, ElementSpacing: '0.7 0.8 2.5 1', Offset: '0 0 0 0', TransformMatrix: '1 0 0 0 0 1 0 0 0 0 1 0 0 0 0 1' },
      sampleBytes([...VALUES, ...VALUES], 'int16'),
    );
    expect(four.warnings.map((w) => w.code)).toContain('first-volume-only');
    expect(Array.from(four.volume.voxels)).toEqual(VALUES);
  });

  it('assumes 1 mm without ElementSpacing, with a warning', async () => {
    const r = await mha(without(BASE, 'ElementSpacing'), sampleBytes(VALUES, 'int16'));
    expect(r.volume.spacingMm).toEqual([1, 1, 1]);
    expect(r.warnings.map((w) => w.code)).toContain('spacing-unknown');
  });

  it('parses headers with CRLF line ends and stops at ElementDataFile', () => {
    const text = 'ObjectType = Image\r\nNDims = 3\r\nElementDataFile = LOCAL\r\n\x00\x01binary';
    const parsed = parseMetaImageHeader(Buffer.from(text, 'latin1'), 'x.mha');
    expect(parsed.fields.get('NDims')).toBe('3');
    expect(parsed.dataOffset).toBe(text.indexOf('\x00'));
  });
});

describe('readMetaImage errors', () => {
  it('rejects a truncated .raw', async () => {
    const e = await failure(mhd(BASE, sampleBytes(VALUES, 'int16').subarray(0, 50)));
    expect(e.code).toBe('corrupt-file');
    expect(e.message).toMatch(/truncated/);
  });

  it('rejects a truncated .mha and a truncated compressed stream', async () => {
    expect((await failure(mha(BASE, sampleBytes(VALUES, 'int16').subarray(0, 10)))).code).toBe('corrupt-file');
    const zipped = deflateSync(sampleBytes(VALUES, 'int16'));
    expect((await failure(mha({ ...BASE, CompressedData: 'True' }, zipped.subarray(0, zipped.length / 2)))).code).toBe('corrupt-file');
  });

  it('reports a missing data file', async () => {
    const path = scratch.file(`lonely-${counter++}.mhd`, header(BASE, 'nowhere.raw'));
    const e = await failure(readMetaImage(path));
    expect(e.code).toBe('unreadable');
    expect(e.message).toMatch(/nowhere\.raw/);
  });

  it('rejects binary junk and headers without ElementDataFile', async () => {
    const junk = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x01, 0x02, 0x0a, 0x03]);
    expect((await failure(readMetaImage(scratch.file(`junk-${counter++}.mha`, junk)))).code).toBe('corrupt-file');
    const noData = 'ObjectType = Image\nNDims = 3\nDimSize = 2 2 2\n';
    const e = await failure(readMetaImage(scratch.file(`nodata-${counter++}.mhd`, noData)));
    expect(e.code).toBe('corrupt-file');
    expect(e.message).toMatch(/ElementDataFile/);
  });

  it('rejects bad or missing fields with a sentence', async () => {
    const data = sampleBytes(VALUES, 'int16');
    expect((await failure(mha(without(BASE, 'DimSize'), data))).message).toMatch(/DimSize/);
    expect((await failure(mha({ ...BASE, DimSize: '4 x 5' }, data))).code).toBe('corrupt-file');
    expect((await failure(mha({ ...BASE, NDims: 'three' }, data))).code).toBe('corrupt-file');
    expect((await failure(mha({ ...BASE, ElementSpacing: '0.7 0 2' }, data))).code).toBe('corrupt-file');
  });

  it('rejects what it does not support, saying what', async () => {
    const data = sampleBytes(VALUES, 'int16');
    const list = await failure(readMetaImage(scratch.file(`list-${counter++}.mhd`, header(BASE, 'LIST 2D'))));
    expect(list.code).toBe('unsupported-format');
    expect(list.message).toMatch(/LIST/);
    const pattern = await failure(readMetaImage(scratch.file(`pat-${counter++}.mhd`, header(BASE, 'slice%03d.raw 1 5 1'))));
    expect(pattern.code).toBe('unsupported-format');
    expect((await failure(mha({ ...BASE, ElementType: 'MET_STRING' }, data))).code).toBe('unsupported-format');
    expect((await failure(mha({ ...BASE, ElementNumberOfChannels: 3 }, data))).code).toBe('unsupported-format');
    expect((await failure(mha({ ...BASE, BinaryData: 'False' }, data))).code).toBe('unsupported-format');
    expect((await failure(mha({ ...BASE, ObjectType: 'Mesh' }, data))).code).toBe('unsupported-format');
  });

  it('rejects absurd declared sizes', async () => {
    const e = await failure(mha({ ...BASE, DimSize: '100000 100000 1000' }, Buffer.alloc(16)));
    expect(e.code).toBe('too-large');
  });

  it('rejects a compressed stream that inflates to far more than declared', async () => {
    const bomb = deflateSync(Buffer.alloc(10_000_000));
    const e = await failure(mha({ ...BASE, CompressedData: 'True' }, bomb));
    expect(e.code).toBe('too-large');
  });
});
