import { addBronchialTree, addCentralAirways, BRONCHUS_ENDS } from './airways.js';
import { BlobSet, blobTextures, type BlobTextures } from './blobs.js';
import { planConfounders, type ConfounderPlan } from './confounders.js';
import { planCovidLesions } from './covid-lesions.js';
import { sampleLungs, drawCells, type LungSamples } from './lung-samples.js';
import type { ParenchymaTexture } from './lungs.js';
import { addGreatVessels, HILA } from './mediastinum.js';
import { valueNoiseTile } from './noise.js';
import { at, drawPatient, REF_Z, type Patient, type Point3 } from './patient.js';
import { Rng } from './random.js';
import { scannerModel, scannerModelV2, type ScannerModel } from './scanner.js';
import { addClavicles, addRibs } from './skeleton.js';
import { TubeLayer } from './tubes.js';
import type { PhantomCaseSpec } from './types.js';
import { growTree } from './vessels.js';
import { HU } from './hu.js';

/** The voxel grid of a case in patient millimetres. */
export interface Grid {
  size: number;
  spacingMm: number;
  /** x, y of the centre of pixel (0, 0); z of the centre of slice 0. */
  x0: number;
  y0: number;
  z0: number;
  /** Each slice is a slab this thick, centred every `sliceSpacingMm` (equal in v1). */
  thicknessMm: number;
  sliceSpacingMm: number;
  slices: number;
}

/** Everything drawn for one case before its slices are rendered. */
export interface Scene {
  spec: PhantomCaseSpec;
  patient: Patient;
  grid: Grid;
  effusionMm: [number, number];
  /** Painted in order after the smooth anatomy. */
  tubes: TubeLayer[];
  blobs: BlobSet;
  parenchyma: ParenchymaTexture;
  blobTextures: BlobTextures;
  scanner: ScannerModel;
  confounders: ConfounderPlan;
}

export function buildScene(spec: PhantomCaseSpec): Scene {
  const rng = new Rng(spec.seed);
  const s = spec.pixelSpacingMm;
  const fov = spec.size * s;
  const v2 = spec.v2;
  // v2: an adult's build whatever the field of view (drawPatient fills 78–92 % of what it is given).
  const patient = drawPatient(rng.fork('patient'), v2 ? v2.bodyWidthMm / 0.85 : fov);
  if (v2) adaptPatient(patient, rng.fork('patient-v2'), spec);
  const grid = placeGrid(rng.fork('grid'), spec, patient);

  const conf = rng.fork('confounders');
  const effusionMm: [number, number] = [0, 0];
  if (spec.confounders.includes('effusion')) {
    const both = conf.chance(0.4);
    const first = conf.chance(0.5) ? 0 : 1;
    effusionMm[first] = conf.uniform(12, 35) * patient.sy;
    if (both) effusionMm[1 - first] = conf.uniform(8, 25) * patient.sy;
  }
  const lungs = sampleLungs(patient, effusionMm);

  const tubes = buildTubes(rng.fork('tubes'), patient, lungs);
  const confounders = planConfounders(conf, lungs, spec.confounders, effusionMm, v2 ? { patient } : undefined);
  const lesions = spec.covid ? planCovidLesions(rng.fork('covid'), lungs, spec.covid.findings, spec.covid.extent, v2 ? 'v2' : 'v1') : [];
  if (confounders.metal.tubes.length) {
    // Metal is not lung: it takes its volume out of the lung fractions.
    const metal = new TubeLayer(true);
    for (const t of confounders.metal.tubes) metal.add(t);
    metal.seal();
    tubes.push(metal);
  }

  const tex = rng.fork('textures');
  const blobs = [...confounders.blobs, ...lesions];
  const parenchyma: ParenchymaTexture = { a: valueNoiseTile(tex, 256, Math.max(1, 8 / s), 3, 0.55), amplitudeHu: 11 };
  return {
    spec,
    patient,
    grid,
    effusionMm,
    tubes,
    blobs: new BlobSet(blobs),
    parenchyma,
    blobTextures: blobTextures(tex, s, blobs),
    scanner: v2
      ? scannerModelV2(rng.fork('scanner'), spec.kernel, spec.noiseHu, spec.size, confounders.motion, v2)
      : scannerModel(rng.fork('scanner'), spec.kernel, spec.noiseHu, spec.size, confounders.motion),
    confounders,
  };
}

/**
 * Realism v2's patient: prone (gravity toward the front), arms down, and after a lobectomy the
 * operated side smaller (its hemidiaphragm raised, the mediastinum drawn toward it).
 */
function adaptPatient(p: Patient, rng: Rng, spec: PhantomCaseSpec): void {
  const v2 = spec.v2!;
  p.v2 = true;
  p.gravity = v2.position === 'prone' ? -1 : 1;
  p.armsDown = v2.arms === 'down';
  if (spec.confounders.includes('lobectomy')) {
    const right = rng.chance(0.55);
    const raise = rng.uniform(30, 60);
    if (right) p.rightDomeRef += raise;
    else p.leftDomeRef += raise;
    p.heartShift = [p.heartShift[0] + (right ? -1 : 1) * rng.uniform(8, 18), p.heartShift[1]];
  }
}

/**
 * Where the slices go: a scan covering the whole chest starts a little above the apices; one too
 * short for that is centred on the lungs. The image is centred near the body, the table below.
 */
function placeGrid(rng: Rng, spec: PhantomCaseSpec, p: Patient): Grid {
  const s = spec.pixelSpacingMm;
  // Slices every `t` mm (v1: the thickness; v2: its own spacing, overlapping slabs below it).
  const t = spec.v2?.sliceSpacingMm ?? spec.sliceThicknessMm;
  const coverage = spec.slices * t;
  const apex = at(p, 0, 0, REF_Z.apex)[2];
  const lungHeight = apex - p.zBase;
  let top: number;
  if (coverage >= lungHeight + 20) {
    const spare = coverage - lungHeight;
    top = apex + Math.min(45, Math.max(5, spare * rng.uniform(0.12, 0.4)));
  } else {
    top = p.zBase + lungHeight * rng.uniform(0.45, 0.6) + coverage / 2;
  }
  const fov = spec.size * s;
  const cx = rng.uniform(-0.03, 0.03) * fov;
  const cy = rng.uniform(0.04, 0.09) * fov * p.gravity;
  const half = ((spec.size - 1) / 2) * s;
  return { size: spec.size, spacingMm: s, x0: cx - half, y0: cy - half, z0: top - coverage + t / 2, thicknessMm: spec.sliceThicknessMm, sliceSpacingMm: t, slices: spec.slices };
}

/** Terminal points of each vessel tree per cm³ of lung, and the thinnest vessel drawn. */
const VESSEL_POINTS_PER_CM3 = 4;
const MIN_VESSEL_RADIUS_MM = 0.35;

/** Tube layers in painting order: great vessels, central airways, ribs, then the lung trees. */
function buildTubes(rng: Rng, p: Patient, lungs: LungSamples): TubeLayer[] {
  const great = new TubeLayer(true);
  addGreatVessels(great, p);
  const airwayWalls = new TubeLayer(true);
  const airwayLumens = new TubeLayer(true);
  addCentralAirways(airwayWalls, airwayLumens, p);
  const ribCortex = new TubeLayer(true);
  const ribMarrow = new TubeLayer(true);
  const cartilage = new TubeLayer(true);
  addRibs(ribCortex, ribMarrow, cartilage, p);
  addClavicles(ribCortex, ribMarrow, p);

  const vessels = new TubeLayer(false);
  const bronchusWalls = new TubeLayer(false);
  const bronchusLumens = new TubeLayer(false);
  const k = Math.sqrt(p.sx * p.sy);
  const hilum = (h: readonly [number, number, number]): Point3 => at(p, h[0], h[1], h[2]);
  for (const side of [-1, 1] as const) {
    const tree = rng.fork(side < 0 ? 'right' : 'left');
    const volumeCm3 = (countSide(lungs, side) * lungs.cellMm ** 3) / 1000;
    const arteryPoints = treePoints(tree, lungs, side, Math.round(volumeCm3 * VESSEL_POINTS_PER_CM3));
    const veinPoints = treePoints(tree, lungs, side, Math.round(volumeCm3 * VESSEL_POINTS_PER_CM3 * 0.8));
    const artery = growTree(hilum(side < 0 ? HILA.arteryRight : HILA.arteryLeft), arteryPoints, tree, { rootRadiusMm: 5 * k, lengthFraction: 0.5, leafPoints: 1 });
    const vein = growTree(hilum(side < 0 ? HILA.veinRight : HILA.veinLeft), veinPoints, tree, { rootRadiusMm: 4.6 * k, lengthFraction: 0.45, leafPoints: 1 });
    for (const t of [artery, vein]) {
      for (const b of t.branches) vessels.add({ from: t.nodes[b.from]!, to: t.nodes[b.to]!, radiusMm: Math.max(MIN_VESSEL_RADIUS_MM, b.radiusMm), hu: HU.blood });
    }
    addBronchialTree(bronchusWalls, bronchusLumens, artery, hilum(side < 0 ? BRONCHUS_ENDS.right : BRONCHUS_ENDS.left));
  }
  const layers = [great, airwayWalls, airwayLumens, ribCortex, ribMarrow, cartilage, vessels, bronchusWalls, bronchusLumens];
  for (const l of layers) l.seal();
  return layers;
}

function countSide(lungs: LungSamples, side: number): number {
  let n = 0;
  for (let i = 0; i < lungs.count; i++) if (lungs.side[i] === side) n++;
  return n;
}

/** Points for a tree, uniform in one lung, leaving a thin subpleural zone free of vessel ends. */
function treePoints(rng: Rng, lungs: LungSamples, side: number, count: number): Float32Array {
  const cells = drawCells(lungs, count, () => rng.random(), (i) => (lungs.side[i] === side && lungs.depthMm[i]! >= 5 ? 1 : 0));
  const out = new Float32Array(cells.length * 3);
  const h = lungs.cellMm / 2;
  cells.forEach((c, n) => {
    out[n * 3] = lungs.x[c]! + rng.uniform(-h, h);
    out[n * 3 + 1] = lungs.y[c]! + rng.uniform(-h, h);
    out[n * 3 + 2] = lungs.z[c]! + rng.uniform(-h, h);
  });
  return out;
}
