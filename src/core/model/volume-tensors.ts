import { inputRegion } from './lung-crop.js';
import { maskInputMaker, sliceInputMaker, type InPlaneRegion, type InputPreprocessing } from './preprocess.js';
import type { Volume } from '../volume/volume.js';

export interface VolumeTensors {
  /** [N, 1, S, S] float32: the model input `slices`. */
  slices: Float32Array;
  /** [N, 1, S, S] in {0, 1}: the model input `masks` (the dilated lung mask). */
  masks: Uint8Array;
}

/**
 * The model's two inputs for a whole volume: every slice through `sliceInputMaker`, its mask
 * through `prepareMask` (`maskInputMaker`), both over the region the card's crop asks for (from
 * the dilated mask) — into `into` when given (e.g. shared memory), else into new arrays.
 */
export function volumeTensors(volume: Volume, dilatedMask: Uint8Array, pre: InputPreprocessing, into?: VolumeTensors): VolumeTensors {
  const region = inputRegion(volume, dilatedMask, pre);
  return { slices: sliceTensors(volume, pre, into?.slices, { region }), masks: maskTensors(volume, dilatedMask, pre.size, into?.masks, { region }) };
}

/** Which part of the volume to make: the slices k0 ≤ k < k1 (default all), over `region` of each (default the whole slice). */
export interface TensorPart {
  slices?: readonly [number, number];
  region?: InPlaneRegion | undefined;
}

function checkLength(what: string, array: { length: number }, volume: Pick<Volume, 'dimensions'>, area: number): void {
  if (array.length !== volume.dimensions[2] * area) throw new RangeError(`model input: ${what} for ${array.length / area} slices given for a volume of ${volume.dimensions[2]}`);
}

/** The `slices` input of a whole volume ([N,1,S,S]), or of the part asked for (the rest of `into` is left as it is). */
export function sliceTensors(volume: Volume, pre: InputPreprocessing, into?: Float32Array, part: TensorPart = {}): Float32Array {
  const [columns, rows, n] = volume.dimensions;
  const area = pre.size * pre.size;
  const slices = into ?? new Float32Array(n * area);
  checkLength('slice buffers', slices, volume, area);
  const make = sliceInputMaker(columns, rows, [volume.spacingMm[0], volume.spacingMm[1]], pre, part.region ? { region: part.region } : {});
  const [k0, k1] = part.slices ?? [0, n];
  for (let k = k0; k < k1; k++) make(volume.slice(k), slices.subarray(k * area, (k + 1) * area));
  return slices;
}

/**
 * The `masks` input of a whole volume ([N,1,S,S] in {0, 1}) from its dilated lung mask — or of
 * the slices k0 ≤ k < k1 only, from the dilated mask of those slices (`dilatedMask` then starts
 * at slice k0; the rest of `into` is left as it is) — over `part.region` when given.
 */
export function maskTensors(volume: Pick<Volume, 'dimensions' | 'spacingMm'>, dilatedMask: Uint8Array, size: number, into?: Uint8Array, part: TensorPart = {}): Uint8Array {
  const [columns, rows, n] = volume.dimensions;
  const area = size * size;
  const plane = columns * rows;
  const masks = into ?? new Uint8Array(n * area);
  checkLength('mask buffers', masks, volume, area);
  const make = maskInputMaker(columns, rows, [volume.spacingMm[0], volume.spacingMm[1]], size, part.region);
  const [k0, k1] = part.slices ?? [0, n];
  for (let k = k0; k < k1; k++) make(dilatedMask.subarray((k - k0) * plane, (k - k0 + 1) * plane), masks.subarray(k * area, (k + 1) * area));
  return masks;
}
