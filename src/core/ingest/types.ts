import type { Rejection, Warning } from '../errors.js';
import type { Direction } from '../geometry/vec3.js';
import type { Vec3 } from '../geometry/vec3.js';
import type { AssumedWindow, SpacingSource, Units } from '../volume/volume.js';

export type SeriesSource = 'dicom' | 'nifti' | 'metaimage' | 'image-stack';

/** One usable series, as `lunglens inspect --json` prints it (DESIGN.md §3). */
export interface SeriesSummary {
  /** Stable identifier derived from the content identity (UIDs and geometry), not the path. */
  id: string;
  source: SeriesSource;
  /** The folder (DICOM, image stack) or file (NIfTI, MetaImage) the series came from. */
  path: string;
  seriesInstanceUid: string;
  studyInstanceUid: string;
  modality: string;
  seriesDescription: string;
  /** PatientName and PatientID (DICOM; '' otherwise): identifiers, left out of `inspect --json` and of exports unless asked for. */
  patient: { name: string; id: string };
  /** [columns, rows, slices] */
  dimensions: Vec3;
  spacingMm: Vec3;
  originLps: Vec3;
  direction: Direction;
  units: Units;
  /** Where spacingMm came from: the file's header, an estimate from anatomy (image stacks), or the user (`--spacing`). */
  spacingSource: SpacingSource;
  /** How an uncalibrated series' values were obtained (units 'unknown'): the recognised window and its evidence. */
  assumedWindow?: AssumedWindow;
  /** False for a sparse set of slices (not neighbours in the body): lengths along the slices and volumes mean little. */
  contiguous: boolean;
  valueRange: [number, number];
  valueMean: number;
  transferSyntaxUids: string[];
  warnings: Warning[];
  /** Files in slice-index order (one per slice for classic DICOM; one file for NIfTI/MetaImage). */
  files: string[];
  /** SHA-256 of the voxel values as little-endian Int32 in voxel memory order (with `checksum`). */
  valueSha256?: string;
}

export interface InspectResult {
  series: SeriesSummary[];
  rejected: Rejection[];
  /** Stray non-image files skipped (labels.json, tables, notes, thumbnail databases): counted, not rejected. */
  ignored: string[];
}

export interface InspectOptions {
  /** Compute `valueSha256` for each series. */
  checksum?: boolean;
  /** Worker threads for header parsing and pixel decoding (default: available cores). */
  workers?: number;
  /** Voxel spacing [x, y, z] mm given by the user: replaces the header's or the estimate, for every series. */
  spacingMm?: Vec3;
  /** The same for image stacks only (files that carry no spacing): the app's setting. */
  imageStackSpacingMm?: Vec3;
}
