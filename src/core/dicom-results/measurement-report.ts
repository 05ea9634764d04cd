/**
 * The detector's result as a Comprehensive 3D SR following TID 1500 "Imaging Measurement Report"
 * (DESIGN.md §8): device observer, procedure reported, an image library of the CT instances, one
 * measurement group with the finding COVID-19, its presence as a qualitative evaluation and the
 * probability as a NUM, and a measurement group per top slice that references the image with its
 * attention weight. `verifiedReport` writes the clinician's sign-off as a new VERIFIED report whose
 * predecessor is the algorithm's.
 */
import { writePart10, type KeyedDataset } from '../dicom/write/index.js';
import { CODES, privateSchemeDeclaration, type Code } from './codes.js';
import {
  contributingEquipment, deviceObserverUid, dicomDate, dicomDateTime, dicomTime, equipment, modelLabel, newSeries,
  patientAndStudy, resultUid, sopCommon, DEVICE_NAME, MANUFACTURER,
} from './modules.js';
import { evidence } from './references.js';
import { encodeContentItem, referencedInstances, type ContentItem } from './sr-content.js';
import { SOP_CLASS, type ResultInput, type ResultObject, type SignOff } from './types.js';

/** The tracking identifier of the study-level group: how a reader finds it again. */
export const STUDY_GROUP_TRACKING_ID = 'LungLens COVID-19 assessment';
export const SLICE_GROUP_TRACKING_PREFIX = 'LungLens top slice ';
export const REVIEW_GROUP_TRACKING_ID = 'Reviewer COVID-19 assessment';
export const REVIEW_SLICE_TRACKING_PREFIX = 'Reviewer slice mark ';

const presence = (verdict: 'covid' | 'non-covid' | 'indeterminate'): Code =>
  verdict === 'covid' ? CODES.present : verdict === 'non-covid' ? CODES.absent : CODES.indeterminate;

function imageItem(input: ResultInput, k: number, rel?: ContentItem['rel'], name?: Code): ContentItem {
  const s = input.series.slices[k]!;
  return {
    type: 'IMAGE', ...(rel ? { rel } : {}), ...(name ? { name } : {}),
    sopClassUid: s.sopClassUid, sopInstanceUid: s.sopInstanceUid, ...(s.frameNumber ? { frames: [s.frameNumber] } : {}),
  };
}

/** TID 1002 observer context for the device (TID 1004). */
function deviceObserver(input: ResultInput): ContentItem[] {
  return [
    { type: 'CODE', rel: 'HAS OBS CONTEXT', name: CODES.observerType, value: CODES.device },
    { type: 'UIDREF', rel: 'HAS OBS CONTEXT', name: CODES.deviceObserverUid, uid: deviceObserverUid(input.model) },
    { type: 'TEXT', rel: 'HAS OBS CONTEXT', name: CODES.deviceObserverName, text: DEVICE_NAME },
    { type: 'TEXT', rel: 'HAS OBS CONTEXT', name: CODES.deviceObserverManufacturer, text: MANUFACTURER },
    { type: 'TEXT', rel: 'HAS OBS CONTEXT', name: CODES.deviceObserverModelName, text: modelLabel(input.model) },
  ];
}

/** TID 1600 image library: one group (the CT series) with an entry per referenced slice. */
function imageLibrary(input: ResultInput): ContentItem {
  return {
    type: 'CONTAINER', rel: 'CONTAINS', name: CODES.imageLibrary,
    children: [{
      type: 'CONTAINER', rel: 'CONTAINS', name: CODES.imageLibraryGroup,
      children: [
        { type: 'CODE', rel: 'HAS ACQ CONTEXT', name: CODES.modality, value: CODES.computedTomography },
        { type: 'UIDREF', rel: 'HAS ACQ CONTEXT', name: CODES.frameOfReferenceUid, uid: input.series.frameOfReferenceUid },
        ...input.series.slices.map((_, k) => imageItem(input, k, 'CONTAINS')),
      ],
    }],
  };
}

/** TID 4019 algorithm identification. */
function algorithm(input: ResultInput): ContentItem[] {
  return [
    { type: 'TEXT', rel: 'HAS CONCEPT MOD', name: CODES.algorithmName, text: input.model.name },
    { type: 'TEXT', rel: 'HAS CONCEPT MOD', name: CODES.algorithmVersion, text: input.model.version },
  ];
}

const tracking = (id: string, uid: string): ContentItem[] => [
  { type: 'TEXT', rel: 'HAS OBS CONTEXT', name: CODES.trackingIdentifier, text: id },
  { type: 'UIDREF', rel: 'HAS OBS CONTEXT', name: CODES.trackingUid, uid },
];

/** The algorithm's measurement groups (TID 1501): the study's assessment, then one per top slice. */
function algorithmGroups(input: ResultInput): ContentItem[] {
  const a = input.analysis;
  const study: ContentItem = {
    type: 'CONTAINER', rel: 'CONTAINS', name: CODES.measurementGroup,
    children: [
      ...tracking(STUDY_GROUP_TRACKING_ID, resultUid(input, 'tracking-study')),
      { type: 'CODE', rel: 'CONTAINS', name: CODES.finding, value: CODES.covid19 },
      { type: 'CODE', rel: 'HAS CONCEPT MOD', name: CODES.findingSite, value: CODES.lung },
      ...algorithm(input),
      { type: 'NUM', rel: 'CONTAINS', name: CODES.probabilityOfCovid19, value: a.probability, unit: CODES.noUnits },
      { type: 'NUM', rel: 'CONTAINS', name: CODES.decisionThreshold, value: a.threshold, unit: CODES.noUnits },
      { type: 'CODE', rel: 'CONTAINS', name: CODES.covid19, value: presence(a.verdict) },
    ],
  };
  const slices = a.topSlices.map((k, rank): ContentItem => ({
    type: 'CONTAINER', rel: 'CONTAINS', name: CODES.measurementGroup,
    children: [
      ...tracking(`${SLICE_GROUP_TRACKING_PREFIX}${rank + 1}: slice ${k + 1} of ${input.series.slices.length}`, resultUid(input, `tracking-slice-${k}`)),
      ...algorithm(input),
      {
        type: 'NUM', rel: 'CONTAINS', name: CODES.sliceAttention, value: a.sliceAttention[k]!, unit: CODES.noUnits,
        children: [imageItem(input, k, 'INFERRED FROM', CODES.sourceOfMeasurement)],
      },
      { type: 'CODE', rel: 'CONTAINS', name: CODES.covid19, value: a.slicePositive[k] ? CODES.present : CODES.absent },
    ],
  }));
  return [study, ...slices];
}

/** Report-level remarks (TID 1500 rows 12–14): why the detector abstained, the reviewer's note. */
function remarks(input: ResultInput, note?: string): ContentItem[] {
  const texts: ContentItem[] = [
    ...input.analysis.reasons.map((text): ContentItem => ({ type: 'TEXT', rel: 'CONTAINS', name: CODES.abstentionReason, text })),
    ...(note ? [{ type: 'TEXT', rel: 'CONTAINS', name: CODES.reviewNote, text: note } as ContentItem] : []),
  ];
  return texts.length ? [{ type: 'CONTAINER', rel: 'CONTAINS', name: CODES.qualitativeEvaluations, children: texts }] : [];
}

function reportRoot(observers: ContentItem[], groups: ContentItem[], input: ResultInput, note?: string): ContentItem {
  return {
    type: 'CONTAINER', name: CODES.imagingMeasurementReport, template: '1500',
    children: [
      { type: 'CODE', rel: 'HAS CONCEPT MOD', name: CODES.languageOfContent, value: CODES.englishUS },
      ...observers,
      { type: 'CODE', rel: 'HAS CONCEPT MOD', name: CODES.procedureReported, value: CODES.ctUnspecifiedBodyRegion },
      imageLibrary(input),
      { type: 'CONTAINER', rel: 'CONTAINS', name: CODES.imagingMeasurements, children: groups },
      ...remarks(input, note),
    ],
  };
}

interface DocumentOptions {
  kind: 'sr' | 'verified-sr';
  description: string;
  sopInstanceUid: string;
  created: Date;
  root: ContentItem;
  /** SR Document General attributes that differ between the two reports. */
  general: KeyedDataset;
}

function srDocument(input: ResultInput, o: DocumentOptions): ResultObject {
  const series = newSeries(input, { kind: o.kind, modality: 'SR', description: o.description });
  const dataset: KeyedDataset = {
    ...patientAndStudy(input.series),
    ...series,
    ReferencedPerformedProcedureStepSequence: [],
    ...equipment(input),
    ...contributingEquipment(input, 'Structured report made'),
    CodingSchemeIdentificationSequence: [privateSchemeDeclaration()],
    InstanceNumber: 1,
    ContentDate: dicomDate(o.created),
    ContentTime: dicomTime(o.created),
    CompletionFlag: 'COMPLETE',
    PerformedProcedureCodeSequence: [],
    CurrentRequestedProcedureEvidenceSequence: [evidence(input.series, referencedInstances(o.root))],
    ...o.general,
    ...sopCommon(SOP_CLASS.comprehensive3dSr, o.sopInstanceUid, o.created),
    ...encodeContentItem(o.root),
  };
  return {
    kind: o.kind,
    sopClassUid: SOP_CLASS.comprehensive3dSr,
    sopInstanceUid: o.sopInstanceUid,
    seriesInstanceUid: series.SeriesInstanceUID as string,
    bytes: writePart10(dataset),
  };
}

/** The algorithm's report: UNVERIFIED, the device its only observer. */
export function measurementReport(input: ResultInput): ResultObject {
  return srDocument(input, {
    kind: 'sr',
    description: 'LungLens COVID-19 report',
    sopInstanceUid: resultUid(input, 'sr'),
    created: input.createdAt,
    root: reportRoot(deviceObserver(input), algorithmGroups(input), input),
    general: { VerificationFlag: 'UNVERIFIED' },
  });
}

/**
 * The report after a clinician signed the study off: VERIFIED, the clinician as verifying observer
 * and as a person observer beside the device, the algorithm's groups kept, the reviewer's verdict
 * and slice marks added, and the algorithm's report as predecessor.
 */
export function verifiedReport(input: ResultInput, signOff: SignOff, predecessor: ResultObject): ResultObject {
  if (signOff.marks.length !== input.series.slices.length) {
    throw new RangeError(`The sign-off has ${signOff.marks.length} slice marks for ${input.series.slices.length} slices.`);
  }
  const signed = dicomDateTime(signOff.signedAt);
  const reviewUid = (what: string) => resultUid(input, `review|${signOff.reviewer}|${signed}|${what}`);
  const person: ContentItem[] = [
    { type: 'CODE', rel: 'HAS OBS CONTEXT', name: CODES.observerType, value: CODES.person },
    { type: 'PNAME', rel: 'HAS OBS CONTEXT', name: CODES.personObserverName, person: signOff.reviewer },
  ];
  const reviewGroup: ContentItem = {
    type: 'CONTAINER', rel: 'CONTAINS', name: CODES.measurementGroup,
    children: [
      ...tracking(REVIEW_GROUP_TRACKING_ID, reviewUid('tracking-study')),
      { type: 'CODE', rel: 'CONTAINS', name: CODES.finding, value: CODES.covid19 },
      { type: 'CODE', rel: 'CONTAINS', name: CODES.covid19, value: presence(signOff.verdict) },
    ],
  };
  const markGroups = signOff.marks.flatMap((mark, k): ContentItem[] => mark === null ? [] : [{
    type: 'CONTAINER', rel: 'CONTAINS', name: CODES.measurementGroup,
    children: [
      ...tracking(`${REVIEW_SLICE_TRACKING_PREFIX}slice ${k + 1} of ${input.series.slices.length}`, reviewUid(`tracking-slice-${k}`)),
      { type: 'CODE', rel: 'CONTAINS', name: CODES.finding, value: CODES.covid19 },
      imageItem(input, k, 'CONTAINS'),
      { type: 'CODE', rel: 'CONTAINS', name: CODES.covid19, value: mark === 'lesion' ? CODES.present : CODES.absent },
    ],
  }]);
  const root = reportRoot([...person, ...deviceObserver(input)], [...algorithmGroups(input), reviewGroup, ...markGroups], input, signOff.note);
  return srDocument(input, {
    kind: 'verified-sr',
    description: 'LungLens COVID-19 report, reviewed',
    sopInstanceUid: reviewUid('sr'),
    created: signOff.signedAt,
    root,
    general: {
      VerificationFlag: 'VERIFIED',
      VerifyingObserverSequence: [{
        VerifyingObserverName: signOff.reviewer,
        VerifyingObserverIdentificationCodeSequence: [],
        VerifyingOrganization: signOff.organization ?? input.institutionName ?? 'Unknown',
        VerificationDateTime: signed,
      }],
      PredecessorDocumentsSequence: [{
        StudyInstanceUID: input.series.studyInstanceUid,
        ReferencedSeriesSequence: [{
          SeriesInstanceUID: predecessor.seriesInstanceUid,
          ReferencedSOPSequence: [{ ReferencedSOPClassUID: predecessor.sopClassUid, ReferencedSOPInstanceUID: predecessor.sopInstanceUid }],
        }],
      }],
    },
  });
}

/** For tests and readers: the code of each verdict. */
export const VERDICT_CODES = { covid: CODES.present, 'non-covid': CODES.absent, indeterminate: CODES.indeterminate } as const;
