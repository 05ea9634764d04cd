import { paintAnatomy } from './anatomy.js';
import { cavityRows, paintParenchyma } from './lungs.js';
import { refZ } from './patient.js';
import { Rng } from './random.js';
import { SliceCanvas, Tissue } from './raster.js';
import { addStreaks, applyMotion, finishSlab } from './scanner.js';
import { buildScene, type Grid } from './scene.js';
import type { Point3 } from './patient.js';
import type { SlabTarget } from './tubes.js';
import type { PhantomCase, PhantomCaseSpec } from './types.js';
import { LungLensError } from '../errors.js';
import { Volume } from '../volume/volume.js';

/** Smooth anatomy is sampled at planes at most this far apart within a slab (partial volume). */
const SUBPLANE_MM = 1.25;

/**
 * Generates one case, deterministically from its spec.
 *
 * Each slice is a slab of the slice thickness: the smooth anatomy, lung texture and lesions are
 * painted at ⌈thickness / 1.25 mm⌉ planes and averaged; tubes (vessels, airways, ribs) are added
 * with their exact fraction of the slab; then the scanner's kernel, noise and quantisation.
 *
 * Truth, on the same grid: `lungMask` = voxels at least half lung (parenchyma, intrapulmonary
 * vessels and airways, lesions; not the great vessels, trachea or main bronchi); `lesionMask` =
 * lung voxels whose COVID-19 lesion fraction (lesion opacity averaged over the slab) is at least
 * one half. Confounders (nodule, emphysema, atelectasis, effusion, motion) never count.
 */
export function generateCase(spec: PhantomCaseSpec): PhantomCase {
  validate(spec);
  const scene = buildScene(spec);
  const { grid, patient } = scene;
  const n = grid.size;
  const area = n * n;
  const voxels = new Int16Array(area * grid.slices);
  const lesionMask = new Uint8Array(area * grid.slices);
  const lungMask = new Uint8Array(area * grid.slices);
  const lesionVoxelsPerSlice: number[] = [];

  const prone = spec.v2?.position === 'prone';
  const canvas = new SliceCanvas(n, grid.spacingMm, grid.x0, grid.y0);
  const planes = Math.max(1, Math.ceil(grid.thicknessMm / SUBPLANE_MM - 1e-9));
  const coverage = new Float32Array(area);
  const slab: SlabTarget = {
    size: n, spacingMm: grid.spacingMm, x0: grid.x0, y0: grid.y0,
    // With one plane per slab the slab's HU is the canvas itself (no copy).
    hu: planes === 1 ? canvas.hu : new Float32Array(area), lung: new Float32Array(area), lesion: new Float32Array(area),
  };
  const scratch = new Float32Array(area);
  const blurred = spec.v2 ? new Float32Array(area) : scratch;
  const noiseRng = new Rng(`${spec.seed}/noise`);
  const motion = scene.scanner.motion;
  const hasBlobs = scene.blobs.blobs.length > 0;
  const metalSites = scene.confounders.metal.sites;

  for (let k = 0; k < grid.slices; k++) {
    let zc = grid.z0 + k * grid.sliceSpacingMm;
    const frac = grid.slices > 1 ? k / (grid.slices - 1) : 0;
    const moving = motion !== null && frac >= motion.from && frac <= motion.to;
    // Breathing (v2): this slice samples the anatomy shifted along z.
    if (moving && motion.zShiftMm) zc += motion.zShiftMm * Math.sin((2 * Math.PI * zc) / motion.zPeriodMm! + motion.zPhase!);
    const w = 1 / planes;
    const rows: [number, number] = [n, -1];
    for (let m = 0; m < planes; m++) {
      const z = zc - grid.thicknessMm / 2 + (m + 0.5) * w * grid.thicknessMm;
      const zr = refZ(patient, z);
      paintAnatomy(canvas, patient, zr, scene.effusionMm);
      paintParenchyma(canvas, patient, z, scene.parenchyma, zr);
      if (hasBlobs) {
        coverage.fill(0);
        scene.blobs.paint(canvas, z, scene.blobTextures, coverage);
      }
      const [r0, r1] = cavityRows(canvas, patient, zr);
      if (m === 0) slab.lung.fill(0);
      rows[0] = Math.min(rows[0], r0);
      rows[1] = Math.max(rows[1], r1);
      accumulate(canvas, coverage, slab, m === 0, w, hasBlobs, r0, r1);
    }
    for (const layer of scene.tubes) layer.paint(slab, zc, grid.thicknessMm);
    if (metalSites.length) metalStreaks(slab.hu, grid, metalSites, zc, `${spec.seed}/metal/${k}`);

    if (moving) applyMotion(slab.hu, n, grid.spacingMm, motion, k, scratch);
    const offset = k * area;
    const end = offset + area;
    const out = voxels.subarray(offset, end);
    const lungOut = lungMask.subarray(offset, end);
    const lesionOut = lesionMask.subarray(offset, end);
    lesionVoxelsPerSlice.push(finishSlab(slab, scratch, blurred, scene.scanner, noiseRng, out, lungOut, lesionOut, rows));
    if (prone) {
      // Face down, a scanner writes the image turned half a turn (rows and columns run −y, −x).
      out.reverse();
      lungOut.reverse();
      lesionOut.reverse();
    }
  }

  const far = (n - 1) * grid.spacingMm;
  const volume = Volume.create({
    dimensions: [n, n, grid.slices],
    spacingMm: [grid.spacingMm, grid.spacingMm, grid.sliceSpacingMm],
    originLps: prone ? [grid.x0 + far, grid.y0 + far, grid.z0] : [grid.x0, grid.y0, grid.z0],
    direction: prone ? [-1, 0, 0, 0, -1, 0, 0, 0, 1] : [1, 0, 0, 0, 1, 0, 0, 0, 1],
    voxels,
    units: 'HU',
  });
  return {
    spec,
    volume,
    lesionMask,
    lungMask,
    lesionVoxelsPerSlice,
    slicePositive: lesionVoxelsPerSlice.map((c) => c > 0),
  };
}

/**
 * Adds one plane's HU, lung and lesion fractions (weight w) into the slab; `first` resets HU and
 * lesion. Lung pixels lie within rows [r0, r1] (the caller clears the lung fraction beforehand).
 */
function accumulate(c: SliceCanvas, coverage: Float32Array, slab: SlabTarget, first: boolean, w: number, blobs: boolean, r0: number, r1: number): void {
  const { hu, lung, lesion } = slab;
  const t = c.tissue;
  const h = c.hu;
  const len = h.length;
  if (first) {
    if (hu !== h) for (let q = 0; q < len; q++) hu[q] = h[q]! * w;
    if (!blobs) lesion.fill(0);
    else if (w === 1) lesion.set(coverage);
    else for (let q = 0; q < len; q++) lesion[q] = coverage[q]! * w;
  } else {
    for (let q = 0; q < len; q++) hu[q] = hu[q]! + h[q]! * w;
    if (blobs) for (let q = 0; q < len; q++) lesion[q] = lesion[q]! + coverage[q]! * w;
  }
  const right = Tissue.lungRight;
  const left = Tissue.lungLeft;
  const end = Math.min(c.size, r1 + 1) * c.size;
  for (let q = Math.max(0, r0) * c.size; q < end; q++) {
    const tq = t[q]!;
    if (tq === right || tq === left) lung[q] = lung[q]! + w;
  }
}
/** Metal in this slab (wires, clips) throws streaks across it: photon starvation and beam hardening. */
function metalStreaks(hu: Float32Array, grid: Grid, sites: readonly Point3[], zc: number, seed: string): void {
  const rng = new Rng(seed);
  for (const [x, y, z] of sites) {
    if (Math.abs(z - zc) > grid.thicknessMm / 2 + 0.5) continue;
    addStreaks(hu, grid.size, (x - grid.x0) / grid.spacingMm, (y - grid.y0) / grid.spacingMm, rng.int(4, 9), rng.uniform(100, 350), rng);
  }
}

function validate(spec: PhantomCaseSpec): void {
  const fail = (why: string): never => {
    throw new LungLensError('usage', `The phantom case spec is not usable: ${why}.`);
  };
  if (!Number.isInteger(spec.size) || spec.size < 16 || spec.size > 2048) fail(`size must be an integer in 16…2048, got ${spec.size}`);
  if (!Number.isInteger(spec.slices) || spec.slices < 1 || spec.slices > 2000) fail(`slices must be an integer in 1…2000, got ${spec.slices}`);
  if (!(spec.pixelSpacingMm > 0) || !(spec.sliceThicknessMm > 0)) fail('spacing and thickness must be positive');
  if (!(spec.noiseHu >= 0)) fail('noise must be zero or more');
  if ((spec.label === 'covid') !== (spec.covid !== null)) fail('a COVID case needs its findings, a non-COVID case none');
}
