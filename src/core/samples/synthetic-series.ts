/**
 * Small CT series made on the fly for tests and benchmarks: a recognisable test object written as
 * real DICOM files with the writer in `../dicom/write`, plus the HU volume a correct reader must
 * produce from them (voxel order of DESIGN.md §2), so tests compare every voxel.
 *
 * The object is defined in patient space (LPS mm), so every orientation, spacing and slice order
 * samples the same thing and two slices at the same position are identical:
 * - air −1000 HU; outside the circular reconstruction field of view −1024 HU (the value padding
 *   pixels become, see `PADDED_HU`);
 * - a body: an elliptic cylinder along z with a −100 HU fat rim, soft tissue rising from 0 HU at
 *   the inferior end to 40 HU at the superior end (so slice order shows in every slice);
 * - two lungs ≈ −850 HU, ellipsoids, the right one (patient right, −x) larger;
 * - a bright spine disc ≈ 700 HU, posterior (+y);
 * - a deterministic texture (±3 HU by default, none in air), so that codecs meet non-flat data;
 *   `noiseHu`/`airNoiseHu` raise it towards real CT noise where compression ratios matter (benchmarks).
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { accessSync, constants as fsConstants, promises as fs } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { ctSliceDataset, shuffled, storedValueOf, writePart10, type CtStorage, type KeyedDataset, type WritableTransferSyntax } from '../dicom/write/index.js';
import { WRITABLE_TRANSFER_SYNTAXES } from '../dicom/write/index.js';
import { createUid, uidGenerator } from '../dicom/write/index.js';
import { seededRandom } from '../util/seeded-random.js';
import { add, cross, dot, normalize, scale, type Direction, type Vec3 } from '../geometry/vec3.js';

const execFileAsync = promisify(execFile);


/** HU that LungLens gives padding pixels (ingest maps PixelPaddingValue to air, −1024 HU). */
export const PADDED_HU = -1024;
export const AIR_HU = -1000;
export const FAT_HU = -100;
export const LUNG_HU = -850;
export const SPINE_HU = 700;

export type SyntheticOrientation = 'axial' | 'coronal' | 'sagittal';

export interface SyntheticSeriesOptions {
  columns?: number;
  rows?: number;
  slices?: number;
  /** [x (between columns), y (between rows)] in mm — our order, not DICOM PixelSpacing's. Default [0.8, 0.7]. */
  pixelSpacingMm?: [number, number];
  /** Distance between slice positions along the stacking direction. Default 2.5 mm. */
  sliceSpacingMm?: number;
  /** Default axial. */
  orientation?: SyntheticOrientation;
  /**
   * Gantry tilt in degrees: the image plane is rotated about the row direction while slice
   * positions still advance along the untilted normal (the table), as on a tilted CT gantry.
   * The stack is sheared; the expected volume is the stored slices, unresampled.
   */
  gantryTiltDeg?: number;
  /**
   * Offsets of the slices along the stacking direction in mm, in generation order (default
   * k·sliceSpacingMm). Use them for gaps, irregular spacing or duplicated positions.
   */
  positionsMm?: readonly number[];
  /** PixelRepresentation 1 (default true). */
  signed?: boolean;
  /** 12 or 16 (default 16); BitsAllocated is always 16. */
  bitsStored?: 12 | 16;
  /** How the bits above BitsStored are filled: `clean` (zero / sign extension, default) or `noise` (junk a reader must mask). */
  unusedBits?: 'clean' | 'noise';
  rescaleSlope?: number;
  /** Amplitude of the uniform texture added inside the body (default 3 HU). */
  noiseHu?: number;
  /** Amplitude of the texture added to air inside the field of view (default 0: air is exactly −1000 HU). */
  airNoiseHu?: number;
  /** Default 0 when signed, −1024 when unsigned. */
  rescaleIntercept?: number;
  /** A stored value written outside the field-of-view circle and as PixelPaddingValue. */
  pixelPaddingValue?: number;
  /** `ordered`: IM0001… in slice order (default); `shuffled`: numbers unrelated to position. */
  fileNames?: 'ordered' | 'shuffled';
  /** InstanceNumber relative to slice order (default ascending). */
  instanceNumbers?: 'ascending' | 'descending' | 'shuffled';
  transferSyntax?: WritableTransferSyntax;
  preamble?: boolean;
  fileMeta?: boolean;
  /** Seed for UIDs and shuffling. Without it UIDs are fresh (random) and shuffles use seed 1. */
  seed?: number | string;
  studyInstanceUid?: string;
  seriesInstanceUid?: string;
  frameOfReferenceUid?: string;
  seriesDescription?: string;
  seriesNumber?: number;
  /** Default ORIGINAL\PRIMARY\AXIAL (also for non-axial series, as real scanners often say). */
  imageType?: string[];
  /** File name prefix (default "IM"), so that several series can share one folder. */
  fileNamePrefix?: string;
  /** Default ".dcm"; "" writes names without extension, as many archives do. */
  fileExtension?: string;
  /** Keep the expected HU volume in memory (default true; turn off for big benchmark series). */
  keepVoxels?: boolean;
  /** Extra or overriding attributes for the file of generation index k. */
  attributes?: (k: number) => KeyedDataset;
  onProgress?: (written: number, total: number) => void;
}

export interface SyntheticSeries {
  dir: string;
  /** Files in slice-index order (by position along the normal; ties in generation order). */
  files: string[];
  /** SOP Instance UIDs in slice-index order. */
  sopInstanceUids: string[];
  studyInstanceUid: string;
  seriesInstanceUid: string;
  frameOfReferenceUid: string;
  transferSyntaxUid: string;
  /** [columns, rows, slices] */
  dimensions: Vec3;
  /** [x, y, z]; z is the nominal spacing along the normal (sliceSpacing · cos tilt). */
  spacingMm: Vec3;
  /** ImagePositionPatient of slice 0. */
  originLps: Vec3;
  direction: Direction;
  /** Positions along the normal (mm) in slice-index order. */
  normalPositionsMm: number[];
  /** The expected HU volume (x fastest, then y, then slice), or null with `keepVoxels: false`. */
  voxels: Int16Array | null;
  /** SHA-256 of the expected voxels as little-endian Int32 (DESIGN.md §3). */
  valueSha256: string;
}

/** SHA-256 of HU values written as little-endian Int32 in voxel order (DESIGN.md §3). */
export function huSha256(voxels: Int16Array): string {
  const hash = createHash('sha256');
  const chunk = 1 << 18;
  const out = Buffer.alloc(Math.min(chunk, voxels.length) * 4);
  for (let start = 0; start < voxels.length; start += chunk) {
    const end = Math.min(voxels.length, start + chunk);
    for (let i = start; i < end; i++) out.writeInt32LE(voxels[i]!, (i - start) * 4);
    hash.update(out.subarray(0, (end - start) * 4));
  }
  return hash.digest('hex');
}

/** The SHA-256 of a sub-volume made of some of a series' slices (e.g. after a reader dropped one). */
export function slicesSha256(series: SyntheticSeries, sliceIndices: readonly number[]): string {
  if (!series.voxels) throw new Error('The series was written with keepVoxels: false.');
  const n = series.dimensions[0] * series.dimensions[1];
  const out = new Int16Array(n * sliceIndices.length);
  sliceIndices.forEach((k, i) => out.set(series.voxels!.subarray(k * n, (k + 1) * n), i * n));
  return huSha256(out);
}

const BASE_AXES: Record<SyntheticOrientation, [Vec3, Vec3]> = {
  axial: [[1, 0, 0], [0, 1, 0]],
  coronal: [[1, 0, 0], [0, 0, -1]],
  sagittal: [[0, 1, 0], [0, 0, -1]],
};

/** Rotation of v about the unit axis a by angle t (Rodrigues). */
function rotate(v: Vec3, a: Vec3, t: number): Vec3 {
  const c = Math.cos(t);
  const s = Math.sin(t);
  return add(add(scale(v, c), scale(cross(a, v), s)), scale(a, dot(a, v) * (1 - c)));
}


/** A deterministic integer texture in [−amplitude, amplitude] from a hash of the pixel and its position. */
function texture(i: number, j: number, z: number, amplitude: number): number {
  if (amplitude <= 0) return 0;
  let h = Math.imul(i, 374761393) ^ Math.imul(j, 668265263) ^ Math.imul(z, 2246822519);
  h = Math.imul(h ^ (h >>> 13), 1274126177);
  return (((h ^ (h >>> 16)) >>> 0) % (2 * amplitude + 1)) - amplitude;
}

interface Phantom {
  centre: Vec3;
  half: Vec3;
}

/** The object's HU at an LPS point (before the field-of-view circle). */
function phantomHu(p: Vec3, ph: Phantom): number {
  const u = (p[0] - ph.centre[0]) / ph.half[0];
  const v = (p[1] - ph.centre[1]) / ph.half[1];
  const w = (p[2] - ph.centre[2]) / ph.half[2];
  const body = (u / 0.88) ** 2 + (v / 0.7) ** 2;
  if (body > 1) return AIR_HU;
  const spine = (u / 0.13) ** 2 + ((v - 0.5) / 0.13) ** 2;
  if (spine <= 1) return SPINE_HU;
  const right = ((u + 0.4) / 0.3) ** 2 + ((v + 0.05) / 0.45) ** 2 + ((w - 0.1) / 0.95) ** 2;
  const left = ((u - 0.4) / 0.25) ** 2 + ((v + 0.05) / 0.4) ** 2 + ((w - 0.15) / 0.85) ** 2;
  if (right <= 1 || left <= 1) return LUNG_HU;
  if ((u / 0.8) ** 2 + (v / 0.62) ** 2 > 1) return FAT_HU;
  return Math.round(20 + 20 * Math.max(-1, Math.min(1, w)));
}

/**
 * Writes a synthetic CT series into `dir` (created if needed) and returns what a correct reader
 * must find: geometry, files in slice order and the expected HU volume and its checksum.
 */
export async function writeSyntheticSeries(dir: string, opts: SyntheticSeriesOptions = {}): Promise<SyntheticSeries> {
  const columns = opts.columns ?? 64;
  const rows = opts.rows ?? 48;
  const count = opts.positionsMm?.length ?? opts.slices ?? 12;
  const [sx, sy] = opts.pixelSpacingMm ?? [0.8, 0.7];
  const spacing = opts.sliceSpacingMm ?? 2.5;
  const signed = opts.signed ?? true;
  const bitsStored = opts.bitsStored ?? 16;
  const slope = opts.rescaleSlope ?? 1;
  const intercept = opts.rescaleIntercept ?? (signed ? 0 : -1024);
  const padding = opts.pixelPaddingValue;
  const noise = Math.round(opts.noiseHu ?? 3);
  const airNoise = Math.round(opts.airNoiseHu ?? 0);
  const random = seededRandom(opts.seed ?? 1);
  const uid = opts.seed === undefined ? () => createUid() : uidGenerator({ random: seededRandom(`uids:${String(opts.seed)}`) });
  const studyInstanceUid = opts.studyInstanceUid ?? uid();
  const seriesInstanceUid = opts.seriesInstanceUid ?? uid();
  const frameOfReferenceUid = opts.frameOfReferenceUid ?? uid();
  const transferSyntax = opts.transferSyntax ?? 'explicit-little';
  const keepVoxels = opts.keepVoxels ?? true;

  // Geometry: row/column cosines, the stacking direction (table) and slice positions.
  const [baseRow, baseColumn] = BASE_AXES[opts.orientation ?? 'axial'];
  const stepDir = cross(baseRow, baseColumn);
  const tilt = ((opts.gantryTiltDeg ?? 0) * Math.PI) / 180;
  const row = normalize(rotate(baseRow, baseRow, tilt));
  const column = normalize(rotate(baseColumn, baseRow, tilt));
  const normal = cross(row, column);
  const offsets = opts.positionsMm ? [...opts.positionsMm] : Array.from({ length: count }, (_, k) => k * spacing);
  const meanOffset = offsets.reduce((a, b) => a + b, 0) / count;
  const inPlaneHalf = add(scale(row, ((columns - 1) * sx) / 2), scale(column, ((rows - 1) * sy) / 2));
  const positions = offsets.map((o) => add(scale(stepDir, o - meanOffset), scale(inPlaneHalf, -1)));

  // The object's box: the volume's extent along each patient axis, centred on the isocentre.
  const extent = (axis: 0 | 1 | 2) => {
    const span = Math.abs(row[axis]) * (columns - 1) * sx + Math.abs(column[axis]) * (rows - 1) * sy
      + Math.abs(stepDir[axis]) * (Math.max(...offsets) - Math.min(...offsets));
    return Math.max(span / 2, 1);
  };
  const phantom: Phantom = { centre: [0, 0, 0], half: [extent(0), extent(1), extent(2)] };
  const fovRadius2 = (Math.min(columns - 1, rows - 1) / 2 + 0.5) ** 2;

  // Slice index order: by position along the normal, ties in generation order.
  const normalPositions = positions.map((p) => dot(p, normal));
  const order = Array.from({ length: count }, (_, k) => k).sort((a, b) => normalPositions[a]! - normalPositions[b]! || a - b);
  const indexOf = new Array<number>(count);
  order.forEach((k, index) => (indexOf[k] = index));

  const instanceOrder =
    opts.instanceNumbers === 'shuffled' ? shuffled(order.map((_, i) => i + 1), random)
      : opts.instanceNumbers === 'descending' ? order.map((_, i) => count - i)
        : order.map((_, i) => i + 1);
  const nameOrder = opts.fileNames === 'shuffled' ? shuffled(order.map((_, i) => i + 1), random) : order.map((_, i) => i + 1);
  const digits = Math.max(4, String(count).length);
  const prefix = opts.fileNamePrefix ?? 'IM';
  const extension = opts.fileExtension ?? '.dcm';

  const storage: CtStorage = { signed, bitsStored, slope, intercept, ...(padding !== undefined ? { pixelPaddingValue: padding } : {}) };
  const toStored = storedValueOf(storage);
  const [storedMin, storedMax] = signed ? [-(2 ** (bitsStored - 1)), 2 ** (bitsStored - 1) - 1] : [0, 2 ** bitsStored - 1];
  if (padding !== undefined && (padding < storedMin || padding > storedMax)) {
    throw new RangeError(`PixelPaddingValue ${padding} does not fit ${signed ? 'signed' : 'unsigned'} ${bitsStored}-bit values.`);
  }
  const mask = (1 << bitsStored) - 1;
  const junk = opts.unusedBits === 'noise' && bitsStored < 16 ? 0xa000 & ~mask & 0xffff : 0;
  const sliceLength = columns * rows;
  const voxels = keepVoxels ? new Int16Array(sliceLength * count) : null;
  const hash = keepVoxels ? null : createHash('sha256');
  const hashBuffer = keepVoxels ? null : Buffer.alloc(sliceLength * 4);

  await fs.mkdir(dir, { recursive: true });
  const files = new Array<string>(count);
  const sopInstanceUids = new Array<string>(count);
  const stored = new Uint16Array(sliceLength);
  const hu = new Int16Array(sliceLength);
  const ci = (columns - 1) / 2;
  const cj = (rows - 1) / 2;

  // Generate in slice-index order so a streaming checksum needs no reordering.
  for (let index = 0; index < count; index++) {
    const k = order[index]!;
    const origin = positions[k]!;
    const zKey = Math.round(normalPositions[k]! * 1000);
    for (let j = 0; j < rows; j++) {
      const rowStart: Vec3 = add(origin, scale(column, j * sy));
      for (let i = 0; i < columns; i++) {
        const at = j * columns + i;
        const outside = (i - ci) ** 2 + (j - cj) ** 2 > fovRadius2;
        let value: number;
        let s: number;
        if (outside) {
          s = padding ?? toStored(PADDED_HU);
          value = padding !== undefined ? PADDED_HU : s * slope + intercept;
        } else {
          const p: Vec3 = [rowStart[0] + row[0] * i * sx, rowStart[1] + row[1] * i * sx, rowStart[2] + row[2] * i * sx];
          const base = phantomHu(p, phantom);
          s = toStored(base + texture(i, j, zKey, base === AIR_HU ? airNoise : noise));
          if (padding !== undefined && s === padding) s += 1; // real data never equals the padding value
          value = s * slope + intercept;
        }
        hu[at] = Math.floor(value + 0.5);
        // Clean: two's complement in the 16-bit container (sign-extended); noise: junk above BitsStored.
        stored[at] = junk ? (s & mask) | junk : s & 0xffff;
      }
    }
    if (voxels) voxels.set(hu, index * sliceLength);
    else {
      for (let i = 0; i < sliceLength; i++) hashBuffer!.writeInt32LE(hu[i]!, i * 4);
      hash!.update(hashBuffer!);
    }

    const sopInstanceUid = uid();
    const file = path.join(dir, `${prefix}${String(nameOrder[index]).padStart(digits, '0')}${extension}`);
    const position = origin;
    const dataset = ctSliceDataset({
      identity: {
        studyInstanceUid,
        seriesInstanceUid,
        frameOfReferenceUid,
        patientName: 'Synthetic^Phantom',
        patientId: 'SYNTH',
        studyDescription: 'Synthetic chest CT',
        seriesDescription: opts.seriesDescription ?? `Synthetic ${opts.orientation ?? 'axial'}`,
        seriesNumber: opts.seriesNumber ?? 1,
        studyDate: '20200401',
        studyTime: '120000',
      },
      storage,
      sopInstanceUid,
      instanceNumber: instanceOrder[index]!,
      positionLps: position,
      row,
      column,
      rows,
      columns,
      pixelSpacingMm: [sx, sy],
      sliceThicknessMm: spacing,
      pixelData: signed ? new Int16Array(stored.buffer) : stored,
      ...(opts.imageType ? { imageType: opts.imageType } : {}),
      gantryTiltDeg: opts.gantryTiltDeg ?? 0,
      ...(opts.attributes ? { extra: opts.attributes(k) } : {}),
    });
    await fs.writeFile(file, writePart10(dataset, {
      transferSyntax,
      ...(opts.preamble !== undefined ? { preamble: opts.preamble } : {}),
      ...(opts.fileMeta !== undefined ? { fileMeta: opts.fileMeta } : {}),
    }));
    files[index] = file;
    sopInstanceUids[index] = sopInstanceUid;
    opts.onProgress?.(index + 1, count);
  }

  const sortedNormal = order.map((k) => normalPositions[k]!);
  return {
    dir,
    files,
    sopInstanceUids,
    studyInstanceUid,
    seriesInstanceUid,
    frameOfReferenceUid,
    transferSyntaxUid: WRITABLE_TRANSFER_SYNTAXES[transferSyntax],
    dimensions: [columns, rows, count],
    spacingMm: [sx, sy, spacing * Math.cos(tilt)],
    originLps: positions[order[0]!]!,
    direction: [...row, ...column, ...normal] as Direction,
    normalPositionsMm: sortedNormal,
    voxels,
    valueSha256: voxels ? huSha256(voxels) : hash!.digest('hex'),
  };
}

// ---------------------------------------------------------------------------------------------
// Copies in other transfer syntaxes, made with Debian's third-party tools.

/** Named conversions: the tool, its arguments and the transfer syntax it produces. */
export const CONVERSIONS = {
  'jpeg-lossless-sv1': { tool: 'dcmcjpeg', args: ['+e1'], transferSyntaxUid: '1.2.840.10008.1.2.4.70' },
  'jpeg-lossless': { tool: 'dcmcjpeg', args: ['+el'], transferSyntaxUid: '1.2.840.10008.1.2.4.57' },
  'jpeg-ls-lossless': { tool: 'dcmcjpls', args: ['+el'], transferSyntaxUid: '1.2.840.10008.1.2.4.80' },
  rle: { tool: 'dcmcrle', args: [], transferSyntaxUid: '1.2.840.10008.1.2.5' },
  'big-endian': { tool: 'dcmconv', args: ['+tb'], transferSyntaxUid: '1.2.840.10008.1.2.2' },
  deflated: { tool: 'dcmconv', args: ['+td'], transferSyntaxUid: '1.2.840.10008.1.2.1.99' },
  'jpeg2000-lossless': { tool: 'gdcmconv', args: ['--j2k'], transferSyntaxUid: '1.2.840.10008.1.2.4.90' },
} as const satisfies Record<string, { tool: string; args: readonly string[]; transferSyntaxUid: string }>;

export type ConversionName = keyof typeof CONVERSIONS;

/** The absolute path of an executable on PATH, or null. */
export function findExecutable(name: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, fsConstants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

export interface ConvertOptions {
  /** Files converted at once when `src` is a folder (default 1). */
  concurrency?: number;
}

/**
 * Converts a DICOM file, or every file of a folder (non-recursive, hidden files skipped), with a
 * third-party tool called as `tool ...args src dst`. Returns the written files (in the order of
 * the sorted source names), or null when the tool is not installed — so tests can skip, saying why.
 * Throws with the tool's own message when a conversion fails.
 */
export async function convertWith(
  tool: string,
  args: readonly string[],
  src: string,
  dst: string,
  options: ConvertOptions = {},
): Promise<string[] | null> {
  const executable = findExecutable(tool);
  if (!executable) return null;
  const stats = await fs.stat(src);
  let jobs: [string, string][];
  if (stats.isDirectory()) {
    await fs.mkdir(dst, { recursive: true });
    const names = (await fs.readdir(src, { withFileTypes: true }))
      .filter((d) => d.isFile() && !d.name.startsWith('.'))
      .map((d) => d.name)
      .sort();
    jobs = names.map((n) => [path.join(src, n), path.join(dst, n)]);
  } else {
    await fs.mkdir(path.dirname(dst), { recursive: true });
    jobs = [[src, dst]];
  }
  const run = async ([from, to]: [string, string]) => {
    try {
      await execFileAsync(executable, [...args, from, to], { maxBuffer: 16 * 1024 * 1024 });
    } catch (error) {
      const e = error as { stderr?: string; stdout?: string; message: string };
      throw new Error(`${tool} ${args.join(' ')} failed on ${from}: ${(e.stderr || e.stdout || e.message).trim()}`);
    }
  };
  const concurrency = Math.max(1, options.concurrency ?? 1);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(concurrency, jobs.length) }, async () => {
    while (next < jobs.length) await run(jobs[next++]!);
  }));
  return jobs.map(([, to]) => to);
}

/** `convertWith` for a named conversion (see CONVERSIONS). */
export function convertNamed(name: ConversionName, src: string, dst: string, options: ConvertOptions = {}): Promise<string[] | null> {
  const c = CONVERSIONS[name];
  return convertWith(c.tool, c.args, src, dst, options);
}
