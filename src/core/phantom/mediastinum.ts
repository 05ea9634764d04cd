import { HU } from './hu.js';
import { at, keyframes, REF_Z, type Patient, type Point3 } from './patient.js';
import { RotatedEllipse, Superellipse, Tissue, type SliceCanvas } from './raster.js';
import type { TubeLayer } from './tubes.js';

/**
 * The mediastinal envelope between the lungs (fat around the trachea, oesophagus and great
 * vessels), as [reference z, centre x, front half-width, back half-width, front y, back y].
 * Below the heart's top it is only the posterior column beside the spine.
 */
const ENVELOPE: readonly (readonly number[])[] = [
  [-80, 6, 16, 26, 2, 22],
  [150, 6, 16, 26, 2, 22],
  [162, 4, 36, 40, -72, 28],
  [178, 2, 30, 38, -72, 28],
  [200, 4, 24, 42, -70, 30],
  [215, 0, 20, 32, -66, 28],
  [240, 0, 18, 28, -60, 26],
  [300, 0, 22, 30, -58, 26],
];

export function paintMediastinum(c: SliceCanvas, p: Patient, zr: number): void {
  if (zr > REF_Z.apex + 5) return;
  const cx = keyframes(ENVELOPE, zr, 1) * p.sx;
  const front = keyframes(ENVELOPE, zr, 4) * p.sy;
  const back = keyframes(ENVELOPE, zr, 5) * p.sy;
  const env = new Superellipse(cx, (front + back) / 2, keyframes(ENVELOPE, zr, 2) * p.sx, keyframes(ENVELOPE, zr, 3) * p.sx,
    (back - front) / 2, (back - front) / 2, 2.6);
  c.fill(env, HU.mediastinalFat, Tissue.soft);
  paintHeart(c, p, zr);
  // Oesophagus: in front of the spine, moving left and forward to the stomach.
  const ex = keyframes(ESOPHAGUS, zr, 1) * p.sx;
  const ey = keyframes(ESOPHAGUS, zr, 2) * p.sy;
  if (zr > p.leftDomeRef - 14) {
    c.fill(Superellipse.ellipse(ex, ey, 9 * p.sx, 6.5 * p.sy), HU.muscle - 5, Tissue.soft);
  }
}

const ESOPHAGUS: readonly (readonly number[])[] = [
  [40, 34, -2],
  [70, 16, 6],
  [110, 10, 11],
  [170, 9, 12],
  [300, 4, 13],
];

/** One part of the heart: a tilted ellipse whose size follows a profile between two heights. */
interface HeartPart {
  cx: number;
  cy: number;
  a: number;
  b: number;
  theta: number;
  /** Reference z: bottom, widest, top. */
  z: [number, number, number];
}

/** Ventricles (apex forward and to the left), right atrium, left atrium (behind, high). */
function heartParts(p: Patient): HeartPart[] {
  const bottom = p.leftDomeRef - 6;
  const s = p.heartScale;
  const [dx, dy] = p.heartShift;
  return [
    { cx: 24 + dx, cy: -30 + dy, a: 60 * s, b: 41 * s, theta: -0.62, z: [bottom, bottom + 30, 140] },
    { cx: -24 + dx, cy: -12 + dy, a: 27 * s, b: 23 * s, theta: 0.35, z: [bottom + 8, bottom + 42, 146] },
    { cx: 6 + dx, cy: 2 + dy, a: 27 * s, b: 18 * s, theta: 0.1, z: [108, 130, 160] },
    // Fills the groove between the atria and the ventricles so the outline stays convex.
    { cx: -2 + dx, cy: -16 + dy, a: 34 * s, b: 28 * s, theta: -0.3, z: [bottom + 4, bottom + 36, 142] },
  ];
}

/** Section of a part at reference z (null outside its heights); the bottom is flat on the diaphragm. */
function partSection(p: Patient, h: HeartPart, zr: number): RotatedEllipse | null {
  const [bottom, mid, top] = h.z;
  if (zr <= bottom || zr >= top) return null;
  const k = zr < mid
    ? Math.sqrt(1 - Math.pow((mid - zr) / (mid - bottom), 4))
    : Math.sqrt(1 - Math.pow((zr - mid) / (top - mid), 2));
  return new RotatedEllipse(h.cx * p.sx, h.cy * p.sy, h.a * k * p.sx, h.b * k * p.sy, h.theta);
}

/**
 * The heart as the union of its parts, each wrapped in epicardial fat and pericardium (painted
 * layer by layer, so the inner borders vanish), with slightly less dense blood in the chambers.
 */
function paintHeart(c: SliceCanvas, p: Patient, zr: number): void {
  const parts = heartParts(p).map((h) => partSection(p, h, zr));
  const present = parts.filter((e): e is RotatedEllipse => e !== null);
  if (present.length === 0) return;
  const fat = (2.5 + 3.5 * p.age) * p.sx;
  for (const e of present) c.fill(e.grown(fat + 1.6), HU.pericardium, Tissue.soft);
  for (const e of present) c.fill(e.grown(fat), HU.mediastinalFat, Tissue.soft);
  for (const e of present) c.fill(e, HU.myocardium, Tissue.soft);
  const v = parts[0];
  if (v) {
    const cos = Math.cos(v.theta);
    const sin = Math.sin(v.theta);
    const chamber = (u: number, w: number, a: number, b: number) =>
      new RotatedEllipse(v.cx + u * cos - w * sin, v.cy + u * sin + w * cos, a, b, v.theta);
    // Left ventricle (thick wall, behind), right ventricle (thin wall, in front).
    c.fill(chamber(0.1 * v.a, 0.22 * v.b, 0.5 * v.a, 0.42 * v.b), HU.chamberBlood, Tissue.soft);
    c.fill(chamber(-0.15 * v.a, -0.5 * v.b, 0.55 * v.a, 0.3 * v.b), HU.chamberBlood, Tissue.soft);
  }
  for (const e of [parts[1], parts[2]]) if (e) c.fill(e.scaled(0.82), HU.chamberBlood, Tissue.soft);
}

/** Centre lines of the great vessels (reference mm) with radii; painted as tubes. */
const VESSELS: readonly { radius: number; points: readonly (readonly [number, number, number])[] }[] = [
  // Aorta: root, ascending, arch, descending, abdominal.
  { radius: 15, points: [[8, -22, 138], [-6, -32, 158], [-14, -32, 180], [-10, -22, 197], [0, -8, 204], [12, 8, 205], [22, 20, 199]] },
  { radius: 12, points: [[22, 18, 199], [28, 22, 186], [30, 22, 160], [27, 20, 120], [18, 15, 80], [9, 8, 40], [3, 4, 0], [1, 2, -100]] },
  // Pulmonary trunk and arteries.
  { radius: 14, points: [[18, -52, 142], [20, -40, 160], [16, -24, 170]] },
  { radius: 10, points: [[16, -24, 170], [0, -14, 169], [-22, -9, 167], [-42, -6, 164]] },
  { radius: 9.5, points: [[16, -24, 170], [32, -12, 174], [46, 4, 171]] },
  // Superior vena cava, brachiocephalic veins, azygos.
  { radius: 10, points: [[-36, -28, 218], [-35, -27, 185], [-33, -25, 148]] },
  { radius: 7, points: [[-36, -28, 218], [-42, -22, 250], [-48, -18, 300]] },
  { radius: 6, points: [[-34, -30, 218], [-5, -40, 222], [30, -34, 228], [52, -16, 245], [60, -8, 300]] },
  { radius: 4, points: [[-13, 22, -40], [-14, 22, 165], [-20, 14, 182], [-30, -6, 186], [-34, -22, 184]] },
  // Supra-aortic arteries.
  { radius: 6.5, points: [[-8, -18, 203], [-14, -20, 232], [-22, -14, 300]] },
  { radius: 4.2, points: [[5, -10, 206], [9, -12, 240], [12, -10, 300]] },
  { radius: 5, points: [[16, 2, 205], [24, 4, 235], [42, 10, 265], [70, 10, 300]] },
  // Inferior vena cava into the right atrium.
  { radius: 12, points: [[-18, 8, -100], [-18, 6, 40], [-14, -2, 70]] },
];

/** Adds the great vessels to a layer that takes its volume out of the lungs. */
export function addGreatVessels(layer: TubeLayer, p: Patient): void {
  const ageWiden = 1 + 0.15 * p.age;
  for (const v of VESSELS) {
    const pts: Point3[] = v.points.map(([x, y, z]) => at(p, x, y, z));
    layer.addChain(pts, v.radius * Math.sqrt(p.sx * p.sy) * (v.radius >= 12 ? ageWiden : 1), HU.blood);
  }
}

/** Where the lung vessel trees start (reference mm): right/left pulmonary arteries and the veins at the left atrium. */
export const HILA = {
  arteryRight: [-42, -6, 164],
  arteryLeft: [46, 4, 171],
  veinRight: [-28, 6, 128],
  veinLeft: [38, 10, 126],
} as const;
