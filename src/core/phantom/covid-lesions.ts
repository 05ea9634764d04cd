import type { Blob } from './blobs.js';
import { cellSampler, type LungSamples } from './lung-samples.js';
import { clamp01, lerp } from './patient.js';
import type { Rng } from './random.js';
import type { CovidFinding } from './types.js';

/**
 * COVID-19 pneumonia as blobs: multifocal, bilateral, peripheral (subpleural, elongated along the
 * pleura) and posterior, favouring the lower lungs. `extent` 0 is an early scan (a few small
 * ground-glass foci), 1 the peak (many large, confluent opacities with crazy-paving and
 * consolidation when the findings include them).
 */
export function planCovidLesions(rng: Rng, lungs: LungSamples, findings: readonly CovidFinding[], extent: number): Blob[] {
  const e = clamp01(extent);
  const count = Math.round(lerp(2, 26, Math.pow(e, 0.9))) + rng.int(0, e < 0.2 ? 1 : 2);
  const zMax = lungs.zRefMax;
  const posteriorY = lungs.yPosterior;
  const anteriorY = lungs.yAnterior;
  const weight = (side: number) => cellSampler(lungs, (i: number) => {
    if (lungs.side[i] !== side) return 0;
    const depth = lungs.depthMm[i]!;
    const peripheral = Math.exp(-depth / (10 + 25 * e));
    const posterior = (0.25 + (lungs.y[i]! - anteriorY) / (posteriorY - anteriorY)) ** 2;
    const lower = 0.5 + (1 - lungs.zRef[i]! / zMax);
    return peripheral * posterior * lower;
  });
  const samplers = { [-1]: weight(-1), [1]: weight(1) } as Record<number, (random: () => number) => number | undefined>;
  const blobs: Blob[] = [];
  const patterns = findings.length ? findings : (['ground-glass'] as const);
  // Alternate sides so that every scan with two or more lesions is bilateral.
  const firstSide = rng.chance(0.55) ? -1 : 1;
  for (let k = 0; k < count; k++) {
    const side = k % 2 === 0 ? firstSide : -firstSide;
    const cell = samplers[side]!(() => rng.random());
    if (cell === undefined) continue;
    const pattern: CovidFinding = k < patterns.length ? patterns[k]! : rng.chance(0.55) ? 'ground-glass' : rng.pick(patterns);
    const along = rng.uniform(6, 12) + e * rng.uniform(10, 36);
    const across = along * rng.uniform(0.45, 0.8);
    // The first two are large enough to fill half of even a 5 mm slice: a COVID case always shows.
    const az = Math.max(k < 2 ? 6 : 0, along * rng.uniform(0.7, 1.3));
    // Centre a little inside the pleura so the opacity hugs it.
    const inward = across * rng.uniform(0.1, 0.6);
    const nx = lungs.nx[cell]!;
    const ny = lungs.ny[cell]!;
    const base = {
      cx: lungs.x[cell]! - nx * inward + rng.uniform(-1.5, 1.5),
      cy: lungs.y[cell]! - ny * inward + rng.uniform(-1.5, 1.5),
      cz: lungs.z[cell]! + rng.uniform(-1.5, 1.5),
      ax: along,
      ay: across,
      az,
      theta: Math.atan2(ny, nx) + Math.PI / 2 + rng.uniform(-0.3, 0.3),
      roughness: rng.uniform(0.12, 0.28),
      reticulationHu: 0,
      mottleHu: rng.uniform(15, 35),
      lesion: true,
    };
    if (pattern === 'consolidation') {
      // A ground-glass halo around a consolidated core that lies against the pleura.
      blobs.push({ ...base, edgeMm: rng.uniform(3, 6), hu: rng.uniform(-680, -520) });
      const out = across * 0.4;
      blobs.push({
        ...base, cx: base.cx + nx * out, cy: base.cy + ny * out, ax: along * 0.7, ay: across * 0.45, az: az * 0.6,
        edgeMm: rng.uniform(1.5, 3), hu: rng.uniform(-80, 35), mottleHu: rng.uniform(12, 25), roughness: base.roughness * 1.2,
      });
    } else if (pattern === 'crazy-paving') {
      blobs.push({ ...base, edgeMm: rng.uniform(2.5, 5), hu: rng.uniform(-640, -470), reticulationHu: rng.uniform(170, 260) });
    } else {
      blobs.push({ ...base, edgeMm: rng.uniform(3, 7), hu: rng.uniform(-700, -430) });
    }
  }
  return blobs;
}
