import { HU } from './hu.js';
import { clamp01, smoothstep, type Patient } from './patient.js';
import { Rect, Superellipse, Tissue, type SliceCanvas } from './raster.js';

/** Reference half-width and anterior / posterior depths of the body outline at reference z. */
export function bodyOutline(p: Patient, zr: number): Superellipse {
  // Shoulder girdle above the heart: wider, deeper behind (scapular muscles), shallower in front.
  const shoulders = smoothstep(150, 240, zr);
  const belly = smoothstep(60, -40, zr);
  // Above the apices the trunk narrows toward the neck (arms raised, out of the field).
  const neck = smoothstep(255, 310, zr);
  const halfWidth = 165 * (1 + 0.14 * shoulders + 0.02 * belly - 0.4 * neck) * p.sx;
  const ant = (106 - 16 * shoulders + 8 * belly) * p.sy;
  const post = (112 + 6 * shoulders) * p.sy;
  return new Superellipse(0, 0, halfWidth, halfWidth, ant, post, 2.5, 3.6);
}

/** Breasts: ellipsoids on the anterior chest of female patients. */
function breasts(p: Patient, zr: number): Superellipse[] {
  if (!p.female || p.breast <= 0) return [];
  const zc = 125;
  const rz = 55 + 15 * p.breast;
  const t = (zr - zc) / rz;
  if (Math.abs(t) >= 1) return [];
  const k = Math.sqrt(1 - t * t);
  const body = bodyOutline(p, zr);
  const out: Superellipse[] = [];
  for (const side of [-1, 1]) {
    // Supine: spread toward the flanks and flattened.
    const cx = side * (66 + 8 * p.breast) * p.sx;
    const ax = (55 + 22 * p.breast) * p.sx * k;
    const ay = (10 + 18 * p.breast) * p.sy * k;
    if (p.v2) {
      // Projecting forward of the chest wall as real breasts do (hanging toward the table prone).
      const prone = p.gravity < 0;
      const ax2 = (62 + 28 * p.breast) * p.sx * k * (prone ? 0.8 : 1);
      const ay2 = (18 + 34 * p.breast) * p.sy * k * (prone ? 1.35 : 1);
      out.push(new Superellipse(cx * (prone ? 0.85 : 1.05), -body.ayAnt + 0.1 * ay2 + 6 * p.sy, ax2, ax2, ay2, ay2, 2.2));
      continue;
    }
    const cy = -body.ayAnt + 0.5 * ay + 12 * p.sy;
    out.push(new Superellipse(cx, cy, ax, ax, ay, ay, 2));
  }
  return out;
}

/** Skin, subcutaneous fat, the muscle of the chest wall and the back, and breasts. */
export function paintBody(c: SliceCanvas, p: Patient, zr: number): void {
  const body = bodyOutline(p, zr);
  const b = breasts(p, zr);
  const skin = 2;
  c.fill(body, HU.skin, Tissue.soft);
  for (const s of b) c.fill(s, HU.skin, Tissue.soft);
  c.fill(body.inset(skin), HU.fat, Tissue.soft);
  for (const s of b) {
    c.fill(s.inset(skin), HU.fat, Tissue.soft);
    const gland = new Superellipse(s.cx, s.cy + s.ayPost * 0.2, s.axFront * 0.55, s.axBack * 0.55, s.ayAnt * 0.5, s.ayPost * 0.6, 2);
    c.fill(gland, HU.gland, Tissue.soft);
  }
  const fat = p.fatMm;
  const muscle = new Superellipse(0, 0, body.axFront - fat - skin, body.axBack - fat - skin,
    body.ayAnt - 1.25 * fat - skin, body.ayPost - 0.75 * fat - skin, 2.4, 3.4);
  c.fill(muscle, HU.muscle, Tissue.soft);
  // Fat planes under the outer muscles: pectoral in front, latissimus at the back of each flank.
  const plane = muscle.inset(Math.max(5, 9 * p.sx));
  const thickness = 1 + 2.5 * clamp01(fat / 25);
  const front = new Rect(-1e4, 1e4, -1e4, -0.45 * muscle.ayAnt);
  c.fill(plane, HU.fat + 10, Tissue.soft, front);
  c.fill(plane.inset(thickness), HU.muscle, Tissue.soft, front);
  for (const side of [-1, 1]) {
    const flank = new Rect(side < 0 ? -1e4 : 0.5 * muscle.axBack, side < 0 ? -0.5 * muscle.axBack : 1e4, 0.1 * muscle.ayPost, 1e4);
    c.fill(plane, HU.fat + 10, Tissue.soft, flank);
    c.fill(plane.inset(thickness), HU.muscle, Tissue.soft, flank);
  }
}

/**
 * The curved scanner table under the patient (under the chest when prone): carbon shells around a
 * foam core, rising at the sides (outside the patient, so it never touches the truth).
 */
export function paintTable(c: SliceCanvas, p: Patient, zr: number): void {
  const body = bodyOutline(p, zr);
  // Under the back (supine) or under the chest (prone).
  const g = p.gravity;
  const yTop = g > 0 ? body.cy + body.ayPost + 3 : body.cy - body.ayAnt - 3;
  const radius = 300;
  const layers: [number, number, number][] = [[0, 1.6, HU.tableShell], [1.6, 30, HU.tableFoam], [30, 31.6, HU.tableShell]];
  const halfWidth = Math.min(240, body.axFront * 1.3);
  const [i0, i1] = c.columns(-halfWidth, halfWidth);
  const s = c.spacingMm;
  for (let i = i0; i <= i1; i++) {
    const x = c.x0 + i * s;
    // The cradle rises toward the sides: the surface moves toward the patient with |x|.
    const ySurface = yTop - g * (radius - Math.sqrt(Math.max(0, radius * radius - x * x)));
    for (const [d0, d1, hu] of layers) {
      const [j0, j1] = g > 0 ? c.rows(ySurface + d0, ySurface + d1) : c.rows(ySurface - d1, ySurface - d0);
      for (let j = j0; j <= j1; j++) {
        const q = j * c.size + i;
        if (c.tissue[q] === Tissue.outside) c.hu[q] = hu;
      }
    }
  }
}

/**
 * Arms down beside the chest (realism v2): upper arms from the shoulders to the elbows, forearms
 * below, each skin and fat around muscle around its bone(s), a finger's breadth from the flank.
 */
export function paintArms(c: SliceCanvas, p: Patient, zr: number): void {
  if (!p.armsDown || zr > 245 || zr < -160) return;
  const body = bodyOutline(p, zr);
  const forearm = zr < -20;
  const rx = (forearm ? 34 : 42) * p.sx;
  const ry = (forearm ? 30 : 45) * p.sy;
  for (const side of [-1, 1]) {
    const cx = side * (body.axFront + rx + 6 * p.sx);
    const cy = 10 * p.sy;
    const arm = Superellipse.ellipse(cx, cy, rx, ry);
    c.fill(arm, HU.skin, Tissue.soft);
    c.fill(arm.inset(2), HU.fat, Tissue.soft);
    c.fill(arm.inset(2 + 0.5 * p.fatMm), HU.muscle, Tissue.soft);
    const bones: [number, number, number][] = forearm
      ? [[cx - side * 8 * p.sx, cy - 8 * p.sy, 7], [cx + side * 6 * p.sx, cy + 9 * p.sy, 6.5]]
      : [[cx + side * 4 * p.sx, cy, 11]];
    for (const [bx, by, r] of bones) {
      const bone = Superellipse.ellipse(bx, by, r * p.sx, r * p.sy);
      c.fill(bone, HU.boneCortex, Tissue.bone);
      c.fill(bone.inset(2.2), HU.boneMarrow - 120, Tissue.bone);
    }
  }
}
