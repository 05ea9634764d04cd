import type { Blob } from './blobs.js';
import { drawCells, type LungSamples } from './lung-samples.js';
import { HILA } from './mediastinum.js';
import { at, type Patient, type Point3 } from './patient.js';
import type { Rng } from './random.js';
import { sternumSection } from './skeleton.js';
import type { TubeInit } from './tubes.js';
import type { ConfounderFinding } from './types.js';

/** Findings that are not COVID-19 and never count as lesion voxels. */
export interface ConfounderPlan {
  blobs: Blob[];
  /** Maximum depth (mm) of a dependent pleural effusion, right and left (0: none). */
  effusionMm: [number, number];
  motion: MotionArtefact | null;
  /** Metal (sternotomy wires, surgical clips) as thin tubes, and where its streaks start (LPS mm). */
  metal: { tubes: TubeInit[]; sites: Point3[] };
}

/** Respiratory / cardiac motion: a blurred band of slices with streaks from the heart. */
export interface MotionArtefact {
  /** Slice range affected, as fractions of the scan (0 bottom … 1 top). */
  from: number;
  to: number;
  /** Blur length along y (mm) and streak amplitude (HU). */
  blurMm: number;
  streakHu: number;
  streaks: number;
  seed: number;
  /**
   * Realism v2: breathing during the scan moves the anatomy along z between slices — each slice
   * samples it shifted by zShiftMm · sin(2π z / zPeriodMm + zPhase): steps in coronal reformats,
   * doubled diaphragm and vessel edges.
   */
  zShiftMm?: number;
  zPeriodMm?: number;
  zPhase?: number;
}

const plain = { reticulationHu: 0, lesion: false } as const;

/**
 * Metal is far denser than what a scanner stores (steel ≈ 8 g/cm³), and blooms: a thin wire's
 * partial volume in a thick slice still reaches the top of the range.
 */
const METAL_HU = 80000;

export function planConfounders(rng: Rng, lungs: LungSamples, findings: readonly ConfounderFinding[], effusionMm: [number, number], v2?: { patient: Patient }): ConfounderPlan {
  const gravity = v2?.patient.gravity ?? 1;
  const blobs: Blob[] = [];
  const zMax = lungs.zRefMax;
  const pick = (w: (i: number) => number) => drawCells(lungs, 1, () => rng.random(), w)[0];
  if (findings.includes('nodule')) {
    // A solitary solid nodule, 5–25 mm, slightly lobulated, away from the hilum and the pleura.
    const cell = pick((i) => (lungs.depthMm[i]! > 10 ? 1 : 0));
    if (cell !== undefined) {
      const r = rng.uniform(2.5, 12.5);
      blobs.push({
        ...plain, cx: lungs.x[cell]!, cy: lungs.y[cell]!, cz: lungs.z[cell]!, ax: r * rng.uniform(0.9, 1.1), ay: r, az: r * rng.uniform(0.9, 1.1),
        theta: rng.uniform(0, Math.PI), edgeMm: 0.6, roughness: rng.uniform(0.03, 0.1), hu: rng.uniform(25, 60), mottleHu: 8,
      });
    }
  }
  if (findings.includes('emphysema')) {
    // Centrilobular holes in the upper lungs, some paraseptal under the pleura.
    const holes = rng.int(40, 140);
    const cells = drawCells(lungs, holes, () => rng.random(), (i) => Math.pow(Math.max(0, lungs.zRef[i]! / zMax - 0.35), 1.5));
    for (const cell of cells) {
      const r = rng.uniform(1.5, 6);
      blobs.push({
        ...plain, cx: lungs.x[cell]! + rng.uniform(-1.5, 1.5), cy: lungs.y[cell]! + rng.uniform(-1.5, 1.5), cz: lungs.z[cell]! + rng.uniform(-1.5, 1.5),
        ax: r, ay: r * rng.uniform(0.7, 1), az: r * rng.uniform(0.7, 1.2), theta: rng.uniform(0, Math.PI), edgeMm: 0.8,
        roughness: rng.uniform(0.1, 0.25), hu: rng.uniform(-995, -975), mottleHu: 3,
      });
    }
  }
  if (findings.includes('atelectasis')) {
    // Dependent (posterior supine, anterior prone; basal) subpleural bands.
    const bands = rng.int(2, 6);
    const cells = drawCells(lungs, bands, () => rng.random(),
      (i) => (lungs.depthMm[i]! < 6 && lungs.ny[i]! * gravity > 0.6 && lungs.zRef[i]! < 0.4 * zMax ? 1 : 0));
    for (const cell of cells) {
      const along = rng.uniform(18, 45);
      blobs.push({
        ...plain, cx: lungs.x[cell]!, cy: lungs.y[cell]! + 2, cz: lungs.z[cell]!, ax: along, ay: rng.uniform(3, 7), az: rng.uniform(10, 25),
        theta: Math.atan2(lungs.ny[cell]!, lungs.nx[cell]!) + Math.PI / 2, edgeMm: 1.5, roughness: 0.15,
        hu: rng.uniform(-300, -40), mottleHu: 15,
      });
    }
  }
  const motion: MotionArtefact | null = findings.includes('motion')
    ? (() => {
      const from = rng.uniform(0, 0.5);
      const m: MotionArtefact = { from, to: Math.min(1, from + rng.uniform(0.3, 0.6)), blurMm: rng.uniform(2, 5), streakHu: rng.uniform(40, 110), streaks: rng.int(3, 8), seed: rng.int(0, 2 ** 31) };
      if (v2) Object.assign(m, { zShiftMm: rng.uniform(2, 7), zPeriodMm: rng.uniform(15, 60), zPhase: rng.uniform(0, 2 * Math.PI) });
      return m;
    })()
    : null;
  const metal = { tubes: [] as TubeInit[], sites: [] as Point3[] };
  if (v2) planV2(rng, lungs, findings, v2.patient, blobs, metal);
  return { blobs, effusionMm, motion, metal };
}

/**
 * The confounders of realism v2: normal and abnormal findings that are not COVID-19, some of
 * which imitate it (dependent density and fibrosis look like ground glass and reticulation).
 */
function planV2(rng: Rng, lungs: LungSamples, findings: readonly ConfounderFinding[], p: Patient, blobs: Blob[], metal: ConfounderPlan['metal']): void {
  const zMax = lungs.zRefMax;
  const g = p.gravity;
  const cells = (count: number, w: (i: number) => number) => drawCells(lungs, count, () => rng.random(), w);
  const along = (cell: number) => Math.atan2(lungs.ny[cell]!, lungs.nx[cell]!) + Math.PI / 2;
  if (findings.includes('nodules')) {
    // Several small nodules, some calcified granulomas.
    for (const cell of cells(rng.int(2, 8), () => 1)) {
      const r = rng.uniform(1.5, 5);
      const calcified = rng.chance(0.3);
      blobs.push({
        ...plain, cx: lungs.x[cell]!, cy: lungs.y[cell]!, cz: lungs.z[cell]!, ax: r, ay: r * rng.uniform(0.85, 1.15), az: r * rng.uniform(0.85, 1.15),
        theta: rng.uniform(0, Math.PI), edgeMm: 0.5, roughness: rng.uniform(0.02, 0.08), hu: calcified ? rng.uniform(250, 700) : rng.uniform(10, 50), mottleHu: 5,
      });
    }
  }
  if (findings.includes('mass')) {
    // A lung cancer: 25–60 mm, lobulated, central (near a hilum) or peripheral, with spicules.
    const central = rng.chance(0.5);
    const [cell] = cells(1, (i) => (central ? Math.exp(-((lungs.depthMm[i]! - 25) ** 2) / 200) : lungs.depthMm[i]! > 12 ? 1 : 0));
    if (cell !== undefined) {
      const r = rng.uniform(12, 30);
      const mass = {
        ...plain, cx: lungs.x[cell]!, cy: lungs.y[cell]!, cz: lungs.z[cell]!, ax: r * rng.uniform(0.85, 1.2), ay: r, az: r * rng.uniform(0.8, 1.2),
        theta: rng.uniform(0, Math.PI), edgeMm: 1.2, roughness: rng.uniform(0.12, 0.25), hu: rng.uniform(20, 50), mottleHu: 12,
      };
      blobs.push(mass);
      for (let k = rng.int(3, 8); k > 0; k--) {
        const a = rng.uniform(0, 2 * Math.PI);
        const len = rng.uniform(6, 18);
        blobs.push({
          ...plain, cx: mass.cx + Math.cos(a) * (r + len / 2), cy: mass.cy + Math.sin(a) * (r + len / 2), cz: mass.cz + rng.uniform(-r / 2, r / 2),
          ax: len, ay: rng.uniform(0.8, 1.5), az: rng.uniform(1, 3), theta: a, edgeMm: 0.8, roughness: 0.1, hu: rng.uniform(-300, -50), mottleHu: 10,
        });
      }
    }
  }
  if (findings.includes('dependent-density')) {
    // Gravity-dependent density: a soft band of ground-glass-like density along the dependent
    // pleura of both lower lungs, fading upward: a normal finding that imitates COVID-19.
    for (const cell of cells(rng.int(4, 10), (i) => (lungs.depthMm[i]! < 8 && lungs.ny[i]! * g > 0.5 ? 1.5 - lungs.zRef[i]! / zMax : 0))) {
      const deep = rng.uniform(5, 11);
      blobs.push({
        ...plain, cx: lungs.x[cell]! - lungs.nx[cell]! * deep * 0.5, cy: lungs.y[cell]! - lungs.ny[cell]! * deep * 0.5, cz: lungs.z[cell]!,
        ax: rng.uniform(30, 70), ay: deep, az: rng.uniform(25, 60), theta: along(cell), edgeMm: rng.uniform(7, 11), roughness: 0.08,
        hu: rng.uniform(-800, -700), mottleHu: 6,
      });
    }
  }
  if (findings.includes('plate-atelectasis')) {
    // Plate (discoid) atelectasis: thin dense lines in the lower lungs, reaching in from the pleura.
    for (const cell of cells(rng.int(1, 4), (i) => (lungs.depthMm[i]! < 5 && lungs.zRef[i]! < 0.45 * zMax ? 1 : 0))) {
      const len = rng.uniform(20, 55);
      blobs.push({
        ...plain, cx: lungs.x[cell]! - lungs.nx[cell]! * len * 0.45, cy: lungs.y[cell]! - lungs.ny[cell]! * len * 0.45, cz: lungs.z[cell]!,
        ax: len / 2, ay: rng.uniform(1, 2.2), az: rng.uniform(10, 25), theta: along(cell) - Math.PI / 2 + rng.uniform(-0.5, 0.5),
        edgeMm: 0.8, roughness: 0.1, hu: rng.uniform(-250, 10), mottleHu: 10,
      });
    }
  }
  if (findings.includes('fibrosis')) {
    // Basal, subpleural, posterior fibrosis: reticulation over faint ground glass and small cysts
    // in rows at the pleura (honeycombing).
    for (const cell of cells(rng.int(4, 9), (i) => (lungs.depthMm[i]! < 6 && lungs.zRef[i]! < 0.5 * zMax ? (lungs.ny[i]! > 0 ? 2 : 0.5) : 0))) {
      const deep = rng.uniform(5, 12);
      blobs.push({
        ...plain, cx: lungs.x[cell]! - lungs.nx[cell]! * deep * 0.6, cy: lungs.y[cell]! - lungs.ny[cell]! * deep * 0.6, cz: lungs.z[cell]!,
        ax: rng.uniform(20, 50), ay: deep, az: rng.uniform(15, 40), theta: along(cell), edgeMm: rng.uniform(2, 4), roughness: 0.2,
        hu: rng.uniform(-760, -660), reticulationHu: rng.uniform(280, 420), mottleHu: 15,
      });
      for (let k = rng.int(0, 5); k > 0; k--) {
        const r = rng.uniform(1.5, 4);
        const t = rng.uniform(-15, 15);
        blobs.push({
          ...plain, cx: lungs.x[cell]! - lungs.nx[cell]! * (r + 1) + lungs.ny[cell]! * t, cy: lungs.y[cell]! - lungs.ny[cell]! * (r + 1) - lungs.nx[cell]! * t,
          cz: lungs.z[cell]! + rng.uniform(-8, 8), ax: r, ay: r, az: r, theta: 0, edgeMm: 0.5, roughness: 0.05, hu: -985, mottleHu: 3,
        });
      }
    }
  }
  if (findings.includes('sternotomy')) {
    // Wire cerclages around the sternum every ≈ 25 mm, after a median sternotomy.
    const bottom = p.leftDomeRef + 15;
    for (let zr = bottom + rng.uniform(0, 10); zr < 200; zr += rng.uniform(20, 30)) {
      const section = sternumSection(p, zr);
      if (!section) continue;
      const s = section.shape;
      const ring: Point3[] = [];
      for (let a = 0; a <= 8; a++) {
        const t = (a / 8) * 2 * Math.PI;
        const x = s.cx + Math.cos(t) * (s.axFront + 2.5 * p.sx);
        const y = s.cy + Math.sin(t) * (s.ayAnt + 1.5 * p.sy);
        ring.push([x, y, at(p, 0, 0, zr)[2]]);
      }
      for (let a = 1; a < ring.length; a++) metal.tubes.push({ from: ring[a - 1]!, to: ring[a]!, radiusMm: 0.7, hu: METAL_HU });
      metal.sites.push([s.cx, s.cy, at(p, 0, 0, zr)[2]]);
    }
  }
  if (findings.includes('clips') || findings.includes('lobectomy')) {
    // Surgical clips at a hilum (after a resection or a node dissection).
    const h = rng.chance(0.5) ? HILA.arteryRight : HILA.arteryLeft;
    const hilum = at(p, h[0], h[1], h[2]);
    for (let k = rng.int(3, 8); k > 0; k--) {
      const c: Point3 = [hilum[0] + rng.uniform(-18, 18), hilum[1] + rng.uniform(-15, 15), hilum[2] + rng.uniform(-25, 25)];
      const a = rng.uniform(0, Math.PI);
      const b = rng.uniform(-0.8, 0.8);
      const half = rng.uniform(1.5, 3);
      const d: Point3 = [Math.cos(a) * Math.cos(b) * half, Math.sin(a) * Math.cos(b) * half, Math.sin(b) * half];
      metal.tubes.push({ from: [c[0] - d[0], c[1] - d[1], c[2] - d[2]], to: [c[0] + d[0], c[1] + d[1], c[2] + d[2]], radiusMm: 0.8, hu: METAL_HU });
      metal.sites.push(c);
    }
  }
}
