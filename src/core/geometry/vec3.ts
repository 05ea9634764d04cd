/** Small vector helpers for patient-space (LPS) geometry. */
export type Vec3 = [number, number, number];
/** Three unit column vectors, flattened: row direction, column direction, slice normal. */
export type Direction = [number, number, number, number, number, number, number, number, number];

export const dot = (a: Vec3, b: Vec3): number => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];

export const cross = (a: Vec3, b: Vec3): Vec3 => [
  a[1] * b[2] - a[2] * b[1],
  a[2] * b[0] - a[0] * b[2],
  a[0] * b[1] - a[1] * b[0],
];

export const norm = (a: Vec3): number => Math.hypot(a[0], a[1], a[2]);

export function normalize(a: Vec3): Vec3 {
  const n = norm(a);
  if (!(n > 0)) throw new RangeError('cannot normalize a zero-length vector');
  return [a[0] / n, a[1] / n, a[2] / n];
}

export const sub = (a: Vec3, b: Vec3): Vec3 => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
export const add = (a: Vec3, b: Vec3): Vec3 => [a[0] + b[0], a[1] + b[1], a[2] + b[2]];
export const scale = (a: Vec3, s: number): Vec3 => [a[0] * s, a[1] * s, a[2] * s];

/** The three column vectors of a direction matrix. */
export function axes(d: Direction): [Vec3, Vec3, Vec3] {
  return [
    [d[0], d[1], d[2]],
    [d[3], d[4], d[5]],
    [d[6], d[7], d[8]],
  ];
}

export function direction(row: Vec3, column: Vec3, normal: Vec3): Direction {
  return [...row, ...column, ...normal] as Direction;
}
