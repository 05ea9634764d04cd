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
  const cells = new LungCells(cellMm);
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
        cells.add(dist, size, q, canvas.x0 + i * cellMm, canvas.y0 + j * cellMm, z, zr, t === Tissue.lungRight ? -1 : 1);
      }
    }
  }
  // Supine in LPS: y grows toward the back.
  return cells.samples(1);
}

/**
 * LungSamples gathered cell by cell (by `sampleLungs` from a phantom's anatomy, by
 * `sampleMaskLungs` from a real scan's lung mask), each from a chamfer distance map of its plane.
 */
export class LungCells {
  private readonly x: number[] = [];
  private readonly y: number[] = [];
  private readonly z: number[] = [];
  private readonly zr: number[] = [];
  private readonly side: number[] = [];
  private readonly depth: number[] = [];
  private readonly nx: number[] = [];
  private readonly ny: number[] = [];

  /** `cellMm`: the side of a cell of the distance maps. */
  constructor(private readonly cellMm: number) {}

  /**
   * Adds cell q of `dist` (`width` cells a row, in cells from the nearest non-lung cell) as a
   * sample at (x, y, z) mm, height `zRef`, on `side`: its depth under the pleura, and the way out
   * to it (down the distance's gradient).
   */
  add(dist: Float32Array, width: number, q: number, x: number, y: number, z: number, zRef: number, side: number): void {
    const gx = dist[q + 1]! - dist[q - 1]!;
    const gy = dist[q + width]! - dist[q - width]!;
    const g = Math.hypot(gx, gy) || 1;
    this.x.push(x);
    this.y.push(y);
    this.z.push(z);
    this.zr.push(zRef);
    this.side.push(side);
    this.depth.push(dist[q]! * this.cellMm);
    this.nx.push(-gx / g);
    this.ny.push(-gy / g);
  }

  /** The samples; `posteriorSign` +1 where y grows toward the patient's back, −1 where it grows toward the front. */
  samples(posteriorSign: 1 | -1): LungSamples {
    const yLow = this.y.reduce((a, b) => Math.min(a, b), Infinity);
    const yHigh = this.y.reduce((a, b) => Math.max(a, b), -Infinity);
    return {
      cellMm: this.cellMm,
      x: Float32Array.from(this.x),
      y: Float32Array.from(this.y),
      z: Float32Array.from(this.z),
      side: Int8Array.from(this.side),
      depthMm: Float32Array.from(this.depth),
      nx: Float32Array.from(this.nx),
      ny: Float32Array.from(this.ny),
      zRef: Float32Array.from(this.zr),
      count: this.x.length,
      zRefMax: this.zr.reduce((a, b) => Math.max(a, b), -Infinity),
      yAnterior: posteriorSign > 0 ? yLow : yHigh,
      yPosterior: posteriorSign > 0 ? yHigh : yLow,
    };
  }
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
