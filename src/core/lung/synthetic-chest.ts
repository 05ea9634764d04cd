/**
 * A synthetic chest (body, two lungs, trachea, table, outside air, bowel gas) with its exact lung
 * truth: the lung mask's tests and benchmark measure against it, and the analysis threads warm up
 * on it (no patient data needed to compile the hot loops before the first study).
 */
import { Volume } from '../volume/volume.js';

export interface ChestOptions {
  /** [columns, rows, slices] (default 128 × 128 × 68). */
  dimensions?: [number, number, number];
  /** Default [3.125, 3.125, 5]: a 400 mm field of view. */
  spacingMm?: [number, number, number];
  /** z (mm) of slice 0; the lungs span z = 0 … 250 (default −60: from the upper abdomen up). */
  z0Mm?: number;
  /** Uniform noise amplitude, HU (default 20). */
  noiseHu?: number;
  /** Lungs, trachea and bronchi (default true); without them the body holds only bowel gas. */
  lungs?: boolean;
  /** Body semi-axes, mm (default [170, 120]). */
  bodyMm?: [number, number];
  /** Lung semi-axes scale (default 1: ≈ 2.3 L per lung). */
  lungScale?: number;
  /** Trachea and bronchi joining the lungs (default true). */
  airways?: boolean;
  /** Spheres painted over the lungs and the body wall (nodules, opacities): centre and radius in mm, HU. */
  spheres?: { centreMm: [number, number, number]; radiusMm: number; hu: number }[];
}

export interface SyntheticChest {
  volume: Volume;
  /** 1 inside the two lung ellipsoids (not the trachea or the bronchi outside them). */
  lungTruth: Uint8Array;
  /** 1 inside the body ellipse (the patient, not the table). */
  body: Uint8Array;
  /** Per sphere of `spheres`, 1 where it overlaps the lungs (lung truth holds these voxels). */
  sphereInLung: Uint8Array[];
}

/** Lungs: ellipsoids of semi-axes 55 × 80 × 125 mm at x = ±75 mm, z = 125 mm (≈ 2.3 L each). */
const LUNGS = [
  { cx: -75, cy: 0, cz: 125, ax: 55, ay: 80, az: 125 },
  { cx: 75, cy: 0, cz: 125, ax: 55, ay: 80, az: 125 },
];

/** Squared distance from p to the segment a–b. */
function segmentDistance2(p: number[], a: number[], b: number[]): number {
  const ab = [b[0]! - a[0]!, b[1]! - a[1]!, b[2]! - a[2]!];
  const ap = [p[0]! - a[0]!, p[1]! - a[1]!, p[2]! - a[2]!];
  const t = Math.max(0, Math.min(1, (ap[0]! * ab[0]! + ap[1]! * ab[1]! + ap[2]! * ab[2]!) / (ab[0]! ** 2 + ab[1]! ** 2 + ab[2]! ** 2)));
  return (ap[0]! - t * ab[0]!) ** 2 + (ap[1]! - t * ab[1]!) ** 2 + (ap[2]! - t * ab[2]!) ** 2;
}

/**
 * A synthetic chest CT in HU, axial, slice index inferior → superior: outside air (−1000), a body
 * (40 HU, a −100 HU fat rim), a spine (700), two lungs (−850) joined through bronchi to a trachea
 * that leaves the top of the volume, bowel gas pockets below the lungs (about 65 and 30 mL), and a
 * scanner table under the body with three enclosed air compartments (≈ 1.4 L each, 140 mm from
 * the axis). The patient lies on the table with a gap of air that opens to the sides.
 */
export function syntheticChest(options: ChestOptions = {}): SyntheticChest {
  const [nx, ny, nz] = options.dimensions ?? [128, 128, 68];
  const [sx, sy, sz] = options.spacingMm ?? [3.125, 3.125, 5];
  const z0 = options.z0Mm ?? -60;
  const noise = options.noiseHu ?? 20;
  const withLungs = options.lungs ?? true;
  const [bx, by] = options.bodyMm ?? [170, 120];
  const ls = options.lungScale ?? 1;
  const airways = options.airways ?? true;
  const spheres = options.spheres ?? [];
  const sphereInLung = spheres.map(() => new Uint8Array(nx * ny * nz));
  const lungs = LUNGS.map((l) => ({ ...l, ax: l.ax * ls, ay: l.ay * ls, az: l.az * ls }));
  const voxels = new Int16Array(nx * ny * nz);
  const lungTruth = new Uint8Array(nx * ny * nz);
  const body = new Uint8Array(nx * ny * nz);
  const trachea = [[0, -30, 400], [0, -30, 205]];
  const bronchi = [[[0, -30, 205], [-60, -10, 180]], [[0, -30, 205], [60, -10, 180]]];
  const gas = [{ c: [30, 20, -40], r: 25 }, { c: [-50, 30, -20], r: 19 }];
  let seed = 12345;
  for (let k = 0; k < nz; k++) {
    const z = z0 + k * sz;
    for (let j = 0; j < ny; j++) {
      const y = (j - (ny - 1) / 2) * sy;
      for (let i = 0; i < nx; i++) {
        const x = (i - (nx - 1) / 2) * sx;
        const idx = (k * ny + j) * nx + i;
        seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
        const jitter = Math.round((seed / 2 ** 32 - 0.5) * 2 * noise);
        const e = (x / bx) ** 2 + (y / by) ** 2;
        let hu: number;
        if (e <= 1) {
          body[idx] = 1;
          hu = e > 0.85 ? -100 : 40;
          if ((x / 20) ** 2 + ((y - by * 0.6) / 20) ** 2 <= 1) hu = 700;
          for (const g of gas) if ((x - g.c[0]!) ** 2 + (y - g.c[1]!) ** 2 + (z - g.c[2]!) ** 2 <= g.r ** 2) hu = -1000;
          if (withLungs) {
            for (const l of lungs) {
              if (((x - l.cx) / l.ax) ** 2 + ((y - l.cy) / l.ay) ** 2 + ((z - l.cz) / l.az) ** 2 <= 1) {
                hu = -850;
                lungTruth[idx] = 1;
              }
            }
            const p = [x, y, z];
            if (airways && segmentDistance2(p, trachea[0]!, trachea[1]!) <= 9 ** 2) hu = -1000;
            if (airways) for (const [a, b] of bronchi) if (segmentDistance2(p, a!, b!) <= 6 ** 2) hu = -1000;
          }
          spheres.forEach((s, n) => {
            const [cx, cy, cz] = s.centreMm;
            if ((x - cx) ** 2 + (y - cy) ** 2 + (z - cz) ** 2 > s.radiusMm ** 2) return;
            hu = s.hu;
            if (lungTruth[idx]) sphereInLung[n]![idx] = 1;
          });
        } else if (y > by + 10 && y < by + 70 && Math.abs(x) < 180) {
          // The table: a 200 HU shell around three air compartments (≈ 105 × 40 mm each).
          const cavity = y > by + 20 && y < by + 60 && Math.abs(x) < 170 && Math.abs(Math.abs(x) - 60) > 7;
          hu = cavity ? -1000 : 200;
        } else {
          hu = -1000;
        }
        voxels[idx] = hu === -1000 ? -1000 : hu + jitter;
      }
    }
  }
  const volume = Volume.create({
    dimensions: [nx, ny, nz],
    spacingMm: [sx, sy, sz],
    originLps: [-((nx - 1) / 2) * sx, -((ny - 1) / 2) * sy, z0],
    direction: [1, 0, 0, 0, 1, 0, 0, 0, 1],
    voxels,
    units: 'HU',
  });
  return { volume, lungTruth, body, sphereInLung };
}
