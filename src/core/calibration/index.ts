/**
 * What an uncalibrated slice stack is taken to be — the only entry to this folder: the display
 * window it was rendered with and the grey → HU line that undoes it (rendering.ts), or why it is
 * not a CT rendering at all; its voxel spacing from anatomy (spacing.ts); whether its slices form
 * a contiguous volume (contiguity.ts). Pure functions of the pixels and file names: the readers
 * decode, this decides, and every decision carries its evidence in plain words.
 */
export { recogniseRendering, greyToHu, ANCHOR_HU, type GreyStack, type RenderingDecision, type RenderingOptions, type DecidedWindow } from './rendering.js';
export { estimateSpacing, estimatePixelSize, estimateSliceSpacing, measureStack, ADULT_BODY_WIDTH_MM, ADULT_LUNG_WIDTH_MM, ADULT_LUNG_HEIGHT_MM, SCAN_FIELD_MM, type SpacingEstimate } from './spacing.js';
export { judgeContiguity, type Contiguity, type SliceSource } from './contiguity.js';
export { sliceAnatomy, type HuSlices, type SliceAnatomy } from './anatomy.js';
