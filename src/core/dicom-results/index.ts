/**
 * LungLens's results as DICOM objects (DESIGN.md §8), each in a new series of the source study:
 * a TID 1500 Comprehensive 3D SR, a BINARY Segmentation of the lungs, a Key Object Selection of
 * the top slices, a Secondary Capture summary, and after a sign-off a VERIFIED SR — and the
 * reading of our own SR and of any lung SEG back.
 */
import { lungSegmentation } from './segmentation.js';
import { keyObjectSelection } from './key-objects.js';
import { measurementReport } from './measurement-report.js';
import { summaryImage, type SliceSource } from './summary-image.js';
import type { ResultInput, ResultObject } from './types.js';

/** The four objects of one analysis, in the order they should be sent (the SR first). */
export function resultObjects(input: ResultInput, volume: SliceSource): ResultObject[] {
  return [measurementReport(input), lungSegmentation(input), keyObjectSelection(input), summaryImage(input, volume)]
    .filter((o): o is ResultObject => o !== null);
}

export { measurementReport, verifiedReport } from './measurement-report.js';
export { lungSegmentation } from './segmentation.js';
export { keyObjectSelection } from './key-objects.js';
export { summaryImage, drawSummary, type SliceSource } from './summary-image.js';
export { readReport, readLungMask, type ReadReport, type ReadMask, type MaskTarget } from './read-results.js';
export { resultInput, parseResultInput, type ResultInputParts } from './from-series.js';
export { writeResultFiles } from './write-files.js';
export * from './types.js';
