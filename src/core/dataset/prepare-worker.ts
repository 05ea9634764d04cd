/**
 * The worker task of `lunglens prepare`: one volume's lung mask, tensors and .npy files, on a
 * worker thread so that two volumes are prepared at once. The voxels arrive as a view on the
 * ingest's SharedArrayBuffer (no copy); the tensors never travel back, they are written here.
 */
import { computeLungMask, type LungMaskStatus } from '../lung/index.js';
import type { InputPreprocessing } from '../model/preprocess.js';
import { volumeTensors } from '../model/volume-tensors.js';
import { Volume, type VolumeInit } from '../volume/volume.js';
import { writeNpy } from './npy.js';

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
