import { HU } from './hu.js';
import { sideCavity, SIDES, type Side } from './lungs.js';
import { at, lerp, smoothstep, REF_Z, type Patient, type Point3 } from './patient.js';
import { Capsule2D, Superellipse, Tissue, type SliceCanvas } from './raster.js';
import type { TubeLayer } from './tubes.js';

/** Reference y of the vertebral body centre (a gentle thoracic kyphosis). */
const spineY = (zr: number) => 34 + 5 * (1 - ((zr - 130) / 170) ** 2);

/** Vertebral body radius: small at T1, larger toward the lumbar spine. */
const spineRadius = (zr: number) => lerp(20.5, 14, smoothstep(-60, REF_Z.t1, zr));

/**
 * Vertebrae: cortical shell around cancellous bone, discs between bodies, the neural arch around
 * the spinal canal, the spinous process and the transverse processes (where the ribs attach).
 */
export function paintSpine(c: SliceCanvas, p: Patient, zr: number): void {
  const yv = spineY(zr) * p.sy;
  const r = spineRadius(zr);
  // Position within the vertebral level: 0 at the top of a body, discs in the last 18 %.
  const phase = ((((REF_Z.t1 + 10 - zr) / REF_Z.vertebraPitch) % 1) + 1) % 1;
  const canalY = yv + (r + 8) * p.sy;
  const sx = p.sx;
  // Neural arch and processes first; the body and the canal are painted over them.
  c.fill(Superellipse.ellipse(0, canalY + 1.5 * p.sy, 12.5 * sx, 11 * p.sy), HU.vertebralCortex, Tissue.bone);
  if (phase > 0.25 && phase < 0.95) {
    const tip = canalY + 34 * p.sy;
    c.fill(new Capsule2D(0, canalY + 8 * p.sy, 0, tip, 4.2 * sx), HU.vertebralCortex - 60, Tissue.bone);
  }
  if (phase < 0.5) {
    for (const side of SIDES) {
      c.fill(new Capsule2D(side * 9 * sx, canalY - 1 * p.sy, side * 30 * sx, canalY + 6 * p.sy, 5 * sx), HU.vertebralCortex - 80, Tissue.bone);
    }
  }
  const body = new Superellipse(0, yv, r * 1.12 * sx, r * 1.12 * sx, r * 0.92 * p.sy, r * 0.92 * p.sy, 2.3);
  if (phase > 0.82) {
    c.fill(body, HU.disc, Tissue.soft);
  } else {
    c.fill(body, HU.vertebralCortex, Tissue.bone);
    c.fill(body.inset(1.6), HU.vertebralCancellous, Tissue.bone);
  }
  c.fill(Superellipse.ellipse(0, canalY, 8 * sx, 7.5 * p.sy), HU.cord, Tissue.soft);
}

/** The front of the two cavities at the midline (where they meet behind the sternum), reference z. */
function midlineFront(p: Patient, zr: number): number {
  let y = -70 * p.sy;
  for (const side of SIDES) {
    const cav = sideCavity(p, zr, side);
    if (!cav) continue;
    // Walk down from the front until the midline column enters the cavity.
    for (let yy = cav.yMin; yy < cav.yMax; yy += 1) {
      if (cav.halfWidth(yy) >= Math.abs(cav.cx)) {
        y = Math.max(y, yy);
        break;
      }
    }
  }
  return y;
}

/** Sternum: manubrium at the top, body, xiphoid; cortex around marrow. */
/** The sternum's section at reference z (patient mm in-plane), or null above the notch or below the xiphoid. */
export function sternumSection(p: Patient, zr: number): { shape: Superellipse; manubrium: boolean; xiphoid: boolean } | null {
  const bottom = p.leftDomeRef - 8;
  if (zr < bottom || zr > REF_Z.notch) return null;
  const manubrium = zr > 196;
  const xiphoid = zr < bottom + 18;
  const halfW = (manubrium ? 24 : xiphoid ? 8 : 14) * p.sx;
  const halfT = (manubrium ? 7.5 : xiphoid ? 3.5 : 6) * p.sy;
  const y = Math.min(midlineFront(p, zr), (-58 - 12 * smoothstep(200, 120, zr)) * p.sy) - halfT - 2 * p.sy;
  return { shape: new Superellipse(0, y, halfW, halfW, halfT, halfT, 2.4), manubrium, xiphoid };
}

export function paintSternum(c: SliceCanvas, p: Patient, zr: number): void {
  const section = sternumSection(p, zr);
  if (!section) return;
  const { shape: s, xiphoid } = section;
  if (zr > 194 && zr < 197) {
    c.fill(s, HU.cartilage, Tissue.soft);
    return;
  }
  c.fill(s, xiphoid ? HU.cartilage + 80 : HU.boneCortex, Tissue.bone);
  if (!xiphoid) c.fill(s.inset(1.4), HU.boneMarrow, Tissue.bone);
}

/** A point `out` mm outside the cavity boundary at angle ψ (0 posterior, π/2 lateral, π anterior). */
export function aroundCavity(p: Patient, zr: number, side: Side, psi: number, out: number): [number, number] | null {
  const cav = sideCavity(p, zr, side);
  if (!cav) return null;
  const dx = side * Math.sin(psi);
  const dy = Math.cos(psi);
  const rho = cav.radiusAlong(dx, dy) + out;
  return [cav.cx + dx * rho, cav.cy + dy * rho];
}

/** Scapulae: the blade behind the posterior ribs and, near the top, the glenoid. */
export function paintScapulae(c: SliceCanvas, p: Patient, zr: number): void {
  const inferior = 100;
  const glenoid = 222;
  const top = 246;
  if (zr < inferior || zr > top) return;
  for (const side of SIDES) {
    const zq = Math.min(zr, 214);
    const t = smoothstep(inferior, glenoid, zq);
    const m = aroundCavity(p, zq, side, lerp(0.22, 0.1, t) * Math.PI, 13 * p.sx);
    const l = aroundCavity(p, zq, side, lerp(0.24, 0.44, Math.sqrt(t)) * Math.PI, (14 + 10 * t) * p.sx);
    if (!m || !l) continue;
    if (zr <= 214) {
      c.fill(new Capsule2D(m[0], m[1], l[0], l[1], 2.2 * p.sx), HU.boneCortex - 150, Tissue.bone);
    }
    if (zr > 196) {
      // Glenoid and neck, lateral.
      const g = aroundCavity(p, zq, side, 0.47 * Math.PI, 30 * p.sx);
      if (g && zr < 236) {
        const k = Math.sqrt(Math.max(0, 1 - ((zr - 218) / 19) ** 2));
        const gl = Superellipse.ellipse(g[0], g[1], 14 * k * p.sx, 20 * k * p.sy);
        c.fill(gl, HU.boneCortex, Tissue.bone);
        c.fill(gl.inset(2), HU.boneMarrow, Tissue.bone);
      }
    }
  }
}

/**
 * Ribs 1–12 on each side as chains of tubes hugging the pleural cavity: from the transverse
 * process, round the side, descending toward the front, ending in costal cartilage at the
 * sternum (true ribs), the costal margin (false ribs) or free in the flank (floating ribs).
 */
export function addRibs(cortex: TubeLayer, marrow: TubeLayer, cartilage: TubeLayer, p: Patient): void {
  const calcified = HU.cartilage + 180 * p.age;
  for (const side of SIDES) {
    for (let i = 1; i <= 12; i++) {
      const zHead = REF_Z.t1 - (i - 1) * REF_Z.vertebraPitch - 4;
      const end = i <= 7 ? 0.93 : i <= 10 ? 0.8 - (i - 8) * 0.06 : i === 11 ? 0.58 : 0.45;
      const drop = i === 1 ? 16 : i <= 7 ? 28 + i * 9 : 95 - (i - 8) * 12;
      const cartilageFrom = i <= 7 ? 0.86 - (i === 1 ? 0.08 : 0) : i <= 10 ? 0.66 : 2;
      const radius = (i === 1 || i >= 11 ? 3.6 : 4.4) * Math.sqrt(p.sx * p.sy);
      const start = -0.2 * Math.PI;
      const bone: Point3[] = [];
      const cart: Point3[] = [];
      const steps = 40;
      for (let k = 0; k <= steps; k++) {
        const t = k / steps;
        const psi = start + t * (end * Math.PI - start);
        const zr = zHead - drop * Math.pow(t, 1.35) + (i === 1 ? 0 : 5 * Math.sin(Math.PI * Math.min(1, t * 2.5)));
        const q = aroundCavity(p, zr, side, psi, 2 + radius);
        if (!q) continue;
        const point = [q[0], q[1], at(p, 0, 0, zr)[2]] as Point3;
        if (t <= cartilageFrom) bone.push(point);
        if (t >= cartilageFrom - 1 / steps) cart.push(point);
      }
      cortex.addChain(bone, radius, HU.boneCortex);
      marrow.addChain(bone, radius - 1.5, HU.boneMarrow);
      cartilage.addChain(cart, radius * 0.95, calcified);
    }
  }
}

/** Clavicles: from the manubrium outward, forward then back to the shoulder. */
export function addClavicles(cortex: TubeLayer, marrow: TubeLayer, p: Patient): void {
  for (const side of SIDES) {
    const ref: [number, number, number][] = [[14, -86, 228], [50, -92, 236], [95, -88, 242], [128, -60, 247], [140, -30, 250]];
    const pts = ref.map(([x, y, z]) => at(p, side * x, y, z));
    cortex.addChain(pts, 6.5 * p.sx, HU.boneCortex);
    marrow.addChain(pts, 4.5 * p.sx, HU.boneMarrow + 60);
  }
}
