/**
 * The worker task of `lunglens prepare`: one volume's lung mask, tensors and .npy files, on a
 * worker thread so that two volumes are prepared at once. The voxels arrive as a view on the
 * ingest's SharedArrayBuffer (no copy); the tensors never travel back, they are written here.
 */
import {
  computeLungMask,
  DEFAULT_LUNG_MASK_OPTIONS,
  dilateRunsL1,
  findLungs,
  hullOfLung,
  joinLungs,
  runsToDense,
  sliceVoxelCounts,
  type LungMaskStatus,
  type LungsFound,
  type LungsNotFound,
  type RunVolume,
} from '../lung/index.js';
import { syntheticChest } from '../lung/test-volumes.js';
import type { InputPreprocessing } from '../model/preprocess.js';
import { Volume, type VolumeInit } from '../volume/volume.js';
import { writeNpy } from './npy.js';
import { maskTensors, sliceTensors, volumeTensors } from './tensors.js';

export interface PrepareCaseTask {
  volume: VolumeInit;
  preprocessing: InputPreprocessing;
  /** Absolute paths of the two .npy files to write. */
  slicesPath: string;
  masksPath: string;
}

export type PrepareCaseResult =
  | { ok: true; lungVolumeMl: number; lungStatus: LungMaskStatus; timingsMs: { mask: number; tensors: number; write: number } }
  /** The volume could not be prepared (a code and a sentence); `fatal` when the output could not be written (the run stops). */
  | { ok: false; code: string; message: string; fatal?: boolean };

export interface SliceInputsTask {
  volume: VolumeInit;
  preprocessing: InputPreprocessing;
  /** Shared memory for the result: [N,1,S,S] float32. */
  slices: Float32Array;
}

/** The `slices` input of one volume, written into the caller's shared buffer (for `lunglens scan`). */
export function sliceInputs(task: SliceInputsTask): { ms: number } {
  const t = performance.now();
  sliceTensors(Volume.create(task.volume), task.preprocessing, task.slices);
  return { ms: performance.now() - t };
}

export interface MaskInputsTask {
  volume: VolumeInit;
  size: number;
  /** Shared memory for the result: [N,1,S,S] in {0, 1}. */
  masks: Uint8Array;
  /** When given (shared memory, one byte per voxel): the lung mask itself, before the dilation (the viewer's overlay). */
  lungMask?: Uint8Array;
}

export type MaskInputsResult =
  | { ok: true; lungVolumeMl: number; lungStatus: LungMaskStatus; slicesWithLung: number; timingsMs: { mask: number; tensors: number } }
  | { ok: false; code: string; message: string; timingsMs: { mask: number; tensors: number } };

/**
 * The lung mask of one volume and its `masks` input, written into the caller's shared buffer (for
 * `lunglens scan`; the same mask and tensors as `prepareCase`), on this thread alone. A volume
 * where no lung is found is refused with the mask's own code and sentence: the model's input
 * would be meaningless. (With two threads, prepare-pool.ts runs the same in parts: `lungsOf`,
 * `lungHull`, `maskSlab`.)
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
    t = performance.now();
    maskTensors(volume, lung.dilatedMask, task.size, task.masks);
    timingsMs.tensors = performance.now() - t;
    return { ok: true, lungVolumeMl: lung.lungVolumeMl, lungStatus: lung.status, slicesWithLung: lung.slicesWithLung, timingsMs };
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

/** Part 1 of the mask in parts: the stages that see the whole volume (lung-mask.ts `findLungs`). */
export function lungsOf(task: { volume: VolumeInit }): LungsFound | LungsNotFound {
  return findLungs(Volume.create(task.volume));
}

export interface LungHullTask {
  found: Pick<LungsFound, 'lungs' | 'lungLike' | 'axis' | 'gridSpacingMm'>;
  index: number;
}

/** Part 2, one task per lung: that lung made whole (lung-mask.ts `hullOfLung`). */
export function lungHull(task: LungHullTask): RunVolume {
  return hullOfLung(task.found, task.index);
}

export interface MaskSlabTask {
  /** The volume's geometry (its voxels are not needed). */
  volume: Pick<VolumeInit, 'dimensions' | 'spacingMm'>;
  hulls: RunVolume[];
  gridFactor: number;
  /** The slab: slices k0 ≤ k < k1. */
  slices: readonly [number, number];
  size: number;
  masks: Uint8Array;
  lungMask?: Uint8Array;
}

/**
 * Part 3, one task per slab of slices: the mask on the volume's grid, dilated, and its `masks`
 * input for those slices. Returns the slab's lung voxels per slice (0 for the other slices).
 */
export function maskSlab(task: MaskSlabTask): { counts: Float64Array; timingsMs: { mask: number; tensors: number } } {
  const volume = task.volume;
  const [nx, ny] = volume.dimensions;
  let t = performance.now();
  const lungs = joinLungs(task.hulls, task.gridFactor, nx, ny);
  if (task.lungMask) runsToDense(lungs, task.lungMask, 1, task.slices);
  const counts = sliceVoxelCounts(lungs, task.slices);
  const dilated = dilateRunsL1(lungs, volume.spacingMm, DEFAULT_LUNG_MASK_OPTIONS.dilationMm, undefined, { slices: task.slices });
  const mask = performance.now() - t;
  t = performance.now();
  maskTensors(volume, dilated, task.size, task.masks, task.slices);
  return { counts, timingsMs: { mask, tensors: performance.now() - t } };
}

export interface WarmUpTask {
  preprocessing: InputPreprocessing;
}

/**
 * Runs the lung mask and both tensors once on a small generated chest (no patient data), so that
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

export async function prepareCase(task: PrepareCaseTask): Promise<PrepareCaseResult> {
  const pre = task.preprocessing;
  let volume: Volume;
  let computed;
  const timingsMs = { mask: 0, tensors: 0, write: 0 };
  try {
    volume = Volume.create(task.volume);
    let t = performance.now();
    const lung = computeLungMask(volume);
    timingsMs.mask = performance.now() - t;
    t = performance.now();
    computed = { lung, tensors: volumeTensors(volume, lung.dilatedMask, pre) };
    timingsMs.tensors = performance.now() - t;
  } catch (error) {
    const code = error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : 'prepare-failed';
    return { ok: false, code, message: `The case could not be prepared: ${error instanceof Error ? error.message : String(error)}` };
  }
  const t = performance.now();
  const shape = [volume.dimensions[2], 1, pre.size, pre.size];
  try {
    await writeNpy(task.slicesPath, computed.tensors.slices, shape);
    await writeNpy(task.masksPath, computed.tensors.masks, shape);
  } catch (error) {
    return { ok: false, code: 'write-failed', fatal: true, message: `The tensors could not be written: ${error instanceof Error ? error.message : String(error)}` };
  }
  timingsMs.write = performance.now() - t;
  return { ok: true, lungVolumeMl: computed.lung.lungVolumeMl, lungStatus: computed.lung.status, timingsMs };
}
