/**
 * Raw voxel samples (any of the eight common scalar types, either byte order) → Int16 HU.
 * Shared by the NIfTI and MetaImage readers so that both apply the same rules:
 *   value = sample × slope + intercept, rounded with Math.round (half up, like floor(x + 0.5)),
 *   clamped to the Int16 range (counted, warned); NaN becomes −1024 (air, counted, warned).
 */
import { LungLensError, type Warning } from '../errors.js';
import type { Vec3 } from '../geometry/vec3.js';
import { Volume } from '../volume/volume.js';
import type { GridGeometry } from './affine.js';

export type SampleType = 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'float32' | 'float64';

export const SAMPLE_BYTES: Record<SampleType, number> = {
  int8: 1,
  uint8: 1,
  int16: 2,
  uint16: 2,
  int32: 4,
  uint32: 4,
  float32: 4,
  float64: 8,
};

const INT16_MIN = -32768;
const INT16_MAX = 32767;
/** What a NaN sample becomes: air. */
export const NAN_HU = -1024;

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export interface SamplesToHuInput {
  /** Bytes starting at the first sample; at least product(dimensions) samples long. */
  bytes: Uint8Array;
  type: SampleType;
  littleEndian: boolean;
  /** [columns, rows, slices] of the volume to produce. */
  dimensions: Vec3;
  /** Applied when not (1, 0); pass (1, 0) for no scaling. */
  slope: number;
  intercept: number;
  /** Write slice k of the input to slice (n − 1 − k) of the output (see affine.ts). */
  reverseSlices: boolean;
}

export interface HuConversion {
  voxels: Int16Array;
  /** Voxels whose scaled value was outside −32768…32767. */
  clampedCount: number;
  /** NaN samples (float data), written as NAN_HU. */
  nanCount: number;
  /** Range of the scaled values before rounding (NaN ignored). */
  scaledMin: number;
  scaledMax: number;
}

type NumericArray = Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | Float32Array | Float64Array;

function typedView(type: SampleType, buffer: ArrayBuffer): NumericArray {
  switch (type) {
    case 'int8':
      return new Int8Array(buffer);
    case 'uint8':
      return new Uint8Array(buffer);
    case 'int16':
      return new Int16Array(buffer);
    case 'uint16':
      return new Uint16Array(buffer);
    case 'int32':
      return new Int32Array(buffer);
    case 'uint32':
      return new Uint32Array(buffer);
    case 'float32':
      return new Float32Array(buffer);
    case 'float64':
      return new Float64Array(buffer);
  }
}

function swapBytes(bytes: Uint8Array, size: number): void {
  for (let p = 0; p + size <= bytes.length; p += size) {
    for (let a = p, b = p + size - 1; a < b; a++, b--) {
      const t = bytes[a]!;
      bytes[a] = bytes[b]!;
      bytes[b] = t;
    }
  }
}

export function samplesToHu(input: SamplesToHuInput): HuConversion {
  const [nx, ny, nz] = input.dimensions;
  const sliceLength = nx * ny;
  const count = sliceLength * nz;
  const size = SAMPLE_BYTES[input.type];
  if (input.bytes.length < count * size) {
    throw new LungLensError('corrupt-file', `The voxel data holds ${input.bytes.length} bytes but ${count * size} are needed.`);
  }
  let voxels: Int16Array;
  try {
    voxels = new Int16Array(count);
  } catch (error) {
    throw new LungLensError('too-large', `A volume of ${count} voxels does not fit in memory.`, { cause: error });
  }
  // A copy starting at offset 0 is aligned for any typed array; swap in place if needed.
  // (Not `bytes.slice`: on a Node Buffer that is a view, not a copy.)
  const copy = new Uint8Array(count * size);
  copy.set(input.bytes.subarray(0, count * size));
  if (size > 1 && input.littleEndian !== HOST_LITTLE_ENDIAN) swapBytes(copy, size);
  const samples = typedView(input.type, copy.buffer);

  const { slope, intercept } = input;
  const scaled = slope !== 1 || intercept !== 0;
  let clampedCount = 0;
  let nanCount = 0;
  let scaledMin = Infinity;
  let scaledMax = -Infinity;
  for (let k = 0; k < nz; k++) {
    const src = k * sliceLength;
    const dst = (input.reverseSlices ? nz - 1 - k : k) * sliceLength;
    for (let i = 0; i < sliceLength; i++) {
      let x = samples[src + i]!;
      if (scaled) x = x * slope + intercept;
      if (x !== x) {
        nanCount++;
        voxels[dst + i] = NAN_HU;
        continue;
      }
      if (x < scaledMin) scaledMin = x;
      if (x > scaledMax) scaledMax = x;
      let r = Math.round(x);
      if (r > INT16_MAX) {
        r = INT16_MAX;
        clampedCount++;
      } else if (r < INT16_MIN) {
        r = INT16_MIN;
        clampedCount++;
      }
      voxels[dst + i] = r;
    }
  }
  return { voxels, clampedCount, nanCount, scaledMin, scaledMax };
}

/** The warnings a HU conversion deserves: clamping, NaN, and values that do not look like CT HU. */
export function huWarnings(conversion: HuConversion): Warning[] {
  const warnings: Warning[] = [];
  const { clampedCount, nanCount, scaledMin, scaledMax } = conversion;
  if (clampedCount > 0) {
    warnings.push({
      code: 'values-clamped',
      message: `${clampedCount} voxel value(s) fell outside the Int16 range (scaled range ${fmt(scaledMin)} … ${fmt(scaledMax)}) and were clamped to −32768 … 32767.`,
    });
  }
  if (nanCount > 0) {
    warnings.push({ code: 'non-finite-values', message: `${nanCount} voxel(s) were NaN and were set to ${NAN_HU} HU (air).` });
  }
  if (Number.isFinite(scaledMax) && Number.isFinite(scaledMin)) {
    if (scaledMin >= -1 && scaledMax <= 1) {
      warnings.push({
        code: 'values-not-hu?',
        message: `The values range from ${fmt(scaledMin)} to ${fmt(scaledMax)}, which looks like normalised intensities rather than Hounsfield units; they are used as HU anyway.`,
      });
    } else if (scaledMin >= 0 && scaledMax <= 255) {
      warnings.push({
        code: 'values-not-hu?',
        message: `The values range from ${fmt(scaledMin)} to ${fmt(scaledMax)}, which looks like an 8-bit picture rather than Hounsfield units; they are used as HU anyway.`,
      });
    } else if (scaledMin >= 0) {
      warnings.push({
        code: 'values-not-hu?',
        message: `No value is below 0 (range ${fmt(scaledMin)} … ${fmt(scaledMax)}), but air in a CT is about −1000 HU; these may be stored values without their rescale intercept. They are used as HU anyway.`,
      });
    }
  }
  return warnings;
}

function fmt(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toPrecision(6);
}

/**
 * The volume in HU of a file's samples on its grid (NIfTI, MetaImage): converted by
 * `samplesToHu` in the geometry's slice order, the conversion's warnings added to `warnings`.
 */
export function huVolume(input: Omit<SamplesToHuInput, 'reverseSlices'>, geometry: GridGeometry, warnings: Warning[]): Volume {
  const conversion = samplesToHu({ ...input, reverseSlices: geometry.reverseSlices });
  warnings.push(...huWarnings(conversion));
  return Volume.create({
    dimensions: input.dimensions,
    spacingMm: geometry.spacingMm,
    originLps: geometry.originLps,
    direction: geometry.direction,
    voxels: conversion.voxels,
    units: 'HU',
  });
}
