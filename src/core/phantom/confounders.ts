import type { Blob } from './blobs.js';
import { drawCells, type LungSamples } from './lung-samples.js';
import type { Rng } from './random.js';
import type { ConfounderFinding } from './types.js';

/** Findings that are not COVID-19 and never count as lesion voxels. */
export interface ConfounderPlan {
  blobs: Blob[];
  /** Maximum depth (mm) of a dependent pleural effusion, right and left (0: none). */
  effusionMm: [number, number];
  motion: MotionArtefact | null;
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
}

const plain = { reticulationHu: 0, lesion: false } as const;

export function planConfounders(rng: Rng, lungs: LungSamples, findings: readonly ConfounderFinding[], effusionMm: [number, number]): ConfounderPlan {
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
    // Dependent (posterior, basal) subpleural bands.
    const bands = rng.int(2, 6);
    const cells = drawCells(lungs, bands, () => rng.random(),
      (i) => (lungs.depthMm[i]! < 6 && lungs.ny[i]! > 0.6 && lungs.zRef[i]! < 0.4 * zMax ? 1 : 0));
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
      return { from, to: Math.min(1, from + rng.uniform(0.3, 0.6)), blurMm: rng.uniform(2, 5), streakHu: rng.uniform(40, 110), streaks: rng.int(3, 8), seed: rng.int(0, 2 ** 31) };
    })()
    : null;
  return { blobs, effusionMm, motion };
}
