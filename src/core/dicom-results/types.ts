import { z } from 'zod';

/**
 * What the DICOM result objects are written from: the source series (its identity, each slice's
 * instance, its geometry), the analysis and the model. Validated once where it enters
 * (`parseResultInput`), so every writer can trust lengths and ranges.
 */
const vec3 = z.tuple([z.number().finite(), z.number().finite(), z.number().finite()]);
const uid = z.string().regex(/^(0|[1-9]\d*)(\.(0|[1-9]\d*))*$/).max(64);

export const studyContextSchema = z.object({
  specificCharacterSet: z.string(),
  patientBirthDate: z.string(),
  patientSex: z.string(),
  studyDate: z.string(),
  studyTime: z.string(),
  studyId: z.string(),
  accessionNumber: z.string(),
  referringPhysicianName: z.string(),
  studyDescription: z.string(),
});

export const sourceSeriesSchema = z.object({
  studyInstanceUid: uid,
  seriesInstanceUid: uid,
  frameOfReferenceUid: uid,
  modality: z.string(),
  seriesNumber: z.number().int().nullable(),
  seriesDescription: z.string(),
  /** As the reader gives them (one character per byte); `studyContext.specificCharacterSet` says how to decode. */
  patient: z.object({ name: z.string(), id: z.string() }),
  studyContext: studyContextSchema,
  slices: z.array(z.object({
    sopClassUid: uid,
    sopInstanceUid: uid,
    frameNumber: z.number().int().positive().nullable(),
    positionLps: vec3.nullable(),
  })).min(1),
});

export const geometrySchema = z.object({
  columns: z.number().int().positive(),
  rows: z.number().int().positive(),
  spacingMm: vec3,
  originLps: vec3,
  direction: z.array(z.number().finite()).length(9),
});

export const analysisSchema = z.object({
  probability: z.number().min(0).max(1),
  verdict: z.enum(['covid', 'non-covid', 'indeterminate']),
  /** Why the detector gave no answer (indeterminate), one sentence each. */
  reasons: z.array(z.string()),
  threshold: z.number().min(0).max(1),
  sliceAttention: z.array(z.number().min(0)),
  slicePositive: z.array(z.boolean()),
  /** Slice indices, highest attention first. */
  topSlices: z.array(z.number().int().nonnegative()),
  /** The lung mask on the volume grid (x fastest, then y, then slice), nonzero = lung; null when none was found. */
  lungMask: z.custom<Uint8Array<ArrayBufferLike>>((v) => v instanceof Uint8Array, 'the lung mask must be a Uint8Array').nullable(),
  lungVolumeMl: z.number().nonnegative().nullable(),
});

export const modelSchema = z.object({
  name: z.string().min(1).max(64),
  version: z.string().min(1).max(64),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});

export const resultInputSchema = z.object({
  series: sourceSeriesSchema,
  geometry: geometrySchema,
  analysis: analysisSchema,
  model: modelSchema,
  /** When the objects are made (content date/time). */
  createdAt: z.date(),
  /** LungLens's own version (package.json), written as a software version of the equipment. */
  softwareVersion: z.string().min(1).max(64),
  institutionName: z.string().max(64).optional(),
}).superRefine((v, ctx) => {
  const n = v.series.slices.length;
  const check = (ok: boolean, path: string, message: string) => {
    if (!ok) ctx.addIssue({ code: z.ZodIssueCode.custom, path: [path], message });
  };
  check(v.analysis.sliceAttention.length === n, 'analysis', `sliceAttention has ${v.analysis.sliceAttention.length} values for ${n} slices.`);
  check(v.analysis.slicePositive.length === n, 'analysis', `slicePositive has ${v.analysis.slicePositive.length} values for ${n} slices.`);
  check(v.analysis.topSlices.every((k) => k < n), 'analysis', 'a top slice lies outside the series.');
  const voxels = v.geometry.columns * v.geometry.rows * n;
  check(v.analysis.lungMask === null || v.analysis.lungMask.length === voxels, 'analysis', `the lung mask has ${v.analysis.lungMask?.length} voxels, the volume ${voxels}.`);
});

export type SourceSeries = z.infer<typeof sourceSeriesSchema>;
export type ResultGeometry = z.infer<typeof geometrySchema>;
export type ResultAnalysis = z.infer<typeof analysisSchema>;
export type ResultModel = z.infer<typeof modelSchema>;
export type ResultInput = z.infer<typeof resultInputSchema>;

/** A clinician's sign-off of a study, for the VERIFIED report. */
export const signOffSchema = z.object({
  /** The reviewer's name as a DICOM person name (Family^Given) or free text. */
  reviewer: z.string().min(1).max(64),
  organization: z.string().max(64).optional(),
  verdict: z.enum(['covid', 'non-covid', 'indeterminate']),
  note: z.string().max(1024),
  /** One entry per slice: the reviewer's mark, or null. */
  marks: z.array(z.enum(['lesion', 'clear']).nullable()),
  signedAt: z.date(),
});
export type SignOff = z.infer<typeof signOffSchema>;

/** One object written: what a sender or a test needs to know about it without parsing it. */
export interface ResultObject {
  kind: 'sr' | 'seg' | 'kos' | 'sc' | 'verified-sr';
  sopClassUid: string;
  sopInstanceUid: string;
  seriesInstanceUid: string;
  bytes: Buffer;
}

export const SOP_CLASS = {
  comprehensive3dSr: '1.2.840.10008.5.1.4.1.1.88.34',
  segmentation: '1.2.840.10008.5.1.4.1.1.66.4',
  keyObjectSelection: '1.2.840.10008.5.1.4.1.1.88.59',
  secondaryCapture: '1.2.840.10008.5.1.4.1.1.7',
  ctImage: '1.2.840.10008.5.1.4.1.1.2',
} as const;
