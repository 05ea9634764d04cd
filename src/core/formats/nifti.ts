/**
 * NIfTI-1 / NIfTI-2 single-file volumes (.nii, .nii.gz) → Volume in DICOM LPS, Int16 HU.
 *
 * - The header fields come from nifti-reader-js; the affine is chosen here, the way nibabel and
 *   nifti1_io do (the library prefers the qform when its code is higher, which we do not want):
 *   sform when sform_code > 0, else qform when qform_code > 0, else the NIfTI "method 1"
 *   fallback x = pixdim[1]·i, y = pixdim[2]·j, z = pixdim[3]·k (warned). nibabel's own fallback
 *   differs (an Analyze-style centred, x-flipped grid); neither is meaningful for a CT.
 * - NIfTI world is RAS; LPS negates its x and y rows (affine.ts). A left-handed grid gets its
 *   slice order reversed so that normal = row × column (affine.ts explains).
 * - Voxel memory order is the file's: NIfTI index i (fastest) is our column index i, j our row
 *   index j, k our slice index k (reversed when the grid is left-handed).
 * - Values: stored × scl_slope + scl_inter when scl_slope is finite and ≠ 0, rounded and clamped
 *   to Int16 (samples.ts). CT NIfTI holds HU by convention, so units are 'HU' (with a warning
 *   when the range says otherwise).
 * - 4-D and higher: only the first volume (t = 0) is read, with a warning.
 */
import * as nifti from 'nifti-reader-js';
import { LungLensError, type Warning } from '../errors.js';
import type { Vec3 } from '../geometry/vec3.js';
import { geometryFromAffine, orientationCode, rasToLps, type Affine } from './affine.js';
import { checkVoxelCount, decompress, describe, gunzipPrefix, isGzip, readWholeFile } from './file-io.js';
import { huVolume, SAMPLE_BYTES, type SampleType } from './samples.js';
import type { FormatVolume } from './types.js';

const DATATYPES: ReadonlyMap<number, SampleType> = new Map([
  [256, 'int8'],
  [2, 'uint8'],
  [4, 'int16'],
  [512, 'uint16'],
  [8, 'int32'],
  [768, 'uint32'],
  [16, 'float32'],
  [64, 'float64'],
]);

const UNSUPPORTED_DATATYPES: ReadonlyMap<number, string> = new Map([
  [1, 'binary (1-bit)'],
  [32, 'complex64'],
  [128, 'RGB24'],
  [1024, 'int64'],
  [1280, 'uint64'],
  [1536, 'float128'],
  [1792, 'complex128'],
  [2048, 'complex256'],
  [2304, 'RGBA32'],
]);

/** Room for trailing bytes after the declared voxels of a .nii.gz before it counts as a lie. */
const GZIP_SLACK_BYTES = 16 * 1024 * 1024;

type Version = 1 | 2;

interface Layout {
  version: Version;
  headerSize: 348 | 540;
  littleEndian: boolean;
}

/** Recognises a single-file NIfTI header from its first bytes, or says why it is not one. */
function detectLayout(data: Uint8Array, path: string): Layout {
  if (data.length < 348) {
    throw new LungLensError('corrupt-file', `${path} is only ${data.length} bytes long, too short for a NIfTI header (348 bytes).`);
  }
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const magicAt = (offset: number, length: number): string =>
    String.fromCharCode(...data.subarray(offset, offset + length)).replace(/\0+$/, '');
  for (const littleEndian of [true, false]) {
    const sizeofHdr = view.getInt32(0, littleEndian);
    if (sizeofHdr === 348) {
      const magic = magicAt(344, 4);
      if (magic === 'n+1') return { version: 1, headerSize: 348, littleEndian };
      if (magic === 'ni1') {
        throw new LungLensError('unsupported-format', `${path} is the header of a NIfTI .hdr/.img pair; only single-file .nii/.nii.gz is supported.`);
      }
      throw new LungLensError('unsupported-format', `${path} has a 348-byte header without the NIfTI magic "n+1" (an Analyze 7.5 file?), which is not supported.`);
    }
    if (sizeofHdr === 540) {
      if (data.length < 540) throw new LungLensError('corrupt-file', `${path} is too short for the NIfTI-2 header it announces.`);
      const magic = magicAt(4, 3);
      if (magic === 'n+2') return { version: 2, headerSize: 540, littleEndian };
      if (magic === 'ni2') {
        throw new LungLensError('unsupported-format', `${path} is the header of a NIfTI-2 .hdr/.img pair; only single-file .nii/.nii.gz is supported.`);
      }
      throw new LungLensError('corrupt-file', `${path} announces a NIfTI-2 header but lacks its magic "n+2".`);
    }
  }
  throw new LungLensError('corrupt-file', `${path} does not start with a NIfTI header (the header-size field is neither 348 nor 540).`);
}

/** Reads a .nii or .nii.gz file. Throws LungLensError for anything it cannot turn into a Volume. */
export async function readNifti(path: string): Promise<FormatVolume> {
  const raw = await readWholeFile(path);
  const compressed = isGzip(raw);
  // A .nii.gz is decompressed in two steps: its header first, then the whole file, allowed to
  // grow only to the size the header declares (a small file cannot inflate to gigabytes).
  const head = compressed ? await gunzipPrefix(raw, path) : raw;
  const layout = detectLayout(head, path);
  const warnings: Warning[] = [];

  // Only the fixed header goes to the library: extensions are not needed, and a broken one
  // must not make an otherwise good volume unreadable.
  const headerBytes = head.buffer.slice(head.byteOffset, head.byteOffset + layout.headerSize) as ArrayBuffer;
  let header: nifti.NIFTI1 | nifti.NIFTI2;
  try {
    header = nifti.readHeader(headerBytes);
  } catch (error) {
    throw new LungLensError('corrupt-file', `The NIfTI header of ${path} could not be parsed: ${describe(error)}.`, { cause: error });
  }

  // Dimensions: dim[0] is the number of dimensions in use; unused ones count as 1.
  const dims = header.dims;
  const rank = dims[0] ?? 0;
  if (!Number.isInteger(rank) || rank < 1 || rank > 7) {
    throw new LungLensError('corrupt-file', `The NIfTI header of ${path} declares ${rank} dimensions (dim[0] must be 1…7).`);
  }
  const dim = (d: number): number => (d <= rank ? (dims[d] ?? 0) : 1);
  const gridDims: Vec3 = [dim(1), dim(2), dim(3)];
  const extraDims = [4, 5, 6, 7].map(dim);
  if (![...gridDims, ...extraDims].every((d) => Number.isInteger(d) && d > 0)) {
    throw new LungLensError('corrupt-file', `The NIfTI header of ${path} declares invalid dimensions ${JSON.stringify(dims.slice(0, rank + 1))}.`);
  }
  const volumes = extraDims.reduce((a, b) => a * b, 1);
  if (volumes > 1) {
    warnings.push({
      code: 'first-volume-only',
      message: `The file holds ${volumes} volumes (dimensions ${dims.slice(1, rank + 1).join(' × ')}); only the first one was read.`,
    });
  }
  const count = checkVoxelCount(gridDims, path);

  const datatype = header.datatypeCode;
  const sampleType = DATATYPES.get(datatype);
  if (!sampleType) {
    const name = UNSUPPORTED_DATATYPES.get(datatype) ?? `code ${datatype}`;
    throw new LungLensError('unsupported-format', `${path} stores its voxels as ${name}; only 8/16/32-bit integers and 32/64-bit floats are supported.`);
  }

  // Voxel data offset. A single file's data never starts inside the header (+ 4 extension bytes);
  // writers that leave vox_offset at 0 mean "right after it" (nibabel and nifti1_io read it so).
  const minimumOffset = layout.headerSize + 4;
  const declaredOffset = Math.round(Number(header.vox_offset));
  const offset = Number.isFinite(declaredOffset) && declaredOffset >= minimumOffset ? declaredOffset : minimumOffset;
  const needed = count * SAMPLE_BYTES[sampleType];
  const declaredBytes = offset + needed * volumes;
  const data = compressed ? await decompress(raw, 'gzip', path, declaredBytes + GZIP_SLACK_BYTES) : raw;
  if (offset + needed > data.length) {
    throw new LungLensError(
      'corrupt-file',
      `${path} is truncated: its header declares ${gridDims.join(' × ')} ${sampleType} voxels (${needed} bytes from byte ${offset}) but the ${compressed ? 'decompressed ' : ''}file has ${data.length} bytes.`,
    );
  }

  const { affine, source } = chooseAffine(header, layout, head, warnings);
  const unitScale = spatialUnitScale(header.xyzt_units, warnings);
  const scaledAffine = affine.map((row) => row.map((v) => v * unitScale)) as Affine;
  const geometry = geometryFromAffine(rasToLps(scaledAffine), gridDims[2], path);
  warnings.push(...geometry.warnings);

  const slope = Number(header.scl_slope);
  const useScaling = Number.isFinite(slope) && slope !== 0;
  const intercept = useScaling && Number.isFinite(Number(header.scl_inter)) ? Number(header.scl_inter) : 0;
  const volume = huVolume({ bytes: data.subarray(offset, offset + needed), type: sampleType, littleEndian: layout.littleEndian, dimensions: gridDims, slope: useScaling ? slope : 1, intercept }, geometry, warnings);
  const flipNote = geometry.reverseSlices ? ', slice order reversed (left-handed grid)' : '';
  const scaleNote = useScaling && (slope !== 1 || intercept !== 0) ? `, scaled ×${slope} + ${intercept}` : '';
  return {
    volume,
    source: 'nifti',
    warnings,
    description: `NIfTI-${layout.version} ${sampleType} ${gridDims.join('×')}, ${source}, voxel axes ${orientationCode(geometry.direction)}${flipNote}${scaleNote}`,
    files: [path],
  };
}

/** sform, else qform, else pixdim — as RAS affine, in the file's spatial units. */
function chooseAffine(
  header: nifti.NIFTI1 | nifti.NIFTI2,
  layout: Layout,
  data: Uint8Array,
  warnings: Warning[],
): { affine: Affine; source: string } {
  /** pixdim[1..3], needed by the qform and the fallback only (the sform carries its own scale). */
  const pixdimSpacing = (): [number, number, number] => {
    const spacing = [1, 2, 3].map((d) => Math.abs(Number(header.pixDims[d])));
    if (!spacing.every((s) => Number.isFinite(s) && s > 0)) {
      warnings.push({
        code: 'spacing-unknown',
        message: `pixdim[1..3] (${header.pixDims.slice(1, 4).join(', ')}) are not all positive; 1 mm was assumed where missing.`,
      });
    }
    return spacing.map((s) => (Number.isFinite(s) && s > 0 ? s : 1)) as [number, number, number];
  };

  if (header.sform_code > 0) {
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    const at = layout.version === 1 ? 280 : 400;
    const size = layout.version === 1 ? 4 : 8;
    const read = (index: number): number =>
      size === 4 ? view.getFloat32(at + index * 4, layout.littleEndian) : view.getFloat64(at + index * 8, layout.littleEndian);
    const affine = [0, 1, 2].map((r) => [0, 1, 2, 3].map((c) => read(r * 4 + c))) as Affine;
    return { affine, source: `sform (code ${header.sform_code})` };
  }
  if (header.qform_code > 0) {
    const [dx, dy, dz] = pixdimSpacing();
    return { affine: qformAffine(header, dx, dy, dz), source: `qform (code ${header.qform_code})` };
  }
  const [dx, dy, dz] = pixdimSpacing();
  warnings.push({
    code: 'orientation-unknown',
    message: 'The file has neither an sform nor a qform (both codes are 0): an axis-aligned RAS grid with pixdim spacing and origin 0 was assumed, so its position and orientation in the patient are unknown.',
  });
  return {
    affine: [
      [dx, 0, 0, 0],
      [0, dy, 0, 0],
      [0, 0, dz, 0],
    ],
    source: 'pixdim only (no sform/qform)',
  };
}

/** The qform (NIfTI "method 2"): quaternion rotation × diag(dx, dy, qfac·dz) + qoffset. */
function qformAffine(header: nifti.NIFTI1 | nifti.NIFTI2, dx: number, dy: number, dz: number): Affine {
  let b = Number(header.quatern_b);
  let c = Number(header.quatern_c);
  let d = Number(header.quatern_d);
  let a2 = 1 - (b * b + c * c + d * d);
  if (a2 < 1e-7) {
    // nifti1_io: a 180° rotation (a = 0), with (b, c, d) renormalised.
    const n = Math.hypot(b, c, d) || 1;
    b /= n;
    c /= n;
    d /= n;
    a2 = 0;
  }
  const a = Math.sqrt(a2);
  const qfac = Number(header.pixDims[0]) < 0 ? -1 : 1;
  const R = [
    [a * a + b * b - c * c - d * d, 2 * (b * c - a * d), 2 * (b * d + a * c)],
    [2 * (b * c + a * d), a * a + c * c - b * b - d * d, 2 * (c * d - a * b)],
    [2 * (b * d - a * c), 2 * (c * d + a * b), a * a + d * d - c * c - b * b],
  ] as const;
  const s = [dx, dy, qfac * dz] as const;
  const offset = [Number(header.qoffset_x), Number(header.qoffset_y), Number(header.qoffset_z)] as const;
  return [0, 1, 2].map((r) => [R[r]![0] * s[0], R[r]![1] * s[1], R[r]![2] * s[2], offset[r]!]) as Affine;
}

/** Millimetres per spatial unit of xyzt_units (0 = unknown is read as mm, like every CT writer means it). */
function spatialUnitScale(xyztUnits: number, warnings: Warning[]): number {
  const unit = xyztUnits & 7;
  if (unit === 1) {
    warnings.push({ code: 'units-converted', message: 'The file gives distances in metres; they were converted to millimetres.' });
    return 1000;
  }
  if (unit === 3) {
    warnings.push({ code: 'units-converted', message: 'The file gives distances in micrometres; they were converted to millimetres.' });
    return 0.001;
  }
  return 1;
}
