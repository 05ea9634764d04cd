import { promises as fs } from 'node:fs';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { Volume } from '../volume/volume.js';

/** What a NIfTI file holds: a volume's grid and geometry, and values of one integer type. */
export interface NiftiImage {
  geometry: Pick<Volume, 'dimensions' | 'spacingMm' | 'originLps' | 'direction'>;
  data: Int16Array | Uint8Array;
  description?: string;
}

const HEADER_BYTES = 348;
const VOX_OFFSET = 352;
const DT_UINT8 = 2;
const DT_INT16 = 4;
const NIFTI_UNITS_MM = 2;
const NIFTI_XFORM_SCANNER_ANAT = 1;

/**
 * Encodes a NIfTI-1 single file (.nii) with both qform and sform set to the volume's affine.
 * NIfTI's world is RAS, ours LPS: the first two rows of the LPS affine change sign. The voxel
 * order is the same as ours (column index fastest).
 */
export function encodeNifti(image: NiftiImage): Buffer {
  const { dimensions: [nx, ny, nz], spacingMm: [sx, sy, sz], originLps: o, direction: d } = image.geometry;
  const int16 = image.data instanceof Int16Array;
  const bytesPerVoxel = int16 ? 2 : 1;
  if (image.data.length !== nx * ny * nz) throw new RangeError(`expected ${nx * ny * nz} values, got ${image.data.length}`);
  const out = Buffer.alloc(VOX_OFFSET + image.data.length * bytesPerVoxel);
  out.writeInt32LE(HEADER_BYTES, 0);
  [3, nx, ny, nz, 1, 1, 1, 1].forEach((v, i) => out.writeInt16LE(v, 40 + 2 * i));
  out.writeInt16LE(int16 ? DT_INT16 : DT_UINT8, 70);
  out.writeInt16LE(bytesPerVoxel * 8, 72);
  [1, sx, sy, sz, 1, 0, 0, 0].forEach((v, i) => out.writeFloatLE(v, 76 + 4 * i)); // pixdim[0] = qfac
  out.writeFloatLE(VOX_OFFSET, 108);
  out.writeFloatLE(1, 112); // scl_slope
  out.writeFloatLE(0, 116); // scl_inter
  out.writeUInt8(NIFTI_UNITS_MM, 123);
  out.write((image.description ?? 'LungLens').slice(0, 79), 148, 'latin1');
  out.writeInt16LE(NIFTI_XFORM_SCANNER_ANAT, 252); // qform_code
  out.writeInt16LE(NIFTI_XFORM_SCANNER_ANAT, 254); // sform_code

  // RAS rotation (unit columns) and the affine rows.
  const flip = [-1, -1, 1];
  const R = [0, 1, 2].map((r) => [d[r]! * flip[r]!, d[3 + r]! * flip[r]!, d[6 + r]! * flip[r]!]);
  const [qb, qc, qd] = quaternionOf(R);
  out.writeFloatLE(qb, 256);
  out.writeFloatLE(qc, 260);
  out.writeFloatLE(qd, 264);
  [0, 1, 2].forEach((r) => {
    out.writeFloatLE(o[r]! * flip[r]!, 268 + 4 * r); // qoffset
    const row = [R[r]![0]! * sx, R[r]![1]! * sy, R[r]![2]! * sz, o[r]! * flip[r]!];
    row.forEach((v, c) => out.writeFloatLE(v, 280 + 16 * r + 4 * c)); // srow_x/y/z
  });
  out.write('n+1\0', 344, 'latin1');
  const bytes = Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength);
  bytes.copy(out, VOX_OFFSET);
  return out;
}

/** (b, c, d) of the unit quaternion of a proper rotation matrix, with a ≥ 0 (NIfTI's convention). */
function quaternionOf(R: number[][]): [number, number, number] {
  const r = (i: number, j: number) => R[i]![j]!;
  const trace = r(0, 0) + r(1, 1) + r(2, 2);
  let a: number;
  let b: number;
  let c: number;
  let d: number;
  if (trace > 0) {
    a = 0.5 * Math.sqrt(1 + trace);
    b = (r(2, 1) - r(1, 2)) / (4 * a);
    c = (r(0, 2) - r(2, 0)) / (4 * a);
    d = (r(1, 0) - r(0, 1)) / (4 * a);
  } else if (r(0, 0) > r(1, 1) && r(0, 0) > r(2, 2)) {
    b = 0.5 * Math.sqrt(1 + r(0, 0) - r(1, 1) - r(2, 2));
    a = (r(2, 1) - r(1, 2)) / (4 * b);
    c = (r(0, 1) + r(1, 0)) / (4 * b);
    d = (r(0, 2) + r(2, 0)) / (4 * b);
  } else if (r(1, 1) > r(2, 2)) {
    c = 0.5 * Math.sqrt(1 - r(0, 0) + r(1, 1) - r(2, 2));
    a = (r(0, 2) - r(2, 0)) / (4 * c);
    b = (r(0, 1) + r(1, 0)) / (4 * c);
    d = (r(1, 2) + r(2, 1)) / (4 * c);
  } else {
    d = 0.5 * Math.sqrt(1 - r(0, 0) - r(1, 1) + r(2, 2));
    a = (r(1, 0) - r(0, 1)) / (4 * d);
    b = (r(0, 2) + r(2, 0)) / (4 * d);
    c = (r(1, 2) + r(2, 1)) / (4 * d);
  }
  return a < 0 ? [-b, -c, -d] : [b, c, d];
}

const gzipAsync = promisify(gzip);

/**
 * Writes `.nii`, or gzip-compressed `.nii.gz` when the name says so. The compression runs on
 * libuv's thread pool, so a caller can compute its next volume meanwhile (the bytes are those of
 * gzipSync at the same level).
 */
export async function writeNifti(path: string, image: NiftiImage): Promise<void> {
  const encoded = encodeNifti(image);
  await fs.writeFile(path, path.toLowerCase().endsWith('.gz') ? await gzipAsync(encoded, { level: 6 }) : encoded);
}
