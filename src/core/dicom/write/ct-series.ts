import { promises as fs } from 'node:fs';
import path from 'node:path';
import { cross, dot, type Vec3 } from '../../geometry/vec3.js';
import type { Volume } from '../../volume/volume.js';
import type { KeyedDataset } from './dataset.js';
import type { RandomSource } from '../../util/seeded-random.js';
import type { WritableTransferSyntax } from './transfer-syntax.js';
import { writePart10 } from './write-part10.js';

export const CT_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.2';

/** Who and what a series belongs to: the patient, general study and general series modules. */
export interface CtSeriesIdentity {
  studyInstanceUid: string;
  seriesInstanceUid: string;
  frameOfReferenceUid: string;
  patientName: string;
  patientId: string;
  studyDescription: string;
  seriesDescription: string;
  seriesNumber: number;
  /** DICOM DA and TM, e.g. 20200401 and 120000. */
  studyDate: string;
  studyTime: string;
  accessionNumber?: string;
  manufacturer?: string;
  convolutionKernel?: string;
  kvp?: number;
}

/** How HU are stored: HU = stored · slope + intercept in a 16-bit container. */
export interface CtStorage {
  signed: boolean;
  bitsStored: number;
  slope: number;
  intercept: number;
  pixelPaddingValue?: number;
}

/** One CT slice: the image plane, pixel and SOP modules on top of its series' identity. */
export interface CtSlice {
  identity: CtSeriesIdentity;
  storage: CtStorage;
  sopInstanceUid: string;
  instanceNumber: number;
  positionLps: Vec3;
  row: Vec3;
  column: Vec3;
  rows: number;
  columns: number;
  /** [x (between columns), y (between rows)] — PixelSpacing holds them the other way round. */
  pixelSpacingMm: [number, number];
  sliceThicknessMm: number;
  pixelData: Int16Array | Uint16Array;
  imageType?: string[];
  gantryTiltDeg?: number;
  /** Attributes added or overriding the defaults. */
  extra?: KeyedDataset;
}

/** The data set of one CT Image Storage instance with the usual modules filled. */
export function ctSliceDataset(s: CtSlice): KeyedDataset {
  const id = s.identity;
  const normal = cross(s.row, s.column);
  return {
    SpecificCharacterSet: 'ISO_IR 100',
    ImageType: s.imageType ?? ['ORIGINAL', 'PRIMARY', 'AXIAL'],
    SOPClassUID: CT_IMAGE_STORAGE,
    SOPInstanceUID: s.sopInstanceUid,
    StudyDate: id.studyDate,
    SeriesDate: id.studyDate,
    ContentDate: id.studyDate,
    StudyTime: id.studyTime,
    SeriesTime: id.studyTime,
    ContentTime: id.studyTime,
    AccessionNumber: id.accessionNumber ?? '',
    Modality: 'CT',
    Manufacturer: id.manufacturer ?? 'LungLens synthetic',
    ReferringPhysicianName: '',
    StudyDescription: id.studyDescription,
    SeriesDescription: id.seriesDescription,
    PatientName: id.patientName,
    PatientID: id.patientId,
    PatientBirthDate: '',
    PatientSex: 'O',
    BodyPartExamined: 'CHEST',
    SliceThickness: s.sliceThicknessMm,
    KVP: id.kvp ?? 120,
    ...(id.convolutionKernel ? { ConvolutionKernel: id.convolutionKernel } : {}),
    GantryDetectorTilt: s.gantryTiltDeg ?? 0,
    PatientPosition: 'HFS',
    StudyInstanceUID: id.studyInstanceUid,
    SeriesInstanceUID: id.seriesInstanceUid,
    StudyID: '1',
    SeriesNumber: id.seriesNumber,
    AcquisitionNumber: 1,
    InstanceNumber: s.instanceNumber,
    ImagePositionPatient: [...s.positionLps],
    ImageOrientationPatient: [...s.row, ...s.column],
    FrameOfReferenceUID: id.frameOfReferenceUid,
    PositionReferenceIndicator: '',
    SliceLocation: dot(s.positionLps, normal),
    SamplesPerPixel: 1,
    PhotometricInterpretation: 'MONOCHROME2',
    Rows: s.rows,
    Columns: s.columns,
    PixelSpacing: [s.pixelSpacingMm[1], s.pixelSpacingMm[0]],
    BitsAllocated: 16,
    BitsStored: s.storage.bitsStored,
    HighBit: s.storage.bitsStored - 1,
    PixelRepresentation: s.storage.signed ? 1 : 0,
    ...(s.storage.pixelPaddingValue !== undefined ? { PixelPaddingValue: s.storage.pixelPaddingValue } : {}),
    RescaleIntercept: s.storage.intercept,
    RescaleSlope: s.storage.slope,
    RescaleType: 'HU',
    WindowCenter: -600,
    WindowWidth: 1500,
    PixelData: s.pixelData,
    ...s.extra,
  };
}

/** The stored-value range of a storage, and the conversion from HU (exact or a RangeError). */
export function storedValueOf(storage: CtStorage): (hu: number) => number {
  const { signed, bitsStored, slope, intercept } = storage;
  const [min, max] = signed ? [-(2 ** (bitsStored - 1)), 2 ** (bitsStored - 1) - 1] : [0, 2 ** bitsStored - 1];
  return (hu) => {
    const s = Math.round((hu - intercept) / slope);
    if (s < min || s > max) {
      throw new RangeError(`${hu} HU is stored as ${s}, outside the ${signed ? 'signed' : 'unsigned'} ${bitsStored}-bit range; change the rescale.`);
    }
    return s;
  };
}

export function shuffled<T>(items: readonly T[], random: RandomSource): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

export interface WriteCtSeriesOptions {
  identity: CtSeriesIdentity;
  storage: CtStorage;
  /** Defaults to the volume's slice spacing. */
  sliceThicknessMm?: number;
  uid: () => string;
  random: RandomSource;
  /** `shuffled`: file names unrelated to slice order (as many archives write them). Default ordered. */
  fileNames?: 'ordered' | 'shuffled';
  /** `shuffled`: InstanceNumbers unrelated to position. Default ascending with slice index. */
  instanceNumbers?: 'ascending' | 'shuffled';
  transferSyntax?: WritableTransferSyntax;
  /** Attributes added to (or overriding) every slice's data set, e.g. PatientPosition. */
  extra?: KeyedDataset;
}

/**
 * Writes a Volume as a DICOM CT series, one Part 10 file per slice, so that a correct reader gets
 * back exactly its geometry and values. Values must fit the storage (RangeError otherwise).
 * Returns the files and SOP Instance UIDs in slice-index order.
 */
export async function writeVolumeAsCtSeries(volume: Volume, dir: string, o: WriteCtSeriesOptions): Promise<{ files: string[]; sopInstanceUids: string[] }> {
  const [columns, rows, slices] = volume.dimensions;
  const [sx, sy, sz] = volume.spacingMm;
  const d = volume.direction;
  const row: Vec3 = [d[0], d[1], d[2]];
  const column: Vec3 = [d[3], d[4], d[5]];
  const toStored = storedValueOf(o.storage);
  const indices = Array.from({ length: slices }, (_, k) => k);
  const names = o.fileNames === 'shuffled' ? shuffled(indices, o.random) : indices;
  const numbers = o.instanceNumbers === 'shuffled' ? shuffled(indices, o.random) : indices;
  const digits = Math.max(4, String(slices).length);
  const n = columns * rows;
  const pixels = o.storage.signed ? new Int16Array(n) : new Uint16Array(n);
  await fs.mkdir(dir, { recursive: true });
  const files: string[] = [];
  const sopInstanceUids: string[] = [];
  for (let k = 0; k < slices; k++) {
    const hu = volume.slice(k);
    for (let i = 0; i < n; i++) pixels[i] = toStored(hu[i]!);
    const sopInstanceUid = o.uid();
    const file = path.join(dir, `IM${String(names[k]! + 1).padStart(digits, '0')}.dcm`);
    const dataset = ctSliceDataset({
      identity: o.identity,
      storage: o.storage,
      sopInstanceUid,
      instanceNumber: numbers[k]! + 1,
      positionLps: volume.voxelToLps(0, 0, k),
      row,
      column,
      rows,
      columns,
      pixelSpacingMm: [sx, sy],
      sliceThicknessMm: o.sliceThicknessMm ?? sz,
      pixelData: pixels,
      ...(o.extra ? { extra: o.extra } : {}),
    });
    await fs.writeFile(file, writePart10(dataset, { transferSyntax: o.transferSyntax ?? 'explicit-little' }));
    files.push(file);
    sopInstanceUids.push(sopInstanceUid);
  }
  return { files, sopInstanceUids };
}
