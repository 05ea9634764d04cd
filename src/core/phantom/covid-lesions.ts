import type { Blob } from './blobs.js';
import { cellSampler, type LungSamples } from './lung-samples.js';
import { clamp01, lerp, smoothstep } from './patient.js';
import type { Rng } from './random.js';
import type { CovidFinding } from './types.js';

/**
 * How lesions are drawn: `v1` as the shipped model's phantoms were made (kept bit for bit), `v2`
 * closer to COVID-19 CT as reported: peripheral means under the costal pleura (not along the
 * mediastinum), consolidation lies against the pleura as a band within its ground glass (never a
 * nodule-like core), and the organising stage adds subpleural bands and arcs.
 */
export type LesionStyle = 'v1' | 'v2';

/**
 * COVID-19 pneumonia as blobs: multifocal, bilateral, peripheral (subpleural, elongated along the
 * pleura) and posterior, favouring the lower lungs. `extent` 0 is an early scan (a few small
 * ground-glass foci), 1 the peak (many large, confluent opacities with crazy-paving and
 * consolidation when the findings include them).
 */
export function planCovidLesions(rng: Rng, lungs: LungSamples, findings: readonly CovidFinding[], extent: number, style: LesionStyle = 'v1'): Blob[] {
  if (style === 'v2') return planV2(rng, lungs, findings, extent);
  const blobs: Blob[] = [];
  for (const { pattern, nx, ny, along, across, az, base } of lesionSites(rng, lungs, findings, extent, SITES_V1)) {
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

/**
 * The v2 plan. Sites: near the pleura that faces away from the body's axis (costal, posterior,
 * diaphragmatic), posterior and lower, alternating sides. Each lesion is ground glass; where the
 * case has them, crazy-paving (septa within it), consolidation (a denser band against the pleura
 * inside it) and organising changes (a subpleural band or arc with little ground glass left).
 */
function planV2(rng: Rng, lungs: LungSamples, findings: readonly CovidFinding[], extent: number): Blob[] {
  const e = clamp01(extent);
  const [midX, midY] = centroid(lungs);
  const costal = (i: number) => {
    const ox = lungs.x[i]! - midX;
    const oy = lungs.y[i]! - midY;
    const norm = Math.hypot(ox, oy) || 1;
    // The pleura's outward normal against the direction away from the middle of the chest.
    return smoothstep(-0.35, 0.45, (lungs.nx[i]! * ox + lungs.ny[i]! * oy) / norm);
  };
  const blobs: Blob[] = [];
  for (const { pattern, cell, nx, ny, along, across, az, base } of lesionSites(rng, lungs, findings, extent, SITES_V2, (i) => 0.08 + 0.92 * costal(i))) {
    // Early lesions are fainter and hazier; peak ones denser.
    const ggoHu = lerp(rng.uniform(-760, -640), rng.uniform(-640, -450), e);
    if (pattern === 'crazy-paving') {
      blobs.push({ ...base, edgeMm: rng.uniform(2.5, 5), hu: ggoHu + 40, reticulationHu: rng.uniform(170, 270) });
    } else if (pattern === 'consolidation') {
      blobs.push({ ...base, edgeMm: rng.uniform(3, 6), hu: ggoHu });
      // A band against the pleura, as long as most of the opacity and a third to a half as deep.
      const deep = across * rng.uniform(0.3, 0.5);
      blobs.push({
        ...base,
        cx: lungs.x[cell]! - nx * deep * 0.9, cy: lungs.y[cell]! - ny * deep * 0.9,
        ax: along * rng.uniform(0.6, 0.9), ay: deep, az: az * rng.uniform(0.6, 0.9),
        edgeMm: rng.uniform(2.5, 4.5), hu: rng.uniform(-160, 20), mottleHu: rng.uniform(15, 30), roughness: base.roughness * 1.2,
      });
    } else if (pattern === 'organizing') {
      // Residual faint ground glass, and a curvilinear band 3–8 mm under the pleura or a band
      // reaching in from it.
      blobs.push({ ...base, edgeMm: rng.uniform(3, 6), hu: rng.uniform(-780, -700), mottleHu: rng.uniform(10, 20) });
      const perpendicular = rng.chance(0.35);
      const thick = rng.uniform(1.5, 3);
      const depth = perpendicular ? rng.uniform(8, 20) : rng.uniform(3, 8);
      blobs.push({
        ...base,
        cx: lungs.x[cell]! - nx * depth, cy: lungs.y[cell]! - ny * depth,
        ax: perpendicular ? depth : along * rng.uniform(0.8, 1.2), ay: thick, az: az * rng.uniform(0.5, 0.9),
        theta: Math.atan2(ny, nx) + (perpendicular ? 0 : Math.PI / 2) + rng.uniform(-0.2, 0.2),
        edgeMm: rng.uniform(1, 2), hu: rng.uniform(-350, -80), mottleHu: rng.uniform(10, 20), roughness: rng.uniform(0.1, 0.2),
      });
    } else {
      blobs.push({ ...base, edgeMm: rng.uniform(3, 8), hu: ggoHu });
    }
  }
  return blobs;
}

/** How a style places and sizes its lesions (lengths in mm; pairs are the ranges drawn from). */
interface SiteStyle {
  /** Lesions at extent 0 and at extent 1, before zero to two more at random. */
  count: [number, number];
  /** Where sites fall, ∝ e^(−depth / (a + b · extent)) · (posterior + front-to-back fraction)² · (lower + 1 − height fraction). */
  pleuraMm: [number, number];
  posterior: number;
  lower: number;
  /** The chance that a lesion beyond the case's listed findings is ground glass (else one of them). */
  groundGlass: number;
  /** Long axis: a draw from `alongMm`, plus extent times a draw from `growthMm`. */
  alongMm: [number, number];
  growthMm: [number, number];
  /** Short axis as a fraction of the long one. */
  across: [number, number];
  /** The first two lesions' least z semi-axis: large enough to fill half of even a 5 mm slice, so a COVID case always shows. */
  firstAzMm: number;
  /** How far the centre lies inside the pleura, as a fraction of the short axis. */
  inward: [number, number];
  /** Largest turn (radians) off the pleura's direction. */
  tilt: number;
  roughness: [number, number];
}

const SITES_V1: SiteStyle = {
  count: [2, 26], pleuraMm: [10, 25], posterior: 0.25, lower: 0.5, groundGlass: 0.55, alongMm: [6, 12], growthMm: [10, 36],
  across: [0.45, 0.8], firstAzMm: 6, inward: [0.1, 0.6], tilt: 0.3, roughness: [0.12, 0.28],
};
/** v2: the opacity's outer edge at the pleura, its centre about one semi-axis inside. */
const SITES_V2: SiteStyle = {
  count: [2, 24], pleuraMm: [8, 22], posterior: 0.3, lower: 0.45, groundGlass: 0.5, alongMm: [7, 13], growthMm: [10, 34],
  across: [0.4, 0.75], firstAzMm: 7, inward: [0.55, 0.95], tilt: 0.25, roughness: [0.12, 0.3],
};

interface LesionSite {
  pattern: CovidFinding;
  cell: number;
  /** The pleura's outward direction at the cell. */
  nx: number;
  ny: number;
  along: number;
  across: number;
  az: number;
  /** The lesion's blob but for its edge and HU, which each pattern draws. */
  base: Omit<Blob, 'edgeMm' | 'hu'>;
}

/**
 * The sites of a case's lesions, drawn from `rng` one by one as the caller asks for them (its
 * own draws for each site's blobs come between): alternating sides, so that every scan with two
 * or more lesions is bilateral; each a sampled lung cell (weighted as `style` says, times
 * `facing`), the case's findings first and then mostly ground glass, sized by extent.
 */
function* lesionSites(rng: Rng, lungs: LungSamples, findings: readonly CovidFinding[], extent: number, style: SiteStyle, facing: (i: number) => number = () => 1): Generator<LesionSite> {
  const e = clamp01(extent);
  const count = Math.round(lerp(style.count[0], style.count[1], Math.pow(e, 0.9))) + rng.int(0, e < 0.2 ? 1 : 2);
  const zMax = lungs.zRefMax;
  const weight = (side: number) => cellSampler(lungs, (i: number) => {
    if (lungs.side[i] !== side) return 0;
    const peripheral = Math.exp(-lungs.depthMm[i]! / (style.pleuraMm[0] + style.pleuraMm[1] * e)) * facing(i);
    const posterior = (style.posterior + (lungs.y[i]! - lungs.yAnterior) / (lungs.yPosterior - lungs.yAnterior)) ** 2;
    const lower = style.lower + (1 - lungs.zRef[i]! / zMax);
    return peripheral * posterior * lower;
  });
  const samplers = { [-1]: weight(-1), [1]: weight(1) } as Record<number, (random: () => number) => number | undefined>;
  const patterns = findings.length ? findings : (['ground-glass'] as const);
  const firstSide = rng.chance(0.55) ? -1 : 1;
  for (let k = 0; k < count; k++) {
    const side = k % 2 === 0 ? firstSide : -firstSide;
    const cell = samplers[side]!(() => rng.random());
    if (cell === undefined) continue;
    const pattern: CovidFinding = k < patterns.length ? patterns[k]! : rng.chance(style.groundGlass) ? 'ground-glass' : rng.pick(patterns);
    const along = rng.uniform(style.alongMm[0], style.alongMm[1]) + e * rng.uniform(style.growthMm[0], style.growthMm[1]);
    const across = along * rng.uniform(style.across[0], style.across[1]);
    const az = Math.max(k < 2 ? style.firstAzMm : 0, along * rng.uniform(0.7, 1.3));
    const inward = across * rng.uniform(style.inward[0], style.inward[1]);
    const nx = lungs.nx[cell]!;
    const ny = lungs.ny[cell]!;
    const base = {
      cx: lungs.x[cell]! - nx * inward + rng.uniform(-1.5, 1.5),
      cy: lungs.y[cell]! - ny * inward + rng.uniform(-1.5, 1.5),
      cz: lungs.z[cell]! + rng.uniform(-1.5, 1.5),
      ax: along,
      ay: across,
      az,
      theta: Math.atan2(ny, nx) + Math.PI / 2 + rng.uniform(-style.tilt, style.tilt),
      roughness: rng.uniform(style.roughness[0], style.roughness[1]),
      reticulationHu: 0,
      mottleHu: rng.uniform(15, 35),
      lesion: true,
    };
    yield { pattern, cell, nx, ny, along, across, az, base };
  }
}

function centroid(s: LungSamples): [number, number] {
  let x = 0;
  let y = 0;
  for (let i = 0; i < s.count; i++) {
    x += s.x[i]!;
    y += s.y[i]!;
  }
  return s.count ? [x / s.count, y / s.count] : [0, 0];
}
