/**
 * Voxel-to-patient affines (NIfTI sform/qform, MetaImage TransformMatrix × spacing + Offset)
 * → the geometry of our `Volume` (DESIGN.md §2).
 *
 * Architecture invariant: this module knows nothing about files. It takes a 3×4 matrix that
 * already maps (i, j, k, 1) to LPS millimetres and returns spacing, origin, direction and
 * whether the slices must be reversed.
 *
 * Why slices may be reversed: our Volume demands normal = row × column, i.e. a right-handed voxel
 * grid. An affine whose 3×3 part has a negative determinant describes a left-handed grid (common:
 * dcm2niix writes rows bottom-up). We then re-index the slice axis, k' = (n − 1) − k: the third
 * column is negated and the origin moves to the old last slice. Every voxel keeps its LPS
 * position; only the slice order in memory changes. Rows and columns are never touched, so
 * column index i is always the file's first (fastest) index.
 */
import { LungLensError, type Warning } from '../errors.js';
import { add, cross, dot, norm, scale, sub, type Direction, type Vec3 } from '../geometry/vec3.js';

/** Rows x, y, z of the world; columns i, j, k and the translation. */
export type Affine = [
  [number, number, number, number],
  [number, number, number, number],
  [number, number, number, number],
];

export interface GridGeometry {
  spacingMm: Vec3;
  originLps: Vec3;
  direction: Direction;
  /** True when the source grid was left-handed and its slice order must be reversed. */
  reverseSlices: boolean;
  warnings: Warning[];
}

/** Largest |cos| between two axes that we treat as rounding noise (float32 headers). */
const ORTHOGONAL_COS = 1e-4;

/** NIfTI world is RAS (+x = patient Right, +y = Anterior); LPS is the same with x and y negated. */
export function rasToLps(a: Affine): Affine {
  return [a[0].map((v) => -v) as Affine[0], a[1].map((v) => -v) as Affine[1], [...a[2]] as Affine[2]];
}

export function affineColumns(a: Affine): { columns: [Vec3, Vec3, Vec3]; translation: Vec3 } {
  const col = (c: number): Vec3 => [a[0][c]!, a[1][c]!, a[2][c]!];
  return { columns: [col(0), col(1), col(2)], translation: col(3) };
}

/** An affine from direction cosines (three axis vectors), spacing and origin. */
export function composeAffine(axesLps: [Vec3, Vec3, Vec3], spacingMm: Vec3, originLps: Vec3): Affine {
  const row = (r: 0 | 1 | 2): Affine[0] => [
    axesLps[0][r] * spacingMm[0],
    axesLps[1][r] * spacingMm[1],
    axesLps[2][r] * spacingMm[2],
    originLps[r],
  ];
  return [row(0), row(1), row(2)];
}

/**
 * Spacing = column norms (the slice spacing is the third column projected on the normal, which
 * equals its norm unless the grid is sheared); direction = the columns orthonormalised by
 * Gram–Schmidt from the row axis; origin = translation (moved to the last slice when reversed).
 */
export function geometryFromAffine(affine: Affine, slices: number, what: string): GridGeometry {
  if (!affine.every((row) => row.every(Number.isFinite))) {
    throw new LungLensError('invalid-volume', `${what} has a voxel-to-world matrix with non-finite numbers.`);
  }
  const { columns, translation } = affineColumns(affine);
  const [c0, c1] = columns;
  let c2 = columns[2];
  const lengths = columns.map(norm);
  if (!lengths.every((l) => l > 1e-9)) {
    throw new LungLensError('invalid-volume', `${what} has a voxel-to-world matrix with a zero-length axis; its geometry is unusable.`);
  }
  const determinant = dot(cross(c0, c1), c2);
  if (Math.abs(determinant) < 1e-12 * lengths[0]! * lengths[1]! * lengths[2]!) {
    throw new LungLensError('invalid-volume', `${what} has a singular voxel-to-world matrix (two axes are parallel).`);
  }
  const warnings: Warning[] = [];
  let origin: Vec3 = [...translation];
  const reverseSlices = determinant < 0;
  if (reverseSlices) {
    origin = add(origin, scale(c2, slices - 1));
    c2 = scale(c2, -1);
  }

  const row = scale(c0, 1 / lengths[0]!);
  const c1Perp = sub(c1, scale(row, dot(c1, row)));
  const column = scale(c1Perp, 1 / norm(c1Perp));
  const normal = cross(row, column);

  const cosines = [
    Math.abs(dot(c0, c1)) / (lengths[0]! * lengths[1]!),
    Math.abs(dot(c0, c2)) / (lengths[0]! * lengths[2]!),
    Math.abs(dot(c1, c2)) / (lengths[1]! * lengths[2]!),
  ];
  const worst = Math.max(...cosines);
  if (worst > ORTHOGONAL_COS) {
    const degrees = (Math.asin(Math.min(1, worst)) * 180) / Math.PI;
    warnings.push({
      code: 'sheared-grid',
      message: `The voxel axes are not orthogonal (up to ${degrees.toFixed(3)}° off, e.g. a gantry tilt); the grid was made orthogonal, so positions away from the first slice are approximate.`,
    });
  }
  const sliceSpacing = Math.abs(dot(c2, normal));
  // `+ 0` turns −0 into 0, so that results print and compare cleanly.
  const clean = <T extends number[]>(v: T): T => v.map((x) => x + 0) as T;
  return {
    spacingMm: clean<Vec3>([lengths[0]!, lengths[1]!, sliceSpacing]),
    originLps: clean(origin),
    direction: clean<Direction>([...row, ...column, ...normal] as Direction),
    reverseSlices,
    warnings,
  };
}

/**
 * Three letters naming where each voxel axis points in patient space (increasing index → letter),
 * e.g. 'LPS' for a standard DICOM axial grid, by the largest component of each axis.
 */
export function orientationCode(direction: Direction): string {
  const letters = [
    ['R', 'L'],
    ['A', 'P'],
    ['I', 'S'],
  ] as const;
  let code = '';
  for (let a = 0; a < 3; a++) {
    const v: Vec3 = [direction[a * 3]!, direction[a * 3 + 1]!, direction[a * 3 + 2]!];
    let best = 0;
    for (let c = 1; c < 3; c++) if (Math.abs(v[c]!) > Math.abs(v[best]!)) best = c;
    code += letters[best]![v[best]! >= 0 ? 1 : 0];
  }
  return code;
}
