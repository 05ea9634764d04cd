/**
 * `DIR/manifest.json` of `lunglens prepare`: the contract with the Python training package
 * (`training/`), which reads these tensors and never re-implements windowing or the lung mask
 * (DESIGN.md §4). Field names are fixed; a change here is a new `version`.
 */
import type { ErrorCode } from '../errors.js';
import type { LungMaskStatus } from '../lung/index.js';
import type { InputPreprocessing } from '../model/preprocess.js';
import type { VolumeLabel } from './labels.js';

export const MANIFEST_FORMAT = 'lunglens-prepared';
export const MANIFEST_VERSION = 1;

export interface PreparedCase {
  /** The label's id when labelled, else the series id of `lunglens inspect` (stable: from UIDs and geometry). */
  id: string;
  /** The series' SeriesInstanceUID; for a file without one (NIfTI) the UID its label gives, else "". */
  seriesInstanceUid: string;
  /** The series folder (DICOM) or file, absolute. */
  source: string;
  label: VolumeLabel | null;
  /** Per slice, slice-index order (DESIGN.md §2), exactly `slices` long; null when not known. */
  slicePositive: boolean[] | null;
  slices: number;
  /** Volume of the lung mask before dilation, mL (0.1 mL). */
  lungVolumeMl: number;
  /** `ok`, or why the mask is empty (`no-lung-found`, `not-hu`): such a case is still prepared. */
  lungStatus: LungMaskStatus;
  /** `cases/<id>-slices.npy`: float32 little-endian C order [N, 1, S, S], the exact model input `slices`. */
  slicesFile: string;
  /** `cases/<id>-masks.npy`: uint8 [N, 1, S, S] in {0, 1}, the dilated lung mask (the model input `masks`). */
  masksFile: string;
}

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

export interface PrepareRejection {
  path: string;
  code: PrepareRejectionCode;
  message: string;
}

export interface PreparedManifest {
  format: typeof MANIFEST_FORMAT;
  version: typeof MANIFEST_VERSION;
  preprocessing: InputPreprocessing;
  /** The model sees the dilated lung mask (DESIGN.md §5). */
  mask: 'dilated';
  /** `lunglens <version>`. */
  createdBy: string;
  cases: PreparedCase[];
  rejected: PrepareRejection[];
}
