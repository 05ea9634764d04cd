import { LungLensError } from '../errors.js';
import { axes, cross, dot, norm, type Direction, type Vec3 } from '../geometry/vec3.js';

/** HU for CT; `unknown` for sources without calibrated values (8-bit image stacks). */
export type Units = 'HU' | 'unknown';

/** How an uncalibrated 8-bit grey value g was mapped: value = lowHu + g / 255 · (highHu − lowHu). */
export interface AssumedWindow {
  lowHu: number;
  highHu: number;
  note: string;
}

export interface VolumeInit {
  /** [columns, rows, slices] */
  dimensions: Vec3;
  spacingMm: Vec3;
  /** Centre of voxel (0,0,0) in DICOM LPS millimetres. */
  originLps: Vec3;
  /** Row direction, column direction, slice normal (= row × column), as unit column vectors. */
  direction: Direction;
  /** Voxel values, x fastest, then y, then slice (DESIGN.md §2). */
  voxels: Int16Array;
  units: Units;
  assumedWindow?: AssumedWindow;
}

const ORTHO_TOLERANCE = 1e-3;

/**
 * The one volume type of LungLens. Construction validates everything a consumer relies on and
 * fails loudly (code `invalid-volume`) instead of letting a half-built volume travel.
 */
export class Volume {
  readonly dimensions: Vec3;
  readonly spacingMm: Vec3;
  readonly originLps: Vec3;
  readonly direction: Direction;
  readonly voxels: Int16Array;
  readonly units: Units;
  readonly assumedWindow: AssumedWindow | undefined;

  private constructor(init: VolumeInit) {
    this.dimensions = [...init.dimensions] as Vec3;
    this.spacingMm = [...init.spacingMm] as Vec3;
    this.originLps = [...init.originLps] as Vec3;
    this.direction = [...init.direction] as Direction;
    this.voxels = init.voxels;
    this.units = init.units;
    this.assumedWindow = init.assumedWindow;
  }

  static create(init: VolumeInit): Volume {
    const fail = (why: string): never => {
      throw new LungLensError('invalid-volume', `The volume is incomplete or inconsistent: ${why}.`);
    };
    if (init.dimensions?.length !== 3 || !init.dimensions.every((d) => Number.isInteger(d) && d > 0)) {
      fail(`dimensions must be three positive integers, got ${JSON.stringify(init.dimensions)}`);
    }
    if (init.spacingMm?.length !== 3 || !init.spacingMm.every((s) => Number.isFinite(s) && s > 0)) {
      fail(`spacing must be three positive millimetre values, got ${JSON.stringify(init.spacingMm)}`);
    }
    if (init.originLps?.length !== 3 || !init.originLps.every(Number.isFinite)) {
      fail(`origin must be three finite numbers, got ${JSON.stringify(init.originLps)}`);
    }
    if (init.direction?.length !== 9 || !init.direction.every(Number.isFinite)) {
      fail('direction must be nine finite numbers');
    }
    const [r, c, n] = axes(init.direction);
    for (const [name, v] of [['row', r], ['column', c], ['normal', n]] as const) {
      if (Math.abs(norm(v) - 1) > ORTHO_TOLERANCE) fail(`the ${name} direction is not a unit vector`);
    }
    if (Math.abs(dot(r, c)) > ORTHO_TOLERANCE) fail('row and column directions are not orthogonal');
    const expected = cross(r, c);
    if (Math.abs(dot(expected, n) - 1) > ORTHO_TOLERANCE) fail('the slice normal is not row × column');
    const [nx, ny, nz] = init.dimensions;
    if (!(init.voxels instanceof Int16Array)) fail('voxels must be an Int16Array');
    if (init.voxels.length !== nx * ny * nz) {
      fail(`expected ${nx * ny * nz} voxels for ${nx}×${ny}×${nz}, got ${init.voxels.length}`);
    }
    if (init.units !== 'HU' && init.units !== 'unknown') fail(`units must be HU or unknown, got ${String(init.units)}`);
    if (init.units === 'unknown' && !init.assumedWindow) fail('a volume without HU must record the window it assumed');
    return new Volume(init);
  }

  get sliceLength(): number {
    return this.dimensions[0] * this.dimensions[1];
  }

  /** A view (no copy) of slice k. */
  slice(k: number): Int16Array {
    const n = this.sliceLength;
    return this.voxels.subarray(k * n, (k + 1) * n);
  }

  /** Patient (LPS) position of the centre of voxel (i, j, k). */
  voxelToLps(i: number, j: number, k: number): Vec3 {
    const [r, c, n] = axes(this.direction);
    const [sx, sy, sz] = this.spacingMm;
    const o = this.originLps;
    return [
      o[0] + r[0] * i * sx + c[0] * j * sy + n[0] * k * sz,
      o[1] + r[1] * i * sx + c[1] * j * sy + n[1] * k * sz,
      o[2] + r[2] * i * sx + c[2] * j * sy + n[2] * k * sz,
    ];
  }

  /** [min, max] and mean of the voxel values. */
  statistics(): { min: number; max: number; mean: number } {
    const v = this.voxels;
    let min = 32767;
    let max = -32768;
    let sum = 0;
    for (let i = 0; i < v.length; i++) {
      const x = v[i]!;
      if (x < min) min = x;
      if (x > max) max = x;
      sum += x;
    }
    return { min, max, mean: sum / v.length };
  }
}
