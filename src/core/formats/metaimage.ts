/**
 * ITK MetaImage (.mhd header + .raw/.zraw data file, or .mha with the data LOCAL after the header)
 * → Volume in DICOM LPS, Int16 HU.
 *
 * The header is text, one `Key = Value` per line, ending with the ElementDataFile line.
 * MetaImage world coordinates are ITK's, which are LPS already: no axis flip is needed, and
 * AnatomicalOrientation is informational only (ITK's reader ignores it too; it is shown in the
 * description).
 *
 * TransformMatrix (alias Rotation, Orientation) holds NDims² numbers. ITK's MetaImageIO writes
 * `transformMatrix[a·N + c] = GetDirection(a)[c]`, i.e. the direction cosines of voxel axis a
 * (column a of ITK's direction matrix) are the a-th group of N numbers — the direction matrix in
 * column-major order. So "1 0 0 0 0 -1 0 1 0" says: i runs along +x, j along −z, k along +y.
 * That is exactly the layout of our `Direction` (three axis vectors one after another), and it
 * is how ITK's reader reads it back.
 *
 * Like NIfTI, a left-handed direction matrix gets its slice order reversed (see affine.ts).
 */
import { readFile } from 'node:fs/promises';
import nodePath from 'node:path';
import { LungLensError, type Warning } from '../errors.js';
import type { Vec3 } from '../geometry/vec3.js';
import { composeAffine, geometryFromAffine, orientationCode } from './affine.js';
import { checkVoxelCount, decompress, describe, readWholeFile } from './file-io.js';
import { huVolume, SAMPLE_BYTES, type SampleType } from './samples.js';
import type { FormatVolume } from './types.js';

const ELEMENT_TYPES: ReadonlyMap<string, SampleType> = new Map([
  ['MET_CHAR', 'int8'],
  ['MET_UCHAR', 'uint8'],
  ['MET_SHORT', 'int16'],
  ['MET_USHORT', 'uint16'],
  ['MET_INT', 'int32'],
  ['MET_UINT', 'uint32'],
  // MetaIO fixes MET_LONG/MET_ULONG at 4 bytes (MET_ValueTypeSize), whatever the platform's long.
  ['MET_LONG', 'int32'],
  ['MET_ULONG', 'uint32'],
  ['MET_FLOAT', 'float32'],
  ['MET_DOUBLE', 'float64'],
]);

/** A header longer than this without an ElementDataFile line is not a MetaImage header. */
const MAX_HEADER_BYTES = 1 << 20;

export interface MetaImageHeader {
  /** Keys as written, values trimmed; the first occurrence of a key wins. */
  fields: Map<string, string>;
  /** Byte offset just after the ElementDataFile line (where LOCAL data starts). */
  dataOffset: number;
}

/** Parses the text header; throws 'corrupt-file' when the bytes are not a MetaImage header. */
export function parseMetaImageHeader(bytes: Uint8Array, path: string): MetaImageHeader {
  const fields = new Map<string, string>();
  const limit = Math.min(bytes.length, MAX_HEADER_BYTES);
  let start = 0;
  let lineNumber = 0;
  while (start < limit) {
    let end = bytes.indexOf(0x0a, start);
    if (end < 0 || end > limit) end = limit;
    const next = end + 1;
    lineNumber++;
    const line = Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('latin1').replace(/\r$/, '');
    start = next;
    if (line.trim() === '') continue;
    const eq = line.indexOf('=');
    if (eq <= 0 || hasBinaryCharacters(line)) {
      throw new LungLensError('corrupt-file', `${path} is not a MetaImage header: line ${lineNumber} is not "Key = Value".`);
    }
    const key = line.slice(0, eq).trim();
    const value = line.slice(eq + 1).trim();
    const canonical = canonicalKey(key);
    if (!fields.has(canonical)) fields.set(canonical, value);
    if (canonical === 'ElementDataFile') return { fields, dataOffset: Math.min(next, bytes.length) };
  }
  throw new LungLensError('corrupt-file', `${path} has no ElementDataFile line, so it is not a complete MetaImage header.`);
}

/** Text headers hold no control characters other than tab, CR, LF, VT, FF. */
function hasBinaryCharacters(line: string): boolean {
  for (let n = 0; n < line.length; n++) {
    const c = line.charCodeAt(n);
    if (c < 0x20 && (c < 0x09 || c > 0x0d)) return true;
  }
  return false;
}

const KNOWN_KEYS = [
  'ObjectType', 'NDims', 'DimSize', 'ElementSpacing', 'ElementSize', 'Offset', 'Position', 'Origin',
  'TransformMatrix', 'Rotation', 'Orientation', 'AnatomicalOrientation', 'ElementType', 'ElementNumberOfChannels',
  'ElementByteOrderMSB', 'BinaryDataByteOrderMSB', 'BinaryData', 'CompressedData', 'CompressedDataSize',
  'HeaderSize', 'ElementDataFile', 'Modality',
];
const KEY_BY_LOWER = new Map(KNOWN_KEYS.map((k) => [k.toLowerCase(), k]));

/** MetaIO compares keys exactly; writers in the wild vary the case, so we do not. */
function canonicalKey(key: string): string {
  return KEY_BY_LOWER.get(key.toLowerCase()) ?? key;
}

/** Reads a .mhd (with its data file) or a .mha. */
export async function readMetaImage(path: string): Promise<FormatVolume> {
  const file = await readWholeFile(path);
  const { fields, dataOffset } = parseMetaImageHeader(file, path);
  const warnings: Warning[] = [];
  const fail = (code: 'corrupt-file' | 'unsupported-format', why: string): never => {
    throw new LungLensError(code, `${path}: ${why}`);
  };
  const get = (...keys: string[]): string | undefined => {
    for (const k of keys) {
      const v = fields.get(k);
      if (v !== undefined) return v;
    }
    return undefined;
  };
  const numbers = (value: string | undefined, count: number, name: string): number[] | undefined => {
    if (value === undefined) return undefined;
    const parts = value.split(/\s+/).filter(Boolean).map(Number);
    if (parts.length < count || !parts.slice(0, count).every(Number.isFinite)) {
      fail('corrupt-file', `${name} should hold ${count} numbers, got "${value}".`);
    }
    return parts.slice(0, count);
  };
  const flag = (value: string | undefined, fallback: boolean): boolean =>
    value === undefined ? fallback : /^(true|1|yes)$/i.test(value);

  const objectType = get('ObjectType');
  if (objectType !== undefined && objectType.toLowerCase() !== 'image') {
    fail('unsupported-format', `ObjectType is "${objectType}"; only Image objects hold volumes.`);
  }
  const rank = Number(get('NDims'));
  if (!Number.isInteger(rank) || rank < 1 || rank > 10) fail('corrupt-file', `NDims must be a positive integer, got "${get('NDims') ?? ''}".`);
  if (rank < 2) fail('unsupported-format', `a ${rank}-dimensional image is not a picture or a volume.`);
  const dimSize = numbers(get('DimSize'), rank, 'DimSize') ?? fail('corrupt-file', 'the DimSize line is missing.');
  if (!dimSize.every((d) => Number.isInteger(d) && d > 0)) fail('corrupt-file', `DimSize must be positive integers, got ${dimSize.join(' ')}.`);
  const gridDims: Vec3 = [dimSize[0]!, dimSize[1]!, rank >= 3 ? dimSize[2]! : 1];
  const volumes = dimSize.slice(3).reduce((a, b) => a * b, 1);
  if (volumes > 1) {
    warnings.push({ code: 'first-volume-only', message: `The image has ${rank} dimensions (${dimSize.join(' × ')}); only the first 3-D volume was read.` });
  }
  const count = checkVoxelCount(gridDims, path);

  const channels = Number(get('ElementNumberOfChannels') ?? '1');
  if (channels !== 1) fail('unsupported-format', `the image has ${channels} channels per voxel; CT volumes have one.`);
  if (!flag(get('BinaryData'), true)) fail('unsupported-format', 'the voxels are stored as ASCII text (BinaryData = False), which is not supported.');
  const elementType = (get('ElementType') ?? fail('corrupt-file', 'the ElementType line is missing.')).toUpperCase();
  const sampleType = ELEMENT_TYPES.get(elementType) ?? fail('unsupported-format', `ElementType ${elementType} is not supported (use MET_CHAR … MET_DOUBLE).`);
  const littleEndian = !flag(get('ElementByteOrderMSB', 'BinaryDataByteOrderMSB'), false);

  // Geometry: spacing, origin and direction per axis; only the first three axes matter.
  const spacing = numbers(get('ElementSpacing'), rank, 'ElementSpacing') ?? numbers(get('ElementSize'), rank, 'ElementSize');
  let spacingMm: Vec3 = [1, 1, 1];
  if (!spacing) {
    warnings.push({ code: 'spacing-unknown', message: 'The header gives no ElementSpacing; 1 mm was assumed on every axis.' });
  } else {
    const s3 = [0, 1, 2].map((a) => (a < rank ? Math.abs(spacing[a]!) : 1));
    if (!s3.every((s) => s > 0)) fail('corrupt-file', `ElementSpacing must be positive, got ${spacing.join(' ')}.`);
    spacingMm = s3 as Vec3;
    if (rank === 2) warnings.push({ code: 'spacing-unknown', message: 'A 2-D image has no slice spacing; 1 mm was assumed.' });
  }
  const origin = numbers(get('Offset', 'Position', 'Origin'), rank, 'Offset') ?? new Array<number>(rank).fill(0);
  const originLps: Vec3 = [origin[0]!, origin[1]!, rank >= 3 ? origin[2]! : 0];
  const matrix = numbers(get('TransformMatrix', 'Rotation', 'Orientation'), rank * rank, 'TransformMatrix');
  const axis = (a: number): Vec3 => {
    if (a >= rank) return a === 2 ? [0, 0, 1] : [0, 0, 0];
    const v = (c: number): number => (matrix ? (c < rank ? matrix[a * rank + c]! : 0) : a === c ? 1 : 0);
    return [v(0), v(1), v(2)];
  };
  const geometry = geometryFromAffine(composeAffine([axis(0), axis(1), axis(2)], spacingMm, originLps), gridDims[2], path);
  warnings.push(...geometry.warnings);

  // Voxel bytes: LOCAL, or a data file beside the header.
  const dataFileField = get('ElementDataFile')!;
  const needed = count * SAMPLE_BYTES[sampleType];
  const compressed = flag(get('CompressedData'), false);
  const headerSize = Number(get('HeaderSize') ?? '0');
  if (!Number.isInteger(headerSize) || headerSize < -1) fail('corrupt-file', `HeaderSize must be -1 or a byte count, got "${get('HeaderSize') ?? ''}".`);
  const compressedSize = get('CompressedDataSize') === undefined ? undefined : Number(get('CompressedDataSize'));
  if (compressedSize !== undefined && !(Number.isInteger(compressedSize) && compressedSize > 0)) {
    fail('corrupt-file', `CompressedDataSize must be a positive byte count, got "${get('CompressedDataSize') ?? ''}".`);
  }

  const files = [path];
  let container: Uint8Array;
  let start: number;
  if (dataFileField.toUpperCase() === 'LOCAL') {
    container = file;
    start = dataOffset;
  } else {
    if (/^LIST\b/i.test(dataFileField)) {
      fail('unsupported-format', 'ElementDataFile = LIST (one data file per slice) is not supported; convert the image to a single .mha.');
    }
    if (dataFileField.includes('%') || /\s\d+\s+\d+/.test(dataFileField)) {
      fail('unsupported-format', `ElementDataFile "${dataFileField}" is a file-name pattern, which is not supported; convert the image to a single .mha.`);
    }
    const dataPath = nodePath.resolve(nodePath.dirname(path), dataFileField);
    files.push(dataPath);
    try {
      container = await readFile(dataPath);
    } catch (error) {
      throw new LungLensError('unreadable', `${path}: its data file ${dataFileField} could not be read (${describe(error)}).`, { cause: error });
    }
    start = 0;
    if (headerSize > 0) start = headerSize;
  }
  if (headerSize === -1) {
    // MetaIO: "the data is at the end of the file" — skip whatever precedes it.
    const tail = compressed ? compressedSize : needed;
    if (tail === undefined) fail('unsupported-format', 'HeaderSize = -1 with compressed data needs CompressedDataSize.');
    start = container.length - tail!;
    if (start < 0) fail('corrupt-file', `the data file holds ${container.length} bytes but ${tail!} are declared; it is truncated.`);
  }
  if (start > container.length) fail('corrupt-file', `the data should start at byte ${start} but the file has only ${container.length} bytes.`);

  let bytes: Uint8Array;
  if (compressed) {
    const end = compressedSize !== undefined ? Math.min(container.length, start + compressedSize) : container.length;
    // Allow for every volume of a 4-D image, even though only the first is used.
    bytes = await decompress(container.subarray(start, end), 'auto', `The compressed voxel data of ${path}`, needed * volumes);
  } else {
    bytes = container.subarray(start);
  }
  if (bytes.length < needed) {
    fail(
      'corrupt-file',
      `the header declares ${gridDims.join(' × ')} ${elementType} voxels (${needed} bytes) but only ${bytes.length} ${compressed ? 'decompressed ' : ''}bytes of data are present; the file is truncated.`,
    );
  }

  const volume = huVolume({ bytes, type: sampleType, littleEndian, dimensions: gridDims, slope: 1, intercept: 0 }, geometry, warnings);
  const anatomical = get('AnatomicalOrientation');
  const notes = [
    `voxel axes ${orientationCode(geometry.direction)}`,
    ...(anatomical ? [`AnatomicalOrientation ${anatomical}`] : []),
    ...(compressed ? ['zlib-compressed'] : []),
    ...(geometry.reverseSlices ? ['slice order reversed (left-handed grid)'] : []),
  ];
  return {
    volume,
    source: 'metaimage',
    warnings,
    description: `MetaImage ${elementType} ${gridDims.join('×')}, ${notes.join(', ')}`,
    files,
  };
}
