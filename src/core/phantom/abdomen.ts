import { HU } from './hu.js';
import { sideCavity, type Side } from './lungs.js';
import type { Patient } from './patient.js';
import { RotatedEllipse, Superellipse, Tissue, type Shape, type SliceCanvas } from './raster.js';

/**
 * The diaphragm domes: below each dome the abdomen fills the cavity. A dome is a paraboloid, so
 * its cross-section is an ellipse growing as √(top − z) — it meets the anterior chest wall first,
 * then the lateral wall, and the posterior wall last (the deep posterior recess of the lung).
 */
export function domeSection(p: Patient, zr: number, side: Side): Superellipse | null {
  const top = side < 0 ? p.rightDomeRef : p.leftDomeRef;
  if (zr >= top) return null;
  const k = Math.sqrt((top - zr) / top);
  const cx = side * 52 * p.sx;
  const cy = -12 * p.sy;
  return new Superellipse(cx, cy, 100 * k * p.sx, 100 * k * p.sx, 108 * k * p.sy, 84 * k * p.sy, 2);
}

/** Paints the diaphragm, liver, stomach (air-fluid level), spleen and kidneys below the domes. */
export function paintAbdomen(c: SliceCanvas, p: Patient, zr: number): void {
  const right = domeSection(p, zr, -1);
  const left = domeSection(p, zr, 1);
  if (!right && !left) return;
  const wall = 4 * p.sx;
  const clipR = sideCavityUnion(p, zr);
  if (right) c.fill(grow(right, wall), HU.muscle, Tissue.soft, clipR);
  if (left) c.fill(grow(left, wall), HU.muscle, Tissue.soft, clipR);
  if (left) {
    c.fill(left, HU.bowelFat, Tissue.soft, clipR);
    // Spleen: posterolateral.
    const spleenTop = p.leftDomeRef - 12;
    if (zr < spleenTop) {
      const k = Math.min(1, Math.sqrt((spleenTop - zr) / 30));
      c.fill(new RotatedEllipse(88 * p.sx, 38 * p.sy, 48 * k * p.sy, 22 * k * p.sx, 1.1), HU.spleen, Tissue.soft, left);
    }
    // Stomach: fundus under the left dome, air anteriorly above a horizontal air-fluid level.
    const stomachTop = p.leftDomeRef - 6;
    if (zr < stomachTop) {
      const k = Math.min(1, Math.sqrt((stomachTop - zr) / 25));
      const st = Superellipse.ellipse(48 * p.sx, -18 * p.sy, 44 * k * p.sx, 38 * k * p.sy);
      c.fill(st, HU.stomachWall, Tissue.soft, left);
      const lumen = st.inset(3);
      c.fill(lumen, HU.stomachContent, Tissue.soft, left);
      const level = lumen.cy - 0.15 * lumen.ayAnt;
      c.fill(lumen, HU.air, Tissue.soft, new Band(lumen.yMin, level));
    }
  }
  if (right) {
    c.fill(right, HU.liver, Tissue.soft, clipR);
  }
  // The left lobe of the liver crosses the midline in front of the stomach.
  const lobeTop = Math.min(p.rightDomeRef, p.leftDomeRef + 8) - 6;
  if (zr < lobeTop) {
    const k = Math.min(1, Math.sqrt((lobeTop - zr) / 30));
    const lobe = new RotatedEllipse(-5 * p.sx, -42 * p.sy, 70 * k * p.sx, 30 * k * p.sy, 0.25);
    const union = right ?? left!;
    c.fill(lobe, HU.liver, Tissue.soft, union);
    if (left) c.fill(lobe, HU.liver, Tissue.soft, left);
  }
  // Inferior vena cava within the liver, and the kidneys' upper poles at the bottom.
  if (right) c.fill(Superellipse.ellipse(-18 * p.sx, 6 * p.sy, 12 * p.sx, 10 * p.sy), HU.blood, Tissue.soft, right);
  for (const side of [-1, 1] as const) {
    const zc = -40 + (side < 0 ? -10 : 0);
    const t = (zr - zc) / 45;
    if (Math.abs(t) < 1) {
      const k = Math.sqrt(1 - t * t);
      c.fill(new RotatedEllipse(side * 62 * p.sx, 58 * p.sy, 32 * k * p.sy, 26 * k * p.sx, side * 1.2), HU.kidney, Tissue.soft);
    }
  }
}

/** The union of both pleural cavities as one clip (the cavities overlap at the midline). */
function sideCavityUnion(p: Patient, zr: number): Shape | undefined {
  const r = sideCavity(p, zr, -1);
  const l = sideCavity(p, zr, 1);
  if (!r || !l) return r ?? l ?? undefined;
  return new Union(r, l);
}

function grow(s: Superellipse, d: number): Superellipse {
  return new Superellipse(s.cx, s.cy, s.axFront + d, s.axBack + d, s.ayAnt + d, s.ayPost + d, s.p);
}

/** The rows between two heights, all x. */
class Band implements Shape {
  constructor(readonly yMin: number, readonly yMax: number) {}
  span(_y: number, out: Float64Array): boolean {
    out[0] = -1e9;
    out[1] = 1e9;
    return true;
  }
}

/** The hull of two shapes per row (exact where their spans touch, as the cavities do). */
class Union implements Shape {
  readonly yMin: number;
  readonly yMax: number;
  private readonly t = new Float64Array(2);
  constructor(readonly a: Shape, readonly b: Shape) {
    this.yMin = Math.min(a.yMin, b.yMin);
    this.yMax = Math.max(a.yMax, b.yMax);
  }
  span(y: number, out: Float64Array): boolean {
    const hasA = this.a.span(y, out);
    const lo = out[0]!;
    const hi = out[1]!;
    const hasB = this.b.span(y, this.t);
    if (!hasA && !hasB) return false;
    out[0] = hasA ? (hasB ? Math.min(lo, this.t[0]!) : lo) : this.t[0]!;
    out[1] = hasA ? (hasB ? Math.max(hi, this.t[1]!) : hi) : this.t[1]!;
    return true;
  }
}
