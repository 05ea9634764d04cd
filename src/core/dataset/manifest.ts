/**
 * `DIR/manifest.json` of `lunglens prepare`: the contract with the Python training package
 * (`training/`), which reads these tensors and never re-implements windowing or the lung mask
 * (DESIGN.md §4). Field names are fixed; a change here is a new `version`. The schema is the
 * contract; the types are inferred from it.
 */
import { z } from 'zod';
import type { ErrorCode } from '../errors.js';
import { inputPreprocessingSchema } from '../model/preprocessing-schema.js';

export const MANIFEST_FORMAT = 'lunglens-prepared' as const;
export const MANIFEST_VERSION = 1 as const;

export const PreparedCaseSchema = z.object({
  /** The label's id when labelled, else the series id of `lunglens inspect` (stable: from UIDs and geometry). */
  id: z.string(),
  /** The series' SeriesInstanceUID; for a file without one (NIfTI) the UID its label gives, else "". */
  seriesInstanceUid: z.string(),
  /** The series folder (DICOM) or file, absolute. */
  source: z.string(),
  label: z.enum(['covid', 'non-covid']).nullable(),
  /** Per slice, slice-index order (DESIGN.md §2), exactly `slices` long; null when not known. */
  slicePositive: z.array(z.boolean()).nullable(),
  slices: z.number().int(),
  /** Volume of the lung mask before dilation, mL (0.1 mL). */
  lungVolumeMl: z.number(),
  /** `ok`, or why the mask is empty (`no-lung-found`, `not-hu`): such a case is still prepared. */
  lungStatus: z.enum(['ok', 'no-lung-found', 'not-hu']),
  /** `cases/<id>-slices.npy`: float32 little-endian C order [N, 1, S, S], the exact model input `slices`. */
  slicesFile: z.string(),
  /** `cases/<id>-masks.npy`: uint8 [N, 1, S, S] in {0, 1}, the dilated lung mask (the model input `masks`). */
  masksFile: z.string(),
});
export type PreparedCase = z.infer<typeof PreparedCaseSchema>;

/** Why a series was left out, beyond the ingest codes of errors.ts. */
export type PrepareRejectionCode =
  | ErrorCode
  /** Labels were given but none matches the series. */
  | 'unlabeled'
  /** The label's slicePositive does not have one entry per slice of the series. */
  | 'slice-count-mismatch'
  /** A second series for the same label or the same series id. */
  | 'duplicate-series'
  /** The label's id cannot be used in a file name. */
  | 'invalid-id'
  /** The lung mask or the tensors failed (a bug, or a worker that ran out of memory), reported rather than fatal. */
  | 'prepare-failed';

export const PrepareRejectionSchema = z.object({
  path: z.string(),
  /** A PrepareRejectionCode. */
  code: z.custom<PrepareRejectionCode>((v) => typeof v === 'string'),
  message: z.string(),
});
export type PrepareRejection = z.infer<typeof PrepareRejectionSchema>;

export const PreparedManifestSchema = z.object({
  format: z.literal(MANIFEST_FORMAT),
  version: z.literal(MANIFEST_VERSION),
  preprocessing: inputPreprocessingSchema,
  /** The model sees the dilated lung mask (DESIGN.md §5). */
  mask: z.literal('dilated'),
  /** `lunglens <version>`. */
  createdBy: z.string(),
  cases: z.array(PreparedCaseSchema),
  rejected: z.array(PrepareRejectionSchema),
});
export type PreparedManifest = z.infer<typeof PreparedManifestSchema>;
