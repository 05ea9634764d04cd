import { clampTile, reticulationTile, tileBlend, valueNoiseTile, type NoiseTile } from './noise.js';
import type { Rng } from './random.js';
import { Tissue, type SliceCanvas } from './raster.js';

/**
 * A soft ellipsoidal opacity (or lucency) inside the lungs: COVID-19 lesions, nodules, emphysema,
 * atelectasis. Its edge is modulated by noise and softened over `edgeMm`; it changes only lung
 * pixels, moving their HU toward its own by its opacity.
 */
export interface Blob {
  cx: number;
  cy: number;
  cz: number;
  /** Semi-axes (mm): `ax` along angle `theta` in the axial plane, `ay` across it, `az` along z. */
  ax: number;
  ay: number;
  az: number;
  theta: number;
  edgeMm: number;
  /** Edge modulation, as a fraction of the radius. */
  roughness: number;
  hu: number;
  /** HU added on the septa of a reticular network (crazy-paving); 0 for none. */
  reticulationHu: number;
  /** Internal heterogeneity (HU per unit of noise). */
  mottleHu: number;
  /** Whether the blob is COVID-19 lesion material (counted in the truth). */
  lesion: boolean;
}

export interface BlobTextures {
  edge: NoiseTile;
  mottle: NoiseTile;
  reticulation: NoiseTile;
}

/**
 * The blobs' textures for a grid of `spacingMm` pixels: edge and mottle drawn from `rng` in that
 * order, the reticulation (Worley, the one costly tile) from its own fork and only when a blob
 * has septa (crazy-paving).
 */
export function blobTextures(rng: Rng, spacingMm: number, blobs: readonly Blob[]): BlobTextures {
  const px = (mm: number) => Math.max(1, mm / spacingMm);
  const reticulation = blobs.some((b) => b.reticulationHu !== 0)
    ? reticulationTile(rng.fork('reticulation'), 256, px(7), Math.max(0.6, px(0.6)))
    : { size: 1, mask: 0, shift: 0, values: new Float32Array(1) };
  return {
    edge: clampTile(valueNoiseTile(rng, 256, px(10), 2, 0.5), EDGE_NOISE_MAX),
    mottle: valueNoiseTile(rng, 256, px(4), 2, 0.6),
    reticulation,
  };
}

/** Blobs indexed by z for fast per-slice lookup. */
export class BlobSet {
  readonly blobs: Blob[];
  constructor(blobs: Blob[]) {
    this.blobs = [...blobs].sort((a, b) => lowestZ(a) - lowestZ(b));
  }

  /** Paints the blobs that reach plane z; lesion opacity goes into `coverage` (max per pixel). */
  paint(c: SliceCanvas, z: number, tex: BlobTextures, coverage: Float32Array): void {
    for (const b of this.blobs) {
      if (lowestZ(b) > z) break;
      paintBlob(c, b, z, tex, coverage);
    }
  }
}

/**
 * Edge noise tiles are clamped to ±EDGE_NOISE_MAX (see `clampTile`); two blended layers weigh at
 * most √2 together. That bounds how far an edge moves, hence each blob's bounding box.
 */
export const EDGE_NOISE_MAX = 1.5;
const reach = (b: Blob) => 1 + EDGE_NOISE_MAX * Math.SQRT2 * b.roughness;
const lowestZ = (b: Blob) => b.cz - b.az * (reach(b) + (3 * b.edgeMm) / (b.ax + b.ay + b.az));

/**
 * The pixel grid a blob is rasterised on: pixel (i, j) is centred at (x0 + i·s, y0 + j·s) mm,
 * `width` columns by `height` rows, x fastest.
 */
export interface BlobGrid {
  width: number;
  height: number;
  spacingMm: number;
  x0: number;
  y0: number;
}

/**
 * Calls `visit(p, o, target)` for every pixel p of the blob's section at plane z that `inside`
 * accepts and that the blob reaches: o in (0, 1] is its opacity there (1 inside, a smoothstep over
 * the noise-modulated edge), `target` the HU it pulls the pixel toward (its HU, mottle and septa).
 * The one definition of a blob's shape and texture: the phantom paints with it and the inserter
 * (insert-lesions.ts) blends it into real CT.
 */
export function rasterBlob(g: BlobGrid, b: Blob, z: number, tex: BlobTextures, inside: (p: number) => boolean, visit: (p: number, o: number, target: number) => void): void {
  const mean = (b.ax + b.ay + b.az) / 3;
  const e = b.edgeMm / mean;
  const dz = (z - b.cz) / b.az;
  // Inside needs √(u² + v² + dz²) − roughness · √2 · EDGE_NOISE_MAX < 1 + e: the section's reach.
  const outer = reach(b) + e;
  if (Math.abs(dz) >= outer) return;
  const f = Math.sqrt(outer * outer - dz * dz);
  const reachX = b.ax * f;
  const reachY = b.ay * f;
  const cos = Math.cos(b.theta);
  const sin = Math.sin(b.theta);
  const hx = Math.sqrt(reachX * reachX * cos * cos + reachY * reachY * sin * sin);
  const hy = Math.sqrt(reachX * reachX * sin * sin + reachY * reachY * cos * cos);
  const s = g.spacingMm;
  const n = g.width;
  const i0 = Math.max(0, Math.ceil((b.cx - hx - g.x0) / s));
  const i1 = Math.min(g.width - 1, Math.floor((b.cx + hx - g.x0) / s));
  const j0 = Math.max(0, Math.ceil((b.cy - hy - g.y0) / s));
  const j1 = Math.min(g.height - 1, Math.floor((b.cy + hy - g.y0) / s));
  const { edge, mottle, reticulation } = tex;
  // Edge, mottle and septa vary along z by blending tile layers (no drift: no reformat stripes).
  const be = tileBlend(z, 8, 21);
  const bm = tileBlend(z, 4, 31);
  const br = tileBlend(z, 6, 41);
  const lo = 1 - e;
  const width = 2 * e;
  const iax = 1 / b.ax;
  const iay = 1 / b.ay;
  const dz2 = dz * dz;
  const du = s * cos * iax;
  const dv = -s * sin * iay;
  const dx0 = g.x0 + i0 * s - b.cx;
  for (let j = j0; j <= j1; j++) {
    const dy = g.y0 + j * s - b.cy;
    const rowEa = ((j + be.ay) & edge.mask) << edge.shift;
    const rowEb = ((j + be.by) & edge.mask) << edge.shift;
    const rowMa = ((j + bm.ay) & mottle.mask) << mottle.shift;
    const rowMb = ((j + bm.by) & mottle.mask) << mottle.shift;
    const rowRa = ((j + br.ay) & reticulation.mask) << reticulation.shift;
    const rowRb = ((j + br.by) & reticulation.mask) << reticulation.shift;
    // u, v (the section's axes, in radii) step linearly along the row.
    let u = (dx0 * cos + dy * sin) * iax - du;
    let v = (-dx0 * sin + dy * cos) * iay - dv;
    for (let i = i0; i <= i1; i++) {
      u += du;
      v += dv;
      const p = j * n + i;
      if (!inside(p)) continue;
      const noise = be.wa * edge.values[rowEa + ((i + be.ax) & edge.mask)]! + be.wb * edge.values[rowEb + ((i + be.bx) & edge.mask)]!;
      const rho = Math.sqrt(u * u + v * v + dz2) + b.roughness * noise;
      if (rho >= 1 + e) continue;
      let o = 1;
      if (rho > lo) {
        const q = (rho - lo) / width;
        o = 1 - q * q * (3 - 2 * q);
      }
      let target = b.hu + b.mottleHu * (bm.wa * mottle.values[rowMa + ((i + bm.ax) & mottle.mask)]! + bm.wb * mottle.values[rowMb + ((i + bm.bx) & mottle.mask)]!);
      if (b.reticulationHu !== 0) {
        // Septa: one network fades out as the next fades in.
        const ra = reticulation.values[rowRa + ((i + br.ax) & reticulation.mask)]!;
        const rb = reticulation.values[rowRb + ((i + br.bx) & reticulation.mask)]!;
        target += (b.reticulationHu * (br.wa * ra + br.wb * rb)) / (br.wa + br.wb);
      }
      visit(p, o, target);
    }
  }
}

/** Paints a blob on the lung pixels of a phantom slice; lesion opacity goes into `coverage` (max). */
function paintBlob(c: SliceCanvas, b: Blob, z: number, tex: BlobTextures, coverage: Float32Array): void {
  const hu = c.hu;
  const tissue = c.tissue;
  const grid: BlobGrid = { width: c.size, height: c.size, spacingMm: c.spacingMm, x0: c.x0, y0: c.y0 };
  rasterBlob(grid, b, z, tex, (p) => {
    const t = tissue[p]!;
    return t === Tissue.lungRight || t === Tissue.lungLeft;
  }, (p, o, target) => {
    hu[p] = hu[p]! + (target - hu[p]!) * o;
    if (b.lesion && o > coverage[p]!) coverage[p] = o;
  });
}
