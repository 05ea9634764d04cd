import type { Rng } from './random.js';

/** A point in patient millimetres (LPS): x to the patient's left, y posterior, z superior. */
export type Point3 = [number, number, number];

/**
 * One patient's build: a reference adult (body 330 mm wide, lungs 260 mm tall) scaled and varied.
 * All anatomy is written in reference millimetres (x, y about the body centre; z above the lowest
 * point of the lungs) and mapped to patient LPS by `at`.
 */
export interface Patient {
  /** Lateral, antero-posterior and cranio-caudal scale from the reference adult. */
  sx: number;
  sy: number;
  sz: number;
  /** LPS z of the lowest point of the lungs (posterior costophrenic recess). */
  zBase: number;
  /** Subcutaneous fat thickness (mm). */
  fatMm: number;
  female: boolean;
  /** Breast size 0…1 (female only). */
  breast: number;
  /** Parenchyma HU at the anterior (non-dependent) lung and the rise toward the posterior lung. */
  lungHu: number;
  lungGradientHu: number;
  /** Reference z of landmarks. */
  rightDomeRef: number;
  leftDomeRef: number;
  /** Heart: centre shift (reference mm) and size factor. */
  heartShift: [number, number];
  heartScale: number;
  /** Age-like 0…1: cartilage calcification, aortic size. */
  age: number;
  /** Which way gravity pulls in reference y: +1 supine (dependent = posterior), −1 prone (anterior). */
  gravity: 1 | -1;
  /** Arms down beside the chest (realism v2) instead of raised out of the field. */
  armsDown: boolean;
  /** Realism v2 anatomy where it differs (breasts that project as real ones do). */
  v2: boolean;
}

/** Reference lung height and body half-width. */
export const REF_LUNG_HEIGHT = 260;
export const REF_BODY_HALF_WIDTH = 165;

/** Landmarks in reference z (mm above the lung base). */
export const REF_Z = {
  apex: 260,
  notch: 232,
  t1: 238,
  archTop: 205,
  carina: 178,
  heartTop: 160,
  vertebraPitch: 23.5,
} as const;

export function drawPatient(rng: Rng, fovMm: number): Patient {
  // Pixel spacing follows the patient: the body fills 78–92 % of the field of view.
  const bodyHalfWidth = (fovMm / 2) * rng.uniform(0.78, 0.92);
  const sx = bodyHalfWidth / REF_BODY_HALF_WIDTH;
  const sy = sx * rng.uniform(0.88, 1.08);
  const sz = Math.min(1.0, Math.max(0.75, Math.sqrt(sx) * rng.uniform(0.8, 0.95)));
  const female = rng.chance(0.45);
  return {
    sx,
    sy,
    sz,
    zBase: -rng.uniform(120, 260),
    fatMm: rng.uniform(5, 28) * sx,
    female,
    breast: female ? rng.uniform(0.2, 1) : 0,
    lungHu: rng.uniform(-895, -860),
    lungGradientHu: rng.uniform(30, 75),
    rightDomeRef: rng.uniform(72, 92),
    leftDomeRef: rng.uniform(55, 70),
    heartShift: [rng.uniform(-6, 8), rng.uniform(-5, 5)],
    heartScale: rng.uniform(0.9, 1.1),
    age: rng.random(),
    gravity: 1,
    armsDown: false,
    v2: false,
  };
}

/** Maps reference millimetres to patient LPS. */
export function at(p: Patient, x: number, y: number, zRef: number): Point3 {
  return [x * p.sx, y * p.sy, p.zBase + zRef * p.sz];
}

/** Reference z of an LPS z. */
export const refZ = (p: Patient, z: number): number => (z - p.zBase) / p.sz;

export const clamp01 = (v: number): number => (v < 0 ? 0 : v > 1 ? 1 : v);
export const lerp = (a: number, b: number, t: number): number => a + (b - a) * t;
export const smoothstep = (e0: number, e1: number, v: number): number => {
  const t = clamp01((v - e0) / (e1 - e0));
  return t * t * (3 - 2 * t);
};

/** Piecewise-linear interpolation of keyframes [[z, value], …] (z ascending), clamped at the ends. */
export function keyframes(frames: readonly (readonly number[])[], z: number, index: number): number {
  const first = frames[0]!;
  if (z <= first[0]!) return first[index]!;
  for (let k = 1; k < frames.length; k++) {
    const b = frames[k]!;
    if (z <= b[0]!) {
      const a = frames[k - 1]!;
      return lerp(a[index]!, b[index]!, (z - a[0]!) / (b[0]! - a[0]!));
    }
  }
  return frames[frames.length - 1]![index]!;
}
