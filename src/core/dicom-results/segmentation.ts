/**
 * The lung mask as a BINARY Segmentation (DESIGN.md §8): one segment, the lungs (SNOMED 39607008,
 * category Anatomical Structure), on the source series' grid — one frame per slice that holds
 * lung, each referencing its source image and placed by the source slice's own position.
 */
import { formatDS, keyedElements, writePart10, type DataElement, type KeyedDataset } from '../dicom/write/index.js';
import type { Vec3 } from '../geometry/vec3.js';
import { CODES, codeItem } from './codes.js';
import { contributingEquipment, dicomDate, dicomTime, equipment, newSeries, patientAndStudy, resultUid, sopCommon } from './modules.js';
import { SOP_CLASS, type ResultInput, type ResultObject } from './types.js';

export const LUNG_SEGMENT_LABEL = 'Lungs';
const PIXEL_DATA = 0x7fe00010;
const TAG_REFERENCED_SEGMENT_NUMBER = 0x0062000b;
const TAG_SEGMENT_IDENTIFICATION_SEQUENCE = 0x0062000a;
const TAG_IMAGE_POSITION_PATIENT = 0x00200032;
const TAG_PLANE_POSITION_SEQUENCE = 0x00209113;

/** Packs frames of 0/1 pixels LSB first, frames back to back (PS3.5 §8.1.1). */
export function packBits(mask: Uint8Array, sliceLength: number, slices: number[]): Uint8Array {
  const bits = sliceLength * slices.length;
  const out = new Uint8Array(Math.ceil(bits / 8) + (Math.ceil(bits / 8) % 2));
  let bit = 0;
  for (const k of slices) {
    let i = k * sliceLength;
    const end = i + sliceLength;
    // Whole bytes at a time while the frame is byte-aligned (always, for sizes like 512²).
    if ((bit & 7) === 0) {
      let o = bit >> 3;
      for (; i + 8 <= end; i += 8, o++, bit += 8) {
        out[o] = (mask[i] ? 1 : 0) | (mask[i + 1] ? 2 : 0) | (mask[i + 2] ? 4 : 0) | (mask[i + 3] ? 8 : 0)
          | (mask[i + 4] ? 16 : 0) | (mask[i + 5] ? 32 : 0) | (mask[i + 6] ? 64 : 0) | (mask[i + 7] ? 128 : 0);
      }
    }
    for (; i < end; i++, bit++) if (mask[i] !== 0) out[bit >> 3]! |= 1 << (bit & 7);
  }
  return out;
}

function slicesWithLung(mask: Uint8Array, sliceLength: number, slices: number): number[] {
  const out: number[] = [];
  for (let k = 0; k < slices; k++) {
    const slice = mask.subarray(k * sliceLength, (k + 1) * sliceLength);
    if (slice.some((v) => v !== 0)) out.push(k);
  }
  return out;
}

/** Where slice k lies: the source image's own position, or the volume grid's where it had none. */
function positionOf(input: ResultInput, k: number): Vec3 {
  const own = input.series.slices[k]!.positionLps;
  if (own) return own;
  const g = input.geometry;
  const d = g.direction;
  return [0, 1, 2].map((a) => g.originLps[a]! + k * g.spacingMm[2] * d[6 + a]!) as Vec3;
}

/** The SEG of the lung mask, or null when the mask is empty or absent (a SEG needs a frame). */
export function lungSegmentation(input: ResultInput): ResultObject | null {
  const mask = input.analysis.lungMask;
  const g = input.geometry;
  const sliceLength = g.columns * g.rows;
  const n = input.series.slices.length;
  const frames = mask ? slicesWithLung(mask, sliceLength, n) : [];
  if (!mask || frames.length === 0) return null;

  const created = input.createdAt;
  const sopInstanceUid = resultUid(input, 'seg');
  const series = newSeries(input, { kind: 'seg', modality: 'SEG', description: 'LungLens lung mask' });
  const dimensionOrganizationUid = resultUid(input, 'seg-dimensions');
  const d = g.direction;
  const keyed: KeyedDataset = {
    ...patientAndStudy(input.series),
    ...series,
    FrameOfReferenceUID: input.series.frameOfReferenceUid,
    PositionReferenceIndicator: '',
    ...equipment(input),
    ...contributingEquipment(input, 'Lung segmentation made'),
    ImageType: ['DERIVED', 'PRIMARY'],
    InstanceNumber: 1,
    ContentDate: dicomDate(created),
    ContentTime: dicomTime(created),
    ContentLabel: 'LUNGS',
    ContentDescription: 'Lung mask (automatic) - not for diagnostic use',
    ContentCreatorName: '',
    SamplesPerPixel: 1,
    PhotometricInterpretation: 'MONOCHROME2',
    Rows: g.rows,
    Columns: g.columns,
    BitsAllocated: 1,
    BitsStored: 1,
    HighBit: 0,
    PixelRepresentation: 0,
    LossyImageCompression: '00',
    SegmentationType: 'BINARY',
    NumberOfFrames: frames.length,
    SegmentSequence: [{
      SegmentNumber: 1,
      SegmentLabel: LUNG_SEGMENT_LABEL,
      SegmentedPropertyCategoryCodeSequence: [codeItem(CODES.anatomicalStructure)],
      SegmentedPropertyTypeCodeSequence: [codeItem(CODES.lung)],
      SegmentAlgorithmType: 'AUTOMATIC',
      SegmentAlgorithmName: 'LungLens lung mask',
      SegmentationAlgorithmIdentificationSequence: [{
        AlgorithmFamilyCodeSequence: [codeItem(CODES.morphologicalOperations)],
        AlgorithmName: 'LungLens lung mask (after Liao et al.)',
        AlgorithmVersion: input.softwareVersion,
      }],
      RecommendedDisplayCIELabValue: [40000, 43000, 40000],
    }],
    DimensionOrganizationSequence: [{ DimensionOrganizationUID: dimensionOrganizationUid }],
    DimensionOrganizationType: '3D',
    DimensionIndexSequence: [
      {
        DimensionOrganizationUID: dimensionOrganizationUid,
        DimensionIndexPointer: TAG_REFERENCED_SEGMENT_NUMBER,
        FunctionalGroupPointer: TAG_SEGMENT_IDENTIFICATION_SEQUENCE,
        DimensionDescriptionLabel: 'Segment Number',
      },
      {
        DimensionOrganizationUID: dimensionOrganizationUid,
        DimensionIndexPointer: TAG_IMAGE_POSITION_PATIENT,
        FunctionalGroupPointer: TAG_PLANE_POSITION_SEQUENCE,
        DimensionDescriptionLabel: 'Image Position Patient',
      },
    ],
    SharedFunctionalGroupsSequence: [{
      PixelMeasuresSequence: [{
        PixelSpacing: [g.spacingMm[1], g.spacingMm[0]],
        SliceThickness: formatDS(g.spacingMm[2]),
        SpacingBetweenSlices: formatDS(g.spacingMm[2]),
      }],
      PlaneOrientationSequence: [{ ImageOrientationPatient: [d[0]!, d[1]!, d[2]!, d[3]!, d[4]!, d[5]!] }],
    }],
    PerFrameFunctionalGroupsSequence: frames.map((k, f) => {
      const s = input.series.slices[k]!;
      return {
        FrameContentSequence: [{ DimensionIndexValues: [1, f + 1] }],
        PlanePositionSequence: [{ ImagePositionPatient: [...positionOf(input, k)] }],
        DerivationImageSequence: [{
          SourceImageSequence: [{
            ReferencedSOPClassUID: s.sopClassUid,
            ReferencedSOPInstanceUID: s.sopInstanceUid,
            ...(s.frameNumber ? { ReferencedFrameNumber: s.frameNumber } : {}),
            PurposeOfReferenceCodeSequence: [codeItem(CODES.sourceImageForProcessing)],
          }],
          DerivationCodeSequence: [codeItem(CODES.segmentation)],
        }],
        SegmentIdentificationSequence: [{ ReferencedSegmentNumber: 1 }],
      };
    }),
    ReferencedSeriesSequence: [{
      SeriesInstanceUID: input.series.seriesInstanceUid,
      ReferencedInstanceSequence: uniqueInstances(frames.map((k) => input.series.slices[k]!)),
    }],
    ...sopCommon(SOP_CLASS.segmentation, sopInstanceUid, created),
  };
  const elements: DataElement[] = [...keyedElements(keyed), { tag: PIXEL_DATA, vr: 'OB', value: packBits(mask, sliceLength, frames) }];
  return {
    kind: 'seg',
    sopClassUid: SOP_CLASS.segmentation,
    sopInstanceUid,
    seriesInstanceUid: series.SeriesInstanceUID as string,
    bytes: writePart10(elements),
  };
}

function uniqueInstances(slices: { sopClassUid: string; sopInstanceUid: string }[]): KeyedDataset[] {
  const seen = new Set<string>();
  return slices
    .filter((s) => (seen.has(s.sopInstanceUid) ? false : (seen.add(s.sopInstanceUid), true)))
    .map((s) => ({ ReferencedSOPClassUID: s.sopClassUid, ReferencedSOPInstanceUID: s.sopInstanceUid }));
}
