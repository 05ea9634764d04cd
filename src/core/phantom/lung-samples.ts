import { paintAnatomy } from './anatomy.js';
import { at, refZ, type Patient } from './patient.js';
import { SliceCanvas, Tissue } from './raster.js';

/**
 * The lungs sampled on a coarse grid (one point per cell): where vessels branch, lesions and
 * confounders go. Each cell knows its side, its depth under the pleura (in its axial plane) and
 * the outward direction toward the nearest pleura.
 */
export interface LungSamples {
  cellMm: number;
  x: Float32Array;
  y: Float32Array;
  z: Float32Array;
  /** −1 right, +1 left. */
  side: Int8Array;
  depthMm: Float32Array;
  /** Unit vector toward the nearest pleura (axial plane). */
  nx: Float32Array;
  ny: Float32Array;
  /** Reference z (mm above the lung base). */
  zRef: Float32Array;
  count: number;
  /**
   * Extremes over all cells: highest reference z, and the y of the most anterior and most
   * posterior cells (for a phantom, supine in LPS, the smallest and largest y; a real scan's grid
   * may run the other way, so these say which end is which).
   */
  zRefMax: number;
  yAnterior: number;
  yPosterior: number;
}

export function sampleLungs(p: Patient, effusionMm: [number, number], cellMm = 3): LungSamples {
  const half = 180 * p.sx;
  const size = Math.ceil((2 * half) / cellMm);
  const canvas = new SliceCanvas(size, cellMm, -half, -half);
  const out = { x: [] as number[], y: [] as number[], z: [] as number[], side: [] as number[], depth: [] as number[], nx: [] as number[], ny: [] as number[], zr: [] as number[] };
  const zLo = at(p, 0, 0, -5)[2];
  const zHi = at(p, 0, 0, 262)[2];
  const dist = new Float32Array(size * size);
  for (let z = zLo; z <= zHi; z += cellMm) {
    const zr = refZ(p, z);
    paintAnatomy(canvas, p, zr, effusionMm);
    chamfer(canvas.tissue, size, dist);
    for (let j = 1; j < size - 1; j++) {
      for (let i = 1; i < size - 1; i++) {
        const q = j * size + i;
        const t = canvas.tissue[q]!;
        if (t !== Tissue.lungRight && t !== Tissue.lungLeft) continue;
        const gx = dist[q + 1]! - dist[q - 1]!;
        const gy = dist[q + size]! - dist[q - size]!;
        const g = Math.hypot(gx, gy) || 1;
        out.x.push(canvas.x0 + i * cellMm);
        out.y.push(canvas.y0 + j * cellMm);
        out.z.push(z);
        out.zr.push(zr);
        out.side.push(t === Tissue.lungRight ? -1 : 1);
        out.depth.push(dist[q]! * cellMm);
        out.nx.push(-gx / g);
        out.ny.push(-gy / g);
      }
    }
  }
  return {
    cellMm,
    x: Float32Array.from(out.x),
    y: Float32Array.from(out.y),
    z: Float32Array.from(out.z),
    side: Int8Array.from(out.side),
    depthMm: Float32Array.from(out.depth),
    nx: Float32Array.from(out.nx),
    ny: Float32Array.from(out.ny),
    zRef: Float32Array.from(out.zr),
    count: out.x.length,
    zRefMax: out.zr.reduce((a, b) => Math.max(a, b), -Infinity),
    yAnterior: out.y.reduce((a, b) => Math.min(a, b), Infinity),
    yPosterior: out.y.reduce((a, b) => Math.max(a, b), -Infinity),
  };
}

/** Distance (in cells, chamfer 1/√2) from each lung cell to the nearest non-lung cell. */
function chamfer(tissue: Uint8Array, n: number, d: Float32Array): void {
  for (let q = 0; q < n * n; q++) {
    const t = tissue[q]!;
    d[q] = t === Tissue.lungRight || t === Tissue.lungLeft ? 1e6 : 0;
  }
  chamferDistance(d, n, n);
}

/**
 * In place: cells holding a large value become their distance (in cells, chamfer 1/√2) to the
 * nearest zero cell. The border row and column are never updated (they stay as given).
 */
export function chamferDistance(d: Float32Array, width: number, height: number): void {
  const n = width;
  const r2 = Math.SQRT2;
  for (let j = 1; j < height - 1; j++) {
    for (let i = 1; i < n - 1; i++) {
      const q = j * n + i;
      if (d[q] === 0) continue;
      d[q] = Math.min(d[q]!, d[q - 1]! + 1, d[q - n]! + 1, d[q - n - 1]! + r2, d[q - n + 1]! + r2);
    }
  }
  for (let j = height - 2; j >= 1; j--) {
    for (let i = n - 2; i >= 1; i--) {
      const q = j * n + i;
      if (d[q] === 0) continue;
      d[q] = Math.min(d[q]!, d[q + 1]! + 1, d[q + n]! + 1, d[q + n + 1]! + r2, d[q + n - 1]! + r2);
    }
  }
}

/**
 * A sampler of cells with probability ∝ weight(i) (weights computed once); returns undefined when
 * every weight is zero.
 */
export function cellSampler(s: LungSamples, weight: (i: number) => number): (random: () => number) => number | undefined {
  const cumulative = new Float64Array(s.count);
  let total = 0;
  for (let i = 0; i < s.count; i++) {
    total += Math.max(0, weight(i));
    cumulative[i] = total;
  }
  return (random) => {
    if (total <= 0) return undefined;
    const r = random() * total;
    let lo = 0;
    let hi = s.count - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid]! <= r) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

/** Indices of `count` cells drawn with probability ∝ weight(i) (with replacement). */
export function drawCells(s: LungSamples, count: number, random: () => number, weight: (i: number) => number): number[] {
  const sample = cellSampler(s, weight);
  const picks: number[] = [];
  for (let k = 0; k < count; k++) {
    const i = sample(random);
    if (i === undefined) break;
    picks.push(i);
  }
  return picks;
}
