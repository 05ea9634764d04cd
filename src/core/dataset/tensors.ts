import { prepareMask, prepareSlice, type InputPreprocessing } from '../model/preprocess.js';
import type { Volume } from '../volume/volume.js';

export interface VolumeTensors {
  /** [N, 1, S, S] float32: the model input `slices`. */
  slices: Float32Array;
  /** [N, 1, S, S] in {0, 1}: the model input `masks` (the dilated lung mask). */
  masks: Uint8Array;
}

/**
 * The model's two inputs for a whole volume: every slice through `prepareSlice`, its mask through
 * `prepareMask` — into `into` when given (e.g. shared memory), else into new arrays.
 */
export function volumeTensors(volume: Volume, dilatedMask: Uint8Array, pre: InputPreprocessing, into?: VolumeTensors): VolumeTensors {
  const [columns, rows, n] = volume.dimensions;
  const spacing: [number, number] = [volume.spacingMm[0], volume.spacingMm[1]];
  const area = pre.size * pre.size;
  const plane = columns * rows;
  if (into && (into.slices.length !== n * area || into.masks.length !== n * area)) {
    throw new RangeError(`model input: buffers for ${into.slices.length / area} slices given for a volume of ${n}`);
  }
  const slices = into?.slices ?? new Float32Array(n * area);
  const masks = into?.masks ?? new Uint8Array(n * area);
  for (let k = 0; k < n; k++) {
    slices.set(prepareSlice(volume.slice(k), columns, rows, spacing, pre), k * area);
    const m = prepareMask(dilatedMask.subarray(k * plane, (k + 1) * plane), columns, rows, spacing, pre.size);
    for (let i = 0, o = k * area; i < area; i++, o++) masks[o] = m[i]! > 0 ? 1 : 0;
  }
  return { slices, masks };
}
