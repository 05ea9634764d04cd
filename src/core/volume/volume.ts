import { LungLensError } from '../errors.js';
import { axes, cross, dot, norm, type Direction, type Vec3 } from '../geometry/vec3.js';

/** HU for CT; `unknown` for sources without calibrated values (8-bit image stacks). */
export type Units = 'HU' | 'unknown';

/**
 * How an uncalibrated grey value g (0…gMax) was mapped: value = lowHu + g / gMax · (highHu − lowHu),
 * except below `belowWindow` where one is set. `note` says it in plain words; `basis` is the
 * evidence the window was chosen on (absent for a fixed assumption).
 */
export interface AssumedWindow {
  lowHu: number;
  highHu: number;
  note: string;
  /**
   * Lungs clipped by a window that starts above air (soft-tissue and bone windows, some crops):
   * the darkest levels hold air and lung alike. Levels up to `fromGrey` (on a 0…255 scale) are
   * read as `hu` (air, −1000), and levels up to `toGrey` — the clipped lungs' noise — rise from
   * there to the window's own value at `toGrey`, so that the lungs stay air to the lung mask.
   */
  belowWindow?: { hu: number; fromGrey: number; toGrey: number };
  basis?: RenderingBasis;
}

/** What the rendering of an image stack was recognised as, and from what (formats/rendering). */
export interface RenderingBasis {
  /** lung / soft-tissue (mediastinal) / bone window, a wide window, stored CT numbers, or a pre-masked export. */
  rendering: 'lung' | 'soft-tissue' | 'bone' | 'wide' | 'ct-numbers' | 'pre-masked';
  /** MONOCHROME1-like: bright air, dark tissue; the grey levels were inverted first. */
  inverted: boolean;
  /** The tissues found in the histogram: grey level (0…gMax, after inversion) and the HU each stands for. */
  anchors: { tissue: 'air' | 'lung' | 'fat' | 'soft-tissue'; grey: number; hu: number }[];
  /** Fractions of the body's pixels at the darkest and the brightest grey level (clipped by the window). */
  clippedDark: number;
  clippedBright: number;
  /** How the window follows from the anchors (one sentence). */
  rule: string;
}

/** Where `spacingMm` came from: the file's header, an estimate from anatomy, or the user. */
export type SpacingSource = 'header' | 'estimated' | 'given';

export interface SpacingProvenance {
  source: SpacingSource;
  /** For an estimate: on what it rests, in plain words (per axis where they differ). */
  basis?: string;
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
  /** Default: from the header. */
  spacing?: SpacingProvenance;
  /**
   * False for a sparse set (a few slices far apart, or out of order): neighbouring slices are not
   * neighbours in the body, so distances along the slice axis and volumes mean little. Default true.
   */
  contiguous?: boolean;
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
  readonly spacing: SpacingProvenance;
  readonly contiguous: boolean;

  private constructor(init: VolumeInit) {
    this.dimensions = [...init.dimensions] as Vec3;
    this.spacingMm = [...init.spacingMm] as Vec3;
    this.originLps = [...init.originLps] as Vec3;
    this.direction = [...init.direction] as Direction;
    this.voxels = init.voxels;
    this.units = init.units;
    this.assumedWindow = init.assumedWindow;
    this.spacing = init.spacing ?? { source: 'header' };
    this.contiguous = init.contiguous ?? true;
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
    if (init.spacing && !['header', 'estimated', 'given'].includes(init.spacing.source)) fail(`unknown spacing source ${String(init.spacing.source)}`);
    return new Volume(init);
  }

  get sliceLength(): number {
    return this.dimensions[0] * this.dimensions[1];
  }

  /** What a copy of this volume with other voxels or geometry must carry over (units, window, spacing source, contiguity). */
  get provenance(): Pick<VolumeInit, 'units' | 'assumedWindow' | 'spacing' | 'contiguous'> {
    return {
      units: this.units,
      ...(this.assumedWindow ? { assumedWindow: this.assumedWindow } : {}),
      spacing: this.spacing,
      contiguous: this.contiguous,
    };
  }

  /** The same voxels (shared, not copied) with another spacing: a spacing the user gave, which wins over the header's. */
  respaced(spacingMm: Vec3, spacing: SpacingProvenance): Volume {
    return Volume.create({ dimensions: this.dimensions, spacingMm, originLps: this.originLps, direction: this.direction, voxels: this.voxels, ...this.provenance, spacing });
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
