import type { Tag } from './dataset.js';
import { RESULT_DICTIONARY } from './dictionary-results.js';
import type { VR } from './vr.js';

/**
 * The small dictionary of the attributes LungLens writes: patient, general study, general series,
 * frame of reference, general equipment, general image, image plane, image pixel, CT image,
 * VOI LUT, SOP common, multi-frame and the functional-group sequences of Enhanced CT — and, from
 * `dictionary-results.ts`, those of the SR, SEG, KOS and SC objects LungLens derives from a series.
 * `xs` marks attributes that are US or SS depending on PixelRepresentation.
 */
export const DICTIONARY = {
  // SOP common
  SpecificCharacterSet: [0x00080005, 'CS'],
  InstanceCreationDate: [0x00080012, 'DA'],
  InstanceCreationTime: [0x00080013, 'TM'],
  SOPClassUID: [0x00080016, 'UI'],
  SOPInstanceUID: [0x00080018, 'UI'],
  // patient
  PatientName: [0x00100010, 'PN'],
  PatientID: [0x00100020, 'LO'],
  PatientBirthDate: [0x00100030, 'DA'],
  PatientSex: [0x00100040, 'CS'],
  PatientAge: [0x00101010, 'AS'],
  // general study
  StudyDate: [0x00080020, 'DA'],
  StudyTime: [0x00080030, 'TM'],
  AccessionNumber: [0x00080050, 'SH'],
  ReferringPhysicianName: [0x00080090, 'PN'],
  StudyDescription: [0x00081030, 'LO'],
  StudyInstanceUID: [0x0020000d, 'UI'],
  StudyID: [0x00200010, 'SH'],
  // general series
  SeriesDate: [0x00080021, 'DA'],
  SeriesTime: [0x00080031, 'TM'],
  Modality: [0x00080060, 'CS'],
  SeriesDescription: [0x0008103e, 'LO'],
  BodyPartExamined: [0x00180015, 'CS'],
  PatientPosition: [0x00185100, 'CS'],
  SeriesInstanceUID: [0x0020000e, 'UI'],
  SeriesNumber: [0x00200011, 'IS'],
  Laterality: [0x00200060, 'CS'],
  // frame of reference
  FrameOfReferenceUID: [0x00200052, 'UI'],
  PositionReferenceIndicator: [0x00201040, 'LO'],
  // general equipment
  Manufacturer: [0x00080070, 'LO'],
  InstitutionName: [0x00080080, 'LO'],
  StationName: [0x00081010, 'SH'],
  ManufacturerModelName: [0x00081090, 'LO'],
  SoftwareVersions: [0x00181020, 'LO'],
  // general image / acquisition
  ImageType: [0x00080008, 'CS'],
  AcquisitionDate: [0x00080022, 'DA'],
  ContentDate: [0x00080023, 'DA'],
  AcquisitionTime: [0x00080032, 'TM'],
  ContentTime: [0x00080033, 'TM'],
  AcquisitionNumber: [0x00200012, 'IS'],
  InstanceNumber: [0x00200013, 'IS'],
  PatientOrientation: [0x00200020, 'CS'],
  ImagesInAcquisition: [0x00201002, 'IS'],
  ImageComments: [0x00204000, 'LT'],
  BurnedInAnnotation: [0x00280301, 'CS'],
  LossyImageCompression: [0x00282110, 'CS'],
  DerivationDescription: [0x00082111, 'ST'],
  ReferencedImageSequence: [0x00081140, 'SQ'],
  SourceImageSequence: [0x00082112, 'SQ'],
  ReferencedSOPClassUID: [0x00081150, 'UI'],
  ReferencedSOPInstanceUID: [0x00081155, 'UI'],
  // image plane
  SliceThickness: [0x00180050, 'DS'],
  SpacingBetweenSlices: [0x00180088, 'DS'],
  ImagePositionPatient: [0x00200032, 'DS'],
  ImageOrientationPatient: [0x00200037, 'DS'],
  SliceLocation: [0x00201041, 'DS'],
  PixelSpacing: [0x00280030, 'DS'],
  // image pixel
  SamplesPerPixel: [0x00280002, 'US'],
  PhotometricInterpretation: [0x00280004, 'CS'],
  PlanarConfiguration: [0x00280006, 'US'],
  NumberOfFrames: [0x00280008, 'IS'],
  Rows: [0x00280010, 'US'],
  Columns: [0x00280011, 'US'],
  BitsAllocated: [0x00280100, 'US'],
  BitsStored: [0x00280101, 'US'],
  HighBit: [0x00280102, 'US'],
  PixelRepresentation: [0x00280103, 'US'],
  SmallestImagePixelValue: [0x00280106, 'xs'],
  LargestImagePixelValue: [0x00280107, 'xs'],
  PixelPaddingValue: [0x00280120, 'xs'],
  PixelPaddingRangeLimit: [0x00280121, 'xs'],
  PixelData: [0x7fe00010, 'OW'],
  // CT image
  KVP: [0x00180060, 'DS'],
  DataCollectionDiameter: [0x00180090, 'DS'],
  ReconstructionDiameter: [0x00181100, 'DS'],
  GantryDetectorTilt: [0x00181120, 'DS'],
  TableHeight: [0x00181130, 'DS'],
  RotationDirection: [0x00181140, 'CS'],
  ExposureTime: [0x00181150, 'IS'],
  XRayTubeCurrent: [0x00181151, 'IS'],
  Exposure: [0x00181152, 'IS'],
  FilterType: [0x00181160, 'SH'],
  ConvolutionKernel: [0x00181210, 'SH'],
  RescaleIntercept: [0x00281052, 'DS'],
  RescaleSlope: [0x00281053, 'DS'],
  RescaleType: [0x00281054, 'LO'],
  // VOI LUT
  WindowCenter: [0x00281050, 'DS'],
  WindowWidth: [0x00281051, 'DS'],
  WindowCenterWidthExplanation: [0x00281055, 'LO'],
  // multi-frame / Enhanced CT functional groups
  FrameType: [0x00089007, 'CS'],
  FrameContentSequence: [0x00209111, 'SQ'],
  PlanePositionSequence: [0x00209113, 'SQ'],
  PlaneOrientationSequence: [0x00209116, 'SQ'],
  DimensionIndexValues: [0x00209157, 'UL'],
  InStackPositionNumber: [0x00209057, 'UL'],
  StackID: [0x00209056, 'SH'],
  PixelMeasuresSequence: [0x00289110, 'SQ'],
  PixelValueTransformationSequence: [0x00289145, 'SQ'],
  CTImageFrameTypeSequence: [0x00189329, 'SQ'],
  SharedFunctionalGroupsSequence: [0x52009229, 'SQ'],
  PerFrameFunctionalGroupsSequence: [0x52009230, 'SQ'],
  ...RESULT_DICTIONARY,
} as const satisfies Record<string, readonly [Tag, VR | 'xs']>;

export type Keyword = keyof typeof DICTIONARY;

/** File meta information (group 0002), written by `writePart10` from its options. */
export const META = {
  FileMetaInformationGroupLength: 0x00020000,
  FileMetaInformationVersion: 0x00020001,
  MediaStorageSOPClassUID: 0x00020002,
  MediaStorageSOPInstanceUID: 0x00020003,
  TransferSyntaxUID: 0x00020010,
  ImplementationClassUID: 0x00020012,
  ImplementationVersionName: 0x00020013,
  SourceApplicationEntityTitle: 0x00020016,
} as const;

export function isKeyword(name: string): name is Keyword {
  return Object.prototype.hasOwnProperty.call(DICTIONARY, name);
}
