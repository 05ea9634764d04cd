/**
 * Test fixtures written by hand, byte by byte, so that the format readers are checked against
 * the specifications rather than against a writer that shares their assumptions.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import jpeg from 'jpeg-js';
import { expect } from 'vitest';
import { LungLensError } from '../../errors.js';
import { SAMPLE_BYTES, type SampleType } from '../samples.js';

export { pngBytes } from '../../testing/png-bytes.js';

export const NIFTI_DATATYPE: Record<SampleType, number> = {
  int8: 256,
  uint8: 2,
  int16: 4,
  uint16: 512,
  int32: 8,
  uint32: 768,
  float32: 16,
  float64: 64,
};

/** Rows x, y, z; columns i, j, k, translation (RAS for NIfTI). */
export type Matrix34 = [number[], number[], number[]];

export interface NiftiSpec {
  version?: 1 | 2;
  /** dim[1..]: e.g. [nx, ny, nz] or [nx, ny, nz, nt]. */
  dims: number[];
  type?: SampleType;
  /** Sample values in file order (i fastest). */
  values: ArrayLike<number>;
  littleEndian?: boolean;
  pixdim?: [number, number, number];
  /** pixdim[0] (qfac). */
  qfac?: number;
  sform?: Matrix34;
  sformCode?: number;
  qform?: { b: number; c: number; d: number; offset: [number, number, number] };
  qformCode?: number;
  slope?: number;
  intercept?: number;
  voxOffset?: number;
  xyztUnits?: number;
  magic?: string;
  /** Override the datatype code (unsupported types). */
  datatypeCode?: number;
  /** Cut the file to this many bytes. */
  truncateTo?: number;
}

/** DataView's setter of each sample type. */
const SETTER = { int8: 'setInt8', uint8: 'setUint8', int16: 'setInt16', uint16: 'setUint16', int32: 'setInt32', uint32: 'setUint32', float32: 'setFloat32', float64: 'setFloat64' } as const satisfies Record<SampleType, keyof DataView>;

function writeSample(view: DataView, offset: number, type: SampleType, value: number, le: boolean): void {
  (view[SETTER[type]] as (offset: number, value: number, littleEndian?: boolean) => void).call(view, offset, value, le);
}

export function sampleBytes(values: ArrayLike<number>, type: SampleType, littleEndian = true): Buffer {
  const size = SAMPLE_BYTES[type];
  const out = Buffer.alloc(values.length * size);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  for (let n = 0; n < values.length; n++) writeSample(view, n * size, type, values[n]!, littleEndian);
  return out;
}

/** A single-file NIfTI-1 (348-byte header) or NIfTI-2 (540-byte header) image. */
export function niftiBytes(spec: NiftiSpec): Buffer {
  const version = spec.version ?? 1;
  const le = spec.littleEndian ?? true;
  const type = spec.type ?? 'int16';
  const headerSize = version === 1 ? 348 : 540;
  const dataOffset = headerSize + 4;
  const data = sampleBytes(spec.values, type, le);
  const out = Buffer.alloc(dataOffset + data.length);
  const v = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const pixdim = [spec.qfac ?? 1, ...(spec.pixdim ?? [1, 1, 1]), 1, 1, 1, 1];
  const dims = [spec.dims.length, ...spec.dims, ...new Array(7 - spec.dims.length).fill(1)];
  const sform = spec.sform ?? [
    [0, 0, 0, 0],
    [0, 0, 0, 0],
    [0, 0, 0, 0],
  ];
  const q = spec.qform ?? { b: 0, c: 0, d: 0, offset: [0, 0, 0] };
  const datatype = spec.datatypeCode ?? NIFTI_DATATYPE[type];
  const bitpix = SAMPLE_BYTES[type] * 8;
  if (version === 1) {
    v.setInt32(0, 348, le);
    dims.forEach((d, n) => v.setInt16(40 + 2 * n, d, le));
    v.setInt16(70, datatype, le);
    v.setInt16(72, bitpix, le);
    pixdim.forEach((p, n) => v.setFloat32(76 + 4 * n, p, le));
    v.setFloat32(108, spec.voxOffset ?? dataOffset, le);
    v.setFloat32(112, spec.slope ?? 1, le);
    v.setFloat32(116, spec.intercept ?? 0, le);
    v.setUint8(123, spec.xyztUnits ?? 2);
    v.setInt16(252, spec.qformCode ?? 0, le);
    v.setInt16(254, spec.sformCode ?? (spec.sform ? 1 : 0), le);
    [q.b, q.c, q.d, ...q.offset].forEach((x, n) => v.setFloat32(256 + 4 * n, x, le));
    sform.forEach((row, r) => row.forEach((x, c) => v.setFloat32(280 + 16 * r + 4 * c, x, le)));
    out.write((spec.magic ?? 'n+1') + '\0', 344, 'latin1');
  } else {
    v.setInt32(0, 540, le);
    out.write(spec.magic ?? 'n+2\0\r\n\x1a\n', 4, 'latin1');
    v.setInt16(12, datatype, le);
    v.setInt16(14, bitpix, le);
    dims.forEach((d, n) => v.setBigInt64(16 + 8 * n, BigInt(d), le));
    pixdim.forEach((p, n) => v.setFloat64(104 + 8 * n, p, le));
    v.setBigInt64(168, BigInt(spec.voxOffset ?? dataOffset), le);
    v.setFloat64(176, spec.slope ?? 1, le);
    v.setFloat64(184, spec.intercept ?? 0, le);
    v.setInt32(344, spec.qformCode ?? 0, le);
    v.setInt32(348, spec.sformCode ?? (spec.sform ? 1 : 0), le);
    [q.b, q.c, q.d, ...q.offset].forEach((x, n) => v.setFloat64(352 + 8 * n, x, le));
    sform.forEach((row, r) => row.forEach((x, c) => v.setFloat64(400 + 32 * r + 8 * c, x, le)));
    v.setInt32(500, spec.xyztUnits ?? 2, le);
  }
  data.copy(out, dataOffset);
  return spec.truncateTo !== undefined ? out.subarray(0, spec.truncateTo) : out;
}

/** A scratch folder removed by the returned cleanup. */
export function scratchDir(): { dir: string; file: (name: string, content: string | Uint8Array) => string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), 'lunglens-formats-'));
  return {
    dir,
    file: (name, content) => {
      const p = path.join(dir, name);
      writeFileSync(p, content);
      return p;
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export const gzip = (b: Uint8Array): Buffer => gzipSync(b);

/** CT-like values that identify their voxel: i + 10 j + 100 k − 1000 (small grids). */
export function indexValues(nx: number, ny: number, nz: number): number[] {
  const out: number[] = [];
  for (let k = 0; k < nz; k++) for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) out.push(i + 10 * j + 100 * k - 1000);
  return out;
}

/** Applies a 3×4 matrix to (i, j, k, 1). */
export function apply(m: Matrix34, i: number, j: number, k: number): [number, number, number] {
  const row = (r: number[]): number => r[0]! * i + r[1]! * j + r[2]! * k + r[3]!;
  return [row(m[0]), row(m[1]), row(m[2])];
}


/** A baseline JPEG written with jpeg-js from grey values (stored as RGB). */
export function jpegBytes(width: number, height: number, grey: ArrayLike<number>, quality = 100): Buffer {
  const rgba = Buffer.alloc(width * height * 4);
  for (let p = 0; p < width * height; p++) rgba.fill(grey[p]!, p * 4, p * 4 + 3).writeUInt8(255, p * 4 + 3);
  return jpeg.encode({ width, height, data: rgba }, quality).data;
}

/** The LungLensError a read fails with (the test fails if it succeeds or throws anything else). */
export async function failure(promise: Promise<unknown>): Promise<LungLensError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(LungLensError);
  return error as LungLensError;
}
