import type { DataSet } from 'dicom-parser';
import { LungLensError } from '../errors.js';
import type { Vec3 } from '../geometry/vec3.js';
import type { FrameInfo } from './pixels/index.js';

/** Geometry and value transform of one frame (one slice). */
export interface FrameHeader {
  /** ImagePositionPatient: centre of the first transmitted pixel, LPS mm. */
  positionLps: Vec3 | null;
  /** ImageOrientationPatient: row cosines then column cosines. */
  orientation: [number, number, number, number, number, number] | null;
  /** PixelSpacing as stored: [between rows (y), between columns (x)] in mm. */
  pixelSpacing: [number, number] | null;
  sliceThicknessMm: number | null;
  rescaleSlope: number;
  rescaleIntercept: number;
  /** Frame-level ImageType/FrameType says LOCALIZER. */
  localizer: boolean;
}

export interface StudyContext {
  specificCharacterSet: string;
  patientBirthDate: string;
  patientSex: string;
  studyDate: string;
  studyTime: string;
  studyId: string;
  accessionNumber: string;
  referringPhysicianName: string;
  studyDescription: string;
}

/** What LungLens needs from one DICOM file's header (no pixel data). */
export interface DicomInstance {
  path: string;
  transferSyntaxUid: string;
  sopClassUid: string;
  sopInstanceUid: string;
  studyInstanceUid: string;
  seriesInstanceUid: string;
  frameOfReferenceUid: string;
  modality: string;
  seriesDescription: string;
  /** PatientName and PatientID as stored ('' when absent): identifiers, never logged or exported by default. */
  patient: { name: string; id: string };
  /**
   * The rest of the patient and general study modules, which objects derived from the image (DICOM
   * SR, SEG, KOS, SC) must repeat. Text as stored, one character per byte; `specificCharacterSet`
   * says how to decode it. Identifiers among them are never logged.
   */
  studyContext: StudyContext;
  seriesNumber: number | null;
  instanceNumber: number | null;
  imageType: string[];
  pixel: FrameInfo;
  numberOfFrames: number;
  hasPixelData: boolean;
  /** PixelPaddingValue [and PixelPaddingRangeLimit] as stored values. */
  padding: { value: number; rangeLimit: number | null } | null;
  spacingBetweenSlicesMm: number | null;
  frames: FrameHeader[];
  /**
   * Where uncompressed little-endian pixel data lies in the file (byte offset and length), so it
   * can be read without parsing the file again; null for any other encoding.
   */
  nativePixelData: { offset: number; length: number } | null;
}

const NATIVE_LITTLE_ENDIAN = new Set(['1.2.840.10008.1.2', '1.2.840.10008.1.2.1']);

const TAG = {
  transferSyntaxUid: 'x00020010',
  mediaStorageSopClassUid: 'x00020002',
  specificCharacterSet: 'x00080005',
  imageType: 'x00080008',
  studyDate: 'x00080020',
  studyTime: 'x00080030',
  accessionNumber: 'x00080050',
  referringPhysicianName: 'x00080090',
  studyDescription: 'x00081030',
  patientBirthDate: 'x00100030',
  patientSex: 'x00100040',
  studyId: 'x00200010',
  sopClassUid: 'x00080016',
  sopInstanceUid: 'x00080018',
  modality: 'x00080060',
  seriesDescription: 'x0008103e',
  patientName: 'x00100010',
  patientId: 'x00100020',
  frameType: 'x00089007',
  sliceThickness: 'x00180050',
  spacingBetweenSlices: 'x00180088',
  studyInstanceUid: 'x0020000d',
  seriesInstanceUid: 'x0020000e',
  seriesNumber: 'x00200011',
  instanceNumber: 'x00200013',
  imagePositionPatient: 'x00200032',
  imageOrientationPatient: 'x00200037',
  frameOfReferenceUid: 'x00200052',
  samplesPerPixel: 'x00280002',
  photometricInterpretation: 'x00280004',
  planarConfiguration: 'x00280006',
  numberOfFrames: 'x00280008',
  rows: 'x00280010',
  columns: 'x00280011',
  pixelSpacing: 'x00280030',
  bitsAllocated: 'x00280100',
  bitsStored: 'x00280101',
  highBit: 'x00280102',
  pixelRepresentation: 'x00280103',
  pixelPaddingValue: 'x00280120',
  pixelPaddingRangeLimit: 'x00280121',
  rescaleIntercept: 'x00281052',
  rescaleSlope: 'x00281053',
  pixelData: 'x7fe00010',
  floatPixelData: 'x7fe00008',
  doubleFloatPixelData: 'x7fe00009',
  sharedFunctionalGroups: 'x52009229',
  perFrameFunctionalGroups: 'x52009230',
  planePosition: 'x00209113',
  planeOrientation: 'x00209116',
  pixelMeasures: 'x00289110',
  pixelValueTransformation: 'x00289145',
  ctImageFrameType: 'x00189329',
} as const;

export const MEDIA_STORAGE_DIRECTORY = '1.2.840.10008.1.3.10';

function text(ds: DataSet, tag: string): string {
  return (ds.string(tag) ?? '').replace(/\0/g, '').trim();
}

function numbers(ds: DataSet, tag: string, count: number): number[] | null {
  if (!ds.elements[tag]) return null;
  const values: number[] = [];
  for (let i = 0; i < count; i++) {
    const v = ds.floatString(tag, i);
    if (v === undefined || !Number.isFinite(v)) return null;
    values.push(v);
  }
  return values;
}

function uint16(ds: DataSet, tag: string): number | null {
  const e = ds.elements[tag];
  if (!e || e.length < 2) return null;
  return ds.uint16(tag) ?? null;
}

function intString(ds: DataSet, tag: string): number | null {
  const v = ds.intString(tag);
  return v !== undefined && Number.isFinite(v) ? v : null;
}

/** The data set of the first item of a sequence, or null. */
function firstItem(ds: DataSet | null, tag: string): DataSet | null {
  return ds?.elements[tag]?.items?.[0]?.dataSet ?? null;
}

function isLocalizerType(value: string): boolean {
  return value.toUpperCase().split('\\').some((v) => v.trim() === 'LOCALIZER');
}

/** Reads one frame's geometry from a data set or a functional-groups item, falling back to `base`. */
function readFrame(sources: (DataSet | null)[], root: DataSet): FrameHeader {
  const pick = <T>(read: (ds: DataSet) => T | null): T | null => {
    for (const ds of sources) {
      if (!ds) continue;
      const v = read(ds);
      if (v !== null) return v;
    }
    return null;
  };
  const fromGroup = (seqTag: string, read: (ds: DataSet) => number[] | null) => (ds: DataSet) => {
    const item = firstItem(ds, seqTag);
    return item ? read(item) : read(ds);
  };
  const position = pick(fromGroup(TAG.planePosition, (ds) => numbers(ds, TAG.imagePositionPatient, 3)));
  const orientation = pick(fromGroup(TAG.planeOrientation, (ds) => numbers(ds, TAG.imageOrientationPatient, 6)));
  const spacing = pick(fromGroup(TAG.pixelMeasures, (ds) => numbers(ds, TAG.pixelSpacing, 2)));
  const thickness = pick(fromGroup(TAG.pixelMeasures, (ds) => numbers(ds, TAG.sliceThickness, 1)));
  const slope = pick(fromGroup(TAG.pixelValueTransformation, (ds) => numbers(ds, TAG.rescaleSlope, 1)));
  const intercept = pick(fromGroup(TAG.pixelValueTransformation, (ds) => numbers(ds, TAG.rescaleIntercept, 1)));
  const frameType = pick((ds) => {
    const item = firstItem(ds, TAG.ctImageFrameType);
    const v = item ? text(item, TAG.frameType) : '';
    return v || null;
  });
  return {
    positionLps: position ? [position[0]!, position[1]!, position[2]!] : null,
    orientation: orientation ? (orientation as FrameHeader['orientation']) : null,
    pixelSpacing: spacing ? [spacing[0]!, spacing[1]!] : null,
    sliceThicknessMm: thickness ? thickness[0]! : null,
    rescaleSlope: slope && slope[0] !== 0 ? slope[0]! : 1,
    rescaleIntercept: intercept ? intercept[0]! : 0,
    localizer: isLocalizerType(frameType ?? '') || isLocalizerType(text(root, TAG.imageType)),
  };
}

function nativePixelData(ds: DataSet, transferSyntaxUid: string, shift: number): DicomInstance['nativePixelData'] {
  const e = ds.elements[TAG.pixelData];
  if (!e || !NATIVE_LITTLE_ENDIAN.has(transferSyntaxUid) || e.hadUndefinedLength || e.length <= 0) return null;
  return { offset: e.dataOffset - shift, length: e.length };
}

/**
 * Extracts a DicomInstance from a parsed data set. Missing image attributes that make the pixel
 * data uninterpretable are errors (`missing-attribute`); missing geometry is left null and judged
 * by the series builder, which knows whether a single slice can do without it.
 * `fileOffsetShift` is how many bytes the parsed buffer has in front of the file's own bytes.
 */
export function readInstance(ds: DataSet, path: string, fileOffsetShift = 0): DicomInstance {
  const transferSyntaxUid = text(ds, TAG.transferSyntaxUid) || '1.2.840.10008.1.2';
  const sopClassUid = text(ds, TAG.sopClassUid) || text(ds, TAG.mediaStorageSopClassUid);
  if (sopClassUid === MEDIA_STORAGE_DIRECTORY) {
    throw new LungLensError('dicomdir', 'This is a DICOMDIR index, not an image; the images it lists are read from the folder itself.');
  }
  const hasPixelData = Boolean(ds.elements[TAG.pixelData] ?? ds.elements[TAG.floatPixelData] ?? ds.elements[TAG.doubleFloatPixelData]);
  const rows = uint16(ds, TAG.rows);
  const columns = uint16(ds, TAG.columns);
  if (!hasPixelData) {
    throw new LungLensError('no-pixel-data', 'The file has no pixel data (it may be a structured report, presentation state or other non-image object).');
  }
  if (ds.elements[TAG.floatPixelData] || ds.elements[TAG.doubleFloatPixelData]) {
    throw new LungLensError('unsupported-pixel-format', 'The file stores floating-point pixel data, which CT images do not use; it is not supported.');
  }
  const bitsAllocated = uint16(ds, TAG.bitsAllocated);
  if (rows === null || columns === null || rows === 0 || columns === 0 || bitsAllocated === null) {
    const missing = [rows ? null : 'Rows', columns ? null : 'Columns', bitsAllocated === null ? 'BitsAllocated' : null].filter(Boolean);
    throw new LungLensError('missing-attribute', `The image cannot be interpreted without ${missing.join(', ')}.`);
  }
  const bitsStored = uint16(ds, TAG.bitsStored) ?? bitsAllocated;
  const pixelRepresentation = uint16(ds, TAG.pixelRepresentation) === 1 ? 1 : 0;
  const pixel: FrameInfo = {
    rows,
    columns,
    bitsAllocated,
    bitsStored,
    highBit: uint16(ds, TAG.highBit) ?? bitsStored - 1,
    pixelRepresentation,
    samplesPerPixel: uint16(ds, TAG.samplesPerPixel) ?? 1,
    planarConfiguration: uint16(ds, TAG.planarConfiguration) === 1 ? 1 : 0,
    photometricInterpretation: text(ds, TAG.photometricInterpretation) || 'MONOCHROME2',
  };
  const numberOfFrames = Math.max(1, intString(ds, TAG.numberOfFrames) ?? 1);
  let padding: DicomInstance['padding'] = null;
  if (ds.elements[TAG.pixelPaddingValue]) {
    const read = (tag: string) => (pixelRepresentation === 1 ? ds.int16(tag) : ds.uint16(tag)) ?? null;
    const value = read(TAG.pixelPaddingValue);
    if (value !== null) padding = { value, rangeLimit: ds.elements[TAG.pixelPaddingRangeLimit] ? read(TAG.pixelPaddingRangeLimit) : null };
  }

  const shared = firstItem(ds, TAG.sharedFunctionalGroups);
  const perFrame = ds.elements[TAG.perFrameFunctionalGroups]?.items ?? [];
  const frames: FrameHeader[] = [];
  if (perFrame.length > 0 || shared) {
    for (let f = 0; f < numberOfFrames; f++) {
      frames.push(readFrame([perFrame[f]?.dataSet ?? null, shared, ds], ds));
    }
  } else {
    const frame = readFrame([ds], ds);
    for (let f = 0; f < numberOfFrames; f++) frames.push(frame);
  }

  return {
    path,
    transferSyntaxUid,
    sopClassUid,
    sopInstanceUid: text(ds, TAG.sopInstanceUid),
    studyInstanceUid: text(ds, TAG.studyInstanceUid),
    seriesInstanceUid: text(ds, TAG.seriesInstanceUid),
    frameOfReferenceUid: text(ds, TAG.frameOfReferenceUid),
    modality: text(ds, TAG.modality),
    seriesDescription: text(ds, TAG.seriesDescription),
    patient: { name: text(ds, TAG.patientName), id: text(ds, TAG.patientId) },
    studyContext: {
      specificCharacterSet: text(ds, TAG.specificCharacterSet),
      patientBirthDate: text(ds, TAG.patientBirthDate),
      patientSex: text(ds, TAG.patientSex),
      studyDate: text(ds, TAG.studyDate),
      studyTime: text(ds, TAG.studyTime),
      studyId: text(ds, TAG.studyId),
      accessionNumber: text(ds, TAG.accessionNumber),
      referringPhysicianName: text(ds, TAG.referringPhysicianName),
      studyDescription: text(ds, TAG.studyDescription),
    },
    seriesNumber: intString(ds, TAG.seriesNumber),
    instanceNumber: intString(ds, TAG.instanceNumber),
    imageType: text(ds, TAG.imageType).split('\\').map((s) => s.trim()).filter(Boolean),
    pixel,
    numberOfFrames,
    hasPixelData,
    padding,
    spacingBetweenSlicesMm: numbers(ds, TAG.spacingBetweenSlices, 1)?.[0] ?? null,
    frames,
    nativePixelData: nativePixelData(ds, transferSyntaxUid, fileOffsetShift),
  };
}
