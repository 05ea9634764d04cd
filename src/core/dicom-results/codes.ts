/**
 * Coded concepts of the objects LungLens writes (DESIGN.md §8), each with the PS3.16 context group
 * it is drawn from where there is one. Concepts the standard lacks (there is no "probability of
 * COVID-19") are LungLens's own, in the private scheme `99LUNGLENS`, which every object that uses
 * one declares in its Coding Scheme Identification Sequence.
 */
export interface Code {
  value: string;
  scheme: string;
  meaning: string;
}

const dcm = (value: string, meaning: string): Code => ({ value, scheme: 'DCM', meaning });
const sct = (value: string, meaning: string): Code => ({ value, scheme: 'SCT', meaning });

export const PRIVATE_SCHEME = {
  designator: '99LUNGLENS',
  name: 'LungLens private concepts',
  organization: 'LungLens project',
  /** Fixed; derived once from the designator (uidFromText('99LUNGLENS coding scheme')). */
  uid: '2.25.87693773529922186106768923333748175206',
} as const;
const own = (value: string, meaning: string): Code => ({ value, scheme: PRIVATE_SCHEME.designator, meaning });

export const CODES = {
  imagingMeasurementReport: dcm('126000', 'Imaging Measurement Report'),
  languageOfContent: dcm('121049', 'Language of Content Item and Descendants'),
  englishUS: { value: 'en-US', scheme: 'RFC5646', meaning: 'English (United States)' },
  observerType: dcm('121005', 'Observer Type'),
  device: dcm('121007', 'Device'),
  person: dcm('121006', 'Person'),
  personObserverName: dcm('121008', 'Person Observer Name'),
  deviceObserverUid: dcm('121012', 'Device Observer UID'),
  deviceObserverName: dcm('121013', 'Device Observer Name'),
  deviceObserverManufacturer: dcm('121014', 'Device Observer Manufacturer'),
  deviceObserverModelName: dcm('121015', 'Device Observer Model Name'),
  procedureReported: dcm('121058', 'Procedure reported'),
  /**
   * CID 100 has no chest CT (PixelMed's validator refuses codes outside it), so the procedure is
   * "CT unspecified body region" and the measurement group names its finding site, the lung.
   */
  ctUnspecifiedBodyRegion: { value: '25045-6', scheme: 'LN', meaning: 'CT unspecified body region' },
  findingSite: sct('363698007', 'Finding Site'),
  imageLibrary: dcm('111028', 'Image Library'),
  imageLibraryGroup: dcm('126200', 'Image Library Group'),
  modality: dcm('121139', 'Modality'),
  computedTomography: dcm('CT', 'Computed Tomography'),
  frameOfReferenceUid: dcm('112227', 'Frame of Reference UID'),
  imagingMeasurements: dcm('126010', 'Imaging Measurements'),
  measurementGroup: dcm('125007', 'Measurement Group'),
  trackingIdentifier: dcm('112039', 'Tracking Identifier'),
  trackingUid: dcm('112040', 'Tracking Unique Identifier'),
  finding: dcm('121071', 'Finding'),
  covid19: sct('840539006', 'COVID-19'),
  /** CID 241 Present-Absent Only (its "Absent" is 272519000, not SNOMED's qualifier 2667000). */
  present: sct('52101004', 'Present'),
  absent: sct('272519000', 'Absent'),
  indeterminate: sct('82334004', 'Indeterminate'),
  qualitativeEvaluations: { value: 'C0034375', scheme: 'UMLS', meaning: 'Qualitative Evaluations' },
  algorithmName: dcm('111001', 'Algorithm Name'),
  algorithmVersion: dcm('111003', 'Algorithm Version'),
  algorithmParameters: dcm('111002', 'Algorithm Parameters'),
  sourceOfMeasurement: dcm('121112', 'Source of Measurement'),
  noUnits: { value: '1', scheme: 'UCUM', meaning: 'no units' },
  /** CID 7005: the closest purpose to "the algorithm that made this object". */
  processingEquipment: dcm('109102', 'Processing Equipment'),
  ofInterest: dcm('113000', 'Of Interest'),
  keyObjectDescription: dcm('113012', 'Key Object Description'),
  anatomicalStructure: sct('91723000', 'Anatomical Structure'),
  lung: sct('39607008', 'Lung'),
  segmentation: dcm('113076', 'Segmentation'),
  sourceImageForProcessing: dcm('121322', 'Source image for image processing operation'),
  /**
   * CID 7162. The lung mask is thresholding, connected components and morphology (Liao et al.,
   * DESIGN.md §5), not a learned model, so its family is morphological operations.
   */
  morphologicalOperations: dcm('123104', 'Morphological Operations'),
  artificialIntelligence: dcm('123110', 'Artificial Intelligence'),
  probabilityOfCovid19: own('LL0001', 'Probability of COVID-19'),
  decisionThreshold: own('LL0002', 'Decision threshold of COVID-19 probability'),
  sliceAttention: own('LL0003', 'Slice attention weight'),
  abstentionReason: own('LL0004', 'Reason the detector gave no answer'),
  reviewNote: own('LL0005', 'Reviewer note'),
} as const satisfies Record<string, Code>;

/** The Code Sequence Macro of one code. */
export function codeItem(code: Code): { CodeValue?: string; LongCodeValue?: string; CodingSchemeDesignator: string; CodeMeaning: string } {
  return code.value.length > 16
    ? { LongCodeValue: code.value, CodingSchemeDesignator: code.scheme, CodeMeaning: code.meaning }
    : { CodeValue: code.value, CodingSchemeDesignator: code.scheme, CodeMeaning: code.meaning };
}

/** The Coding Scheme Identification Sequence item that declares the private scheme. */
export function privateSchemeDeclaration() {
  return {
    CodingSchemeDesignator: PRIVATE_SCHEME.designator,
    CodingSchemeUID: PRIVATE_SCHEME.uid,
    CodingSchemeName: PRIVATE_SCHEME.name,
    CodingSchemeResponsibleOrganization: PRIVATE_SCHEME.organization,
  };
}
