import { HU } from './hu.js';
import { tileBlend, type NoiseTile } from './noise.js';
import { clamp01, lerp, smoothstep, REF_Z, type Patient } from './patient.js';
import { Superellipse, Tissue, isLung, type SliceCanvas } from './raster.js';

export type Side = -1 | 1;
/** −1: the patient's right (image left), +1: the patient's left. */
export const SIDES: readonly Side[] = [-1, 1];

/**
 * The pleural cavity of one side at reference z: a rounded "D" that is widest above the
 * diaphragm and closes into the apex at the top. Below the lung base it is the inner wall of the
 * upper abdomen (the domes fill it). The left one is narrower (the heart takes its room).
 */
export function sideCavity(p: Patient, zr: number, side: Side): Superellipse | null {
  const u = zr / REF_Z.apex;
  if (u >= 0.995) return null;
  const top = clamp01((u - 0.5) / 0.5);
  // The chest widens downward (a truncated cone) and the apex is a dome.
  const cone = 1.06 - 0.22 * clamp01(u);
  const width = cone * (u < 0.5 ? 1 : Math.sqrt(1 - Math.pow(top, 2.4)));
  const ant = u < 0.42 ? 1 : Math.sqrt(Math.max(0, 1 - Math.pow(clamp01((u - 0.42) / 0.58), 1.7)));
  const post = u < 0.6 ? 1 + 0.08 * (0.6 - Math.max(u, 0)) : Math.sqrt(Math.max(0, 1 - Math.pow(clamp01((u - 0.6) / 0.4), 2.2)));
  if (width <= 0.02 || ant <= 0.02 || post <= 0.02) return null;
  const narrow = side > 0 ? 0.95 : 1;
  const cx = side * lerp(62, 44, smoothstep(0.5, 1, u)) * p.sx;
  const cy = lerp(-2, 22, smoothstep(0.55, 1, u)) * p.sy;
  const ax = 71 * width * narrow * p.sx;
  return new Superellipse(cx, cy, ax * 0.94, ax, 70 * ant * p.sy, 82 * post * p.sy, 2.3);
}

/** The canvas rows the pleural cavities cover at reference z ([n, −1] when none). */
export function cavityRows(c: SliceCanvas, p: Patient, zr: number): [number, number] {
  let lo = c.size;
  let hi = -1;
  for (const side of SIDES) {
    const cav = sideCavity(p, zr, side);
    if (!cav) continue;
    const [a, b] = c.rows(cav.yMin, cav.yMax);
    lo = Math.min(lo, a);
    hi = Math.max(hi, b);
  }
  return [lo, hi];
}

/** Effusion depth (mm) at reference z for a maximum depth at the base. */
export function effusionDepth(maxMm: number, zr: number): number {
  return maxMm * Math.pow(clamp01(1 - zr / 110), 0.8);
}

const lungTissue = (side: Side) => (side < 0 ? Tissue.lungRight : Tissue.lungLeft);

/**
 * Fills both pleural cavities with lung; with an effusion, the dependent crescent of depth d
 * (posterior supine, anterior prone) becomes fluid: the part of the cavity not covered by the
 * cavity moved against gravity by d.
 */
export function paintCavities(c: SliceCanvas, p: Patient, zr: number, effusionMm: [number, number]): void {
  const a = new Float64Array(2);
  const b = new Float64Array(2);
  for (const side of SIDES) {
    const cav = sideCavity(p, zr, side);
    if (!cav) continue;
    c.fill(cav, p.lungHu, lungTissue(side));
    const d = effusionDepth(effusionMm[side < 0 ? 0 : 1], zr);
    if (d < 0.5) continue;
    const [j0, j1] = c.rows(cav.yMin, cav.yMax);
    for (let j = j0; j <= j1; j++) {
      const y = c.y0 + j * c.spacingMm;
      if (!cav.span(y, a)) continue;
      // The fluid lies where gravity pulls it: the crescent left when the cavity moves against it.
      const inner = cav.span(y + p.gravity * d, b);
      const parts: [number, number][] = inner
        ? [[a[0]!, Math.min(a[1]!, b[0]!)], [Math.max(a[0]!, b[1]!), a[1]!]]
        : [[a[0]!, a[1]!]];
      for (const [xa, xb] of parts) {
        const [i0, i1] = c.columns(xa, xb);
        for (let i = i0; i <= i1; i++) {
          const q = j * c.size + i;
          if (isLung(c.tissue[q]!)) {
            c.hu[q] = HU.effusion;
            c.tissue[q] = Tissue.fluid;
          }
        }
      }
    }
  }
}

export interface ParenchymaTexture {
  a: NoiseTile;
  amplitudeHu: number;
}

/**
 * Lung parenchyma: the patient's base HU, a dependent (posterior supine, anterior prone) rise and a low-amplitude
 * texture from a periodic tile blended between layers along z (`tileBlend`), so neighbouring
 * slices are alike and distant ones differ.
 */
export function paintParenchyma(c: SliceCanvas, p: Patient, z: number, tex: ParenchymaTexture, zr: number): void {
  const cavities = SIDES.map((side) => sideCavity(p, zr, side)).filter((s): s is Superellipse => s !== null);
  if (cavities.length === 0) return;
  const span = new Float64Array(2);
  const yFront = -72 * p.sy;
  const yBack = 80 * p.sy;
  const s = c.spacingMm;
  const { a } = tex;
  const blend = tileBlend(z, 6, 11);
  const wa = blend.wa * tex.amplitudeHu;
  const wb = blend.wb * tex.amplitudeHu;
  const n = c.size;
  const [j0, j1] = c.rows(Math.min(...cavities.map((k) => k.yMin)), Math.max(...cavities.map((k) => k.yMax)));
  for (let j = j0; j <= j1; j++) {
    const y = c.y0 + j * s;
    // Lungs lie within the cavities: only the columns of their spans.
    let xa = Infinity;
    let xb = -Infinity;
    for (const k of cavities) {
      if (k.span(y, span)) {
        xa = Math.min(xa, span[0]!);
        xb = Math.max(xb, span[1]!);
      }
    }
    if (!(xb >= xa)) continue;
    const [i0, i1] = c.columns(xa, xb);
    const toBack = clamp01((y - yFront) / (yBack - yFront));
    const dep = p.gravity > 0 ? toBack : 1 - toBack;
    const base = p.lungHu + p.lungGradientHu * dep * dep;
    const rowA = ((j + blend.ay) & a.mask) << a.shift;
    const rowB = ((j + blend.by) & a.mask) << a.shift;
    const row = j * n;
    for (let i = i0; i <= i1; i++) {
      const t = c.tissue[row + i]!;
      if (t !== Tissue.lungRight && t !== Tissue.lungLeft) continue;
      c.hu[row + i] = base + wa * a.values[rowA + ((i + blend.ax) & a.mask)]! + wb * a.values[rowB + ((i + blend.bx) & a.mask)]!;
    }
  }
  paintFissures(c, p, zr);
}

/** Fissure HU and the in-plane slope of the fissure line (mm of y per mm of x, laterally forward). */
const FISSURE_HU = -560;
const FISSURE_SLOPE = 0.8;

/**
 * The major (oblique) fissures: a surface from high at the back to low at the front, seen in an
 * axial slice as a faint line running from the hilum forward and outward. Drawn row by row
 * around where the line crosses, only over lung.
 */
function paintFissures(c: SliceCanvas, p: Patient, zr: number): void {
  if (zr < 25 || zr > 205) return;
  const fade = Math.min(1, (zr - 25) / 20, (205 - zr) / 20);
  // Reference y of the fissure at |x| = 40 mm: posterior at the top, anterior at the base.
  const y0 = (-62 + 0.87 * (zr - 40)) * p.sy;
  const s = c.spacingMm;
  const halfWidth = Math.max(0.45 * s, 0.35);
  const reach = halfWidth * 2;
  for (const side of SIDES) {
    const [j0, j1] = c.rows(y0 - 140 * FISSURE_SLOPE * p.sy, y0 + 2 * reach);
    for (let j = j0; j <= j1; j++) {
      const y = c.y0 + j * s;
      // |x| where the line crosses this row.
      const ax = 40 * p.sx + (y0 - y) / FISSURE_SLOPE;
      if (ax < 25 * p.sx) continue;
      const x = side * ax;
      const [i0, i1] = c.columns(x - reach / FISSURE_SLOPE - s, x + reach / FISSURE_SLOPE + s);
      for (let i = i0; i <= i1; i++) {
        const q = j * c.size + i;
        if (c.tissue[q] !== (side < 0 ? Tissue.lungRight : Tissue.lungLeft)) continue;
        const xi = c.x0 + i * s;
        const d = Math.abs(y - (y0 - (Math.abs(xi) - 40 * p.sx) * FISSURE_SLOPE)) / Math.hypot(1, FISSURE_SLOPE);
        if (d >= halfWidth * 2) continue;
        const w = fade * (1 - d / (halfWidth * 2));
        c.hu[q] = c.hu[q]! + (FISSURE_HU - c.hu[q]!) * w;
      }
    }
  }
}
