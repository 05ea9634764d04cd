/**
 * Non-DICOM volume readers — the folder's only entry point.
 *
 * API boundary: every reader returns a `FormatVolume` whose `volume` follows DESIGN.md §2
 * (DICOM LPS, normal = row × column, x fastest, Int16 HU or 'unknown' with an assumed window),
 * and every failure is a LungLensError with a code and a sentence.
 */
import { LungLensError } from '../errors.js';
import { readImageStack, type ImageStackOptions } from './image-stack.js';
import { readMetaImage } from './metaimage.js';
import { readNifti } from './nifti.js';
import type { DetectedFormat, FormatSource, FormatVolume } from './types.js';

export type { DetectedFormat, FormatSource, FormatVolume } from './types.js';
export { readNifti } from './nifti.js';
export { writeNifti } from './nifti-write.js';
export { readMetaImage, parseMetaImageHeader } from './metaimage.js';
export { readImageStack, sniffImageSize, ASSUMED_LUNG_WINDOW, type ImageStackOptions } from './image-stack.js';
export { naturalCompare, sortSliceFiles } from './natural-sort.js';

/** What a reader job reads: one NIfTI or MetaImage file, or a group of same-sized images. */
export type FormatKind = FormatSource;

/** The format a file name announces, by extension (case-insensitive); null for anything else. */
export function detectFormat(path: string): DetectedFormat | null {
  const name = path.toLowerCase();
  if (name.endsWith('.nii') || name.endsWith('.nii.gz')) return 'nifti';
  if (name.endsWith('.mhd') || name.endsWith('.mha')) return 'metaimage';
  if (name.endsWith('.png') || name.endsWith('.jpg') || name.endsWith('.jpeg')) return 'image';
  return null;
}

/**
 * Dispatches on the kind: `paths` holds one file for NIfTI/MetaImage, the slices for a stack.
 * `options.spacingMm` (a spacing the user gave) is used by image stacks in place of an estimate;
 * for files with a header the caller applies it (ingest/inspect.ts).
 */
export async function readFormatFile(kind: FormatKind, paths: string[], options: ImageStackOptions = {}): Promise<FormatVolume> {
  if (kind === 'image-stack') return readImageStack(paths, options);
  const [path, ...rest] = paths;
  if (path === undefined || rest.length > 0) {
    throw new LungLensError('usage', `A ${kind} volume is read from exactly one file, got ${paths.length}.`);
  }
  return kind === 'nifti' ? readNifti(path) : readMetaImage(path);
}
