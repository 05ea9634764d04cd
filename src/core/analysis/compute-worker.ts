/**
 * The analysis' compute threads (compute-pool.ts): the model's two inputs of one volume — its
 * slices, and its dilated lung mask — written into the caller's shared buffers (the voxels arrive
 * as a view on the reader's SharedArrayBuffer; nothing large travels through messages), and the
 * parts of the lung mask over threads (lung/thread-split.ts).
 */
import { computeLungMask, lungSlab, syntheticChest, type LungMaskStatus, type LungSlabTask } from '../lung/index.js';
import type { InPlaneRegion, InputPreprocessing } from '../model/preprocess.js';
import { maskTensors, sliceTensors, volumeTensors } from '../model/volume-tensors.js';
import type { Warning } from '../errors.js';
import { Volume, type VolumeInit } from '../volume/volume.js';

export { lungHull, lungsOf } from '../lung/index.js';

export interface SliceInputsTask {
  volume: VolumeInit;
  preprocessing: InputPreprocessing;
  /** Shared memory for the result: [N,1,S,S] float32. */
  slices: Float32Array;
}

/** The `slices` input of one volume, written into the caller's shared buffer. */
export function sliceInputs(task: SliceInputsTask): { ms: number } {
  const t = performance.now();
  sliceTensors(Volume.create(task.volume), task.preprocessing, task.slices);
  return { ms: performance.now() - t };
}

export interface MaskInputsTask {
  volume: VolumeInit;
  size: number;
  /**
   * Shared memory for the result: [N,1,S,S] in {0, 1}. Absent for a model that crops to the
   * lungs: its input waits for the whole mask (`dilatedMask`, then `croppedInputs`).
   */
  masks?: Uint8Array;
  /** When given (shared memory, one byte per voxel): the dilated lung mask, for `croppedInputs`. */
  dilatedMask?: Uint8Array;
  /** When given (shared memory, one byte per voxel): the lung mask itself, before the dilation (the viewer's overlay). */
  lungMask?: Uint8Array;
}

export type MaskInputsResult =
  | { ok: true; lungVolumeMl: number; lungStatus: LungMaskStatus; slicesWithLung: number; timingsMs: { mask: number; tensors: number }; warnings?: Warning[] }
  | { ok: false; code: string; message: string; timingsMs: { mask: number; tensors: number } };

/**
 * The lung mask of one volume and its `masks` input, written into the caller's shared buffer, on
 * this thread alone (compute-pool.ts runs the same in parts over two threads). A volume where no
 * lung is found is refused with the mask's own code and sentence: the model's input would be
 * meaningless.
 */
export function maskInputs(task: MaskInputsTask): MaskInputsResult {
  const timingsMs = { mask: 0, tensors: 0 };
  try {
    const volume = Volume.create(task.volume);
    let t = performance.now();
    const lung = computeLungMask(volume);
    timingsMs.mask = performance.now() - t;
    if (lung.status !== 'ok') return lungsMissing(lung, timingsMs);
    task.lungMask?.set(lung.mask);
    task.dilatedMask?.set(lung.dilatedMask);
    t = performance.now();
    if (task.masks) maskTensors(volume, lung.dilatedMask, task.size, task.masks);
    timingsMs.tensors = performance.now() - t;
    return { ok: true, lungVolumeMl: lung.lungVolumeMl, lungStatus: lung.status, slicesWithLung: lung.slicesWithLung, timingsMs, ...(lung.warnings ? { warnings: lung.warnings } : {}) };
  } catch (error) {
    return maskFailed(error, timingsMs);
  }
}

/** The refusal of a volume without lungs, with the mask's own code and sentence. */
export function lungsMissing(lung: { status: LungMaskStatus; reason?: string }, timingsMs: { mask: number; tensors: number }): MaskInputsResult {
  return { ok: false, code: lung.status, message: lung.reason ?? `The lung mask failed (${lung.status}).`, timingsMs };
}

/** An unexpected failure of the mask as a result with a code and a sentence (never a rejection). */
export function maskFailed(error: unknown, timingsMs: { mask: number; tensors: number }): MaskInputsResult {
  const code = error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : 'prepare-failed';
  return { ok: false, code, message: `The lung mask could not be made: ${error instanceof Error ? error.message : String(error)}`, timingsMs };
}

export interface MaskSlabTask extends LungSlabTask, Pick<MaskInputsTask, 'size' | 'masks' | 'dilatedMask' | 'lungMask'> {}

/**
 * One slab of slices of the mask in parts (lung/thread-split.ts `lungSlab`) and its `masks` input
 * for those slices (or its dilated mask, for `croppedInputs`). Returns the slab's lung voxels per
 * slice (0 for the other slices).
 */
export function maskSlab(task: MaskSlabTask): { counts: Float64Array; timingsMs: { mask: number; tensors: number } } {
  let t = performance.now();
  const { counts, dilated } = lungSlab(task);
  task.dilatedMask?.set(dilated, task.slices[0] * task.volume.dimensions[0] * task.volume.dimensions[1]);
  const mask = performance.now() - t;
  t = performance.now();
  if (task.masks) maskTensors(task.volume, dilated, task.size, task.masks, { slices: task.slices });
  return { counts, timingsMs: { mask, tensors: performance.now() - t } };
}

export interface CroppedInputsTask {
  volume: VolumeInit;
  preprocessing: InputPreprocessing;
  /** The dilated lung mask (shared memory, one byte per voxel), as `maskInputs` wrote it. */
  dilatedMask: Uint8Array;
  /** The region of every slice the model sees (lung-crop.ts `inputRegion`); undefined: the whole slice. */
  region: InPlaneRegion | undefined;
  /** Shared memory for the two inputs: [N,1,S,S] float32 and [N,1,S,S] in {0, 1}. */
  slices: Float32Array;
  masks: Uint8Array;
  /** The slices k0 ≤ k < k1 to make. */
  part: readonly [number, number];
}

/** Both inputs of a model that crops to the lungs, for some of the slices, over the region found from the whole mask. */
export function croppedInputs(task: CroppedInputsTask): { ms: number } {
  const t = performance.now();
  const volume = Volume.create(task.volume);
  const [k0, k1] = task.part;
  const plane = volume.dimensions[0] * volume.dimensions[1];
  const part = { slices: task.part, region: task.region };
  sliceTensors(volume, task.preprocessing, task.slices, part);
  maskTensors(volume, task.dilatedMask.subarray(k0 * plane, k1 * plane), task.preprocessing.size, task.masks, part);
  return { ms: performance.now() - t };
}

export interface WarmUpTask {
  preprocessing: InputPreprocessing;
}

/**
 * Runs the lung mask and both inputs once on a small generated chest (no patient data), so that
 * the JavaScript engine has compiled their hot loops before the first study: a first study in a
 * cold thread takes ≈ 0.5 s longer. The app calls it for each thread when it starts.
 */
export function warmUp(task: WarmUpTask): { ms: number } {
  const t = performance.now();
  // 0.9 mm pixels: the 2 × 2 grid of a clinical 512² series; a small body and lungs to fit 288 mm.
  const { volume } = syntheticChest({ dimensions: [320, 320, 24], spacingMm: [0.9, 0.9, 10], z0Mm: 0, bodyMm: [135, 100], lungScale: 0.75, airways: false });
  const lung = computeLungMask(volume);
  volumeTensors(volume, lung.dilatedMask, task.preprocessing);
  return { ms: performance.now() - t };
}
