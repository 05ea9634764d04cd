import type { Warning } from '../errors.js';
import type { Volume } from '../volume/volume.js';

/** Where a non-DICOM volume came from (a subset of the ingest layer's `SeriesSource`). */
export type FormatSource = 'nifti' | 'metaimage' | 'image-stack';

/** What `detectFormat` recognises from a file name. */
export type DetectedFormat = 'nifti' | 'metaimage' | 'image';

/** A volume read from a NIfTI file, a MetaImage or a stack of 2-D images, already in DICOM LPS. */
export interface FormatVolume {
  volume: Volume;
  source: FormatSource;
  /** Non-fatal findings (assumed geometry, clamped values, dropped time points, …). */
  warnings: Warning[];
  /** One human line: format, sample type, orientation, what was assumed. */
  description: string;
  /** The files read, in slice order for an image stack; header first, then data file, for a .mhd. */
  files: string[];
}
