/**
 * Synthetic chest CT with exact truth (`lunglens phantom`): plan cases from a seed, then generate
 * each one's HU volume, lung mask and COVID-19 lesion mask. The only entry to this folder.
 *
 * Truth, on the volume's own grid (each slice is a slab of the slice thickness):
 * - `lungMask`: voxels at least half lung — parenchyma, intrapulmonary vessels and airways,
 *   lesions; not the great vessels, trachea or main bronchi, nor pleural fluid.
 * - `lesionMask`: lung voxels whose COVID-19 lesion fraction (the lesions' opacity averaged over
 *   the slab) is at least one half; `slicePositive[k]` is exactly `lesionVoxelsPerSlice[k] > 0`.
 *   Confounders (nodule, emphysema, atelectasis, effusion, motion) never count.
 */
export { planCases, type PlanOptions } from './plan.js';
export { generateCase } from './generate.js';
export { writePngStack, renderSlicePng, PNG_WINDOWS, type PngWindow, type PngStackOptions } from './write-png-stack.js';
export { writePhantoms, writePhantomCase, SCANNER_HU_RANGE, type PhantomLabels, type PhantomLabelEntry, type PhantomRunOptions } from './write-phantoms.js';
export { writeInserted, makeCase, type InsertRunOptions, type InsertedLabels, type InsertedLabelEntry, type BackgroundRecord } from './write-inserted.js';
export { LESION_TRUTH_HU } from './insert-lesions.js';
export { loadBackground, type Background } from './backgrounds.js';
export type { InsertionSpec } from './plan-insertions.js';
export type { PhantomCase, PhantomCaseSpec, PhantomLabel, CovidFinding, ConfounderFinding } from './types.js';
