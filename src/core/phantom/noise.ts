import type { Rng } from './random.js';

/**
 * Periodic 2-D noise tiles (side a power of two), looked up by pixel index with a mask: the cheap
 * way to give every slice texture without evaluating noise functions per voxel.
 */
export interface NoiseTile {
  /** Side in pixels (a power of two). */
  size: number;
  mask: number;
  shift: number;
  /** Zero mean, unit standard deviation. */
  values: Float32Array;
}

function emptyTile(size: number): NoiseTile {
  if (!Number.isInteger(Math.log2(size))) throw new RangeError(`tile size ${size} is not a power of two`);
  return { size, mask: size - 1, shift: Math.log2(size), values: new Float32Array(size * size) };
}

/** Rescales the values to zero mean and unit standard deviation. */
export function normaliseTile(t: NoiseTile): NoiseTile {
  const v = t.values;
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += v[i]!;
  const mean = sum / v.length;
  let sq = 0;
  for (let i = 0; i < v.length; i++) sq += (v[i]! - mean) ** 2;
  const inv = 1 / Math.sqrt(sq / v.length || 1);
  for (let i = 0; i < v.length; i++) v[i] = (v[i]! - mean) * inv;
  return t;
}

/**
 * Fractal value noise: octaves of a random lattice (cell `cellPx` pixels, halving per octave, each
 * octave's amplitude × `gain`) interpolated with a smoothstep; periodic over the tile.
 */
export function valueNoiseTile(rng: Rng, size: number, cellPx: number, octaves: number, gain = 0.5): NoiseTile {
  const tile = emptyTile(size);
  const v = tile.values;
  let amplitude = 1;
  let cell = Math.max(1, cellPx);
  for (let o = 0; o < octaves; o++) {
    const lattice = Math.max(1, Math.round(size / cell));
    const grid = new Float32Array(lattice * lattice);
    for (let i = 0; i < grid.length; i++) grid[i] = rng.random() * 2 - 1;
    const step = lattice / size;
    for (let j = 0; j < size; j++) {
      const gy = j * step;
      const y0 = Math.floor(gy);
      let fy = gy - y0;
      fy = fy * fy * (3 - 2 * fy);
      const r0 = (y0 % lattice) * lattice;
      const r1 = ((y0 + 1) % lattice) * lattice;
      for (let i = 0; i < size; i++) {
        const gx = i * step;
        const x0 = Math.floor(gx);
        let fx = gx - x0;
        fx = fx * fx * (3 - 2 * fx);
        const c0 = x0 % lattice;
        const c1 = (x0 + 1) % lattice;
        const top = grid[r0 + c0]! + (grid[r0 + c1]! - grid[r0 + c0]!) * fx;
        const bottom = grid[r1 + c0]! + (grid[r1 + c1]! - grid[r1 + c0]!) * fx;
        v[j * size + i]! += amplitude * (top + (bottom - top) * fy);
      }
    }
    amplitude *= gain;
    cell /= 2;
    if (cell < 1) break;
  }
  return normaliseTile(tile);
}

/**
 * Correlated Gaussian noise like a CT reconstruction's: white Gaussian noise filtered by a small
 * separable kernel (`taps`, e.g. [1, 2, 1] for a smooth kernel, [−1, 6, −1] for a sharp one).
 */
export function filteredGaussianTile(rng: Rng, size: number, taps: readonly number[]): NoiseTile {
  const tile = emptyTile(size);
  const white = new Float32Array(size * size);
  for (let i = 0; i < white.length; i++) white[i] = rng.normal();
  const half = (taps.length - 1) / 2;
  const tmp = new Float32Array(size * size);
  const m = size - 1;
  for (let j = 0; j < size; j++) {
    for (let i = 0; i < size; i++) {
      let s = 0;
      for (let t = 0; t < taps.length; t++) s += taps[t]! * white[j * size + ((i + t - half) & m)]!;
      tmp[j * size + i] = s;
    }
  }
  for (let j = 0; j < size; j++) {
    for (let i = 0; i < size; i++) {
      let s = 0;
      for (let t = 0; t < taps.length; t++) s += taps[t]! * tmp[((j + t - half) & m) * size + i]!;
      tile.values[j * size + i] = s;
    }
  }
  return normaliseTile(tile);
}

/**
 * A reticular network (distance to the nearest Voronoi cell border, Worley F2 − F1) as a tile of
 * line weights in [0, 1]: 1 on a septum, 0 inside a cell. Used for crazy-paving.
 */
export function reticulationTile(rng: Rng, size: number, cellPx: number, lineHalfWidthPx: number): NoiseTile {
  const tile = emptyTile(size);
  const cells = Math.max(2, Math.round(size / cellPx));
  const pitch = size / cells;
  const px = new Float32Array(cells * cells);
  const py = new Float32Array(cells * cells);
  for (let c = 0; c < cells * cells; c++) {
    px[c] = ((c % cells) + rng.uniform(0.1, 0.9)) * pitch;
    py[c] = (Math.floor(c / cells) + rng.uniform(0.1, 0.9)) * pitch;
  }
  for (let j = 0; j < size; j++) {
    const cj = Math.floor(j / pitch);
    for (let i = 0; i < size; i++) {
      const ci = Math.floor(i / pitch);
      let d1 = Infinity;
      let d2 = Infinity;
      for (let dj = -1; dj <= 1; dj++) {
        for (let di = -1; di <= 1; di++) {
          const cx = (ci + di + cells) % cells;
          const cy = (cj + dj + cells) % cells;
          const c = cy * cells + cx;
          // Wrap the feature point next to this pixel's cell.
          const fx = px[c]! + (ci + di - cx) * pitch;
          const fy = py[c]! + (cj + dj - cy) * pitch;
          const d = (fx - i) * (fx - i) + (fy - j) * (fy - j);
          if (d < d1) { d2 = d1; d1 = d; } else if (d < d2) d2 = d;
        }
      }
      const edge = (Math.sqrt(d2) - Math.sqrt(d1)) / 2;
      tile.values[j * size + i] = Math.max(0, 1 - edge / lineHalfWidthPx);
    }
  }
  return tile;
}

/** Clamps a tile's values to [−limit, limit] in place. */
export function clampTile(t: NoiseTile, limit: number): NoiseTile {
  const v = t.values;
  for (let i = 0; i < v.length; i++) v[i] = Math.max(-limit, Math.min(limit, v[i]!));
  return t;
}

/**
 * Texture varying smoothly along z without drifting (a drift shows as diagonal stripes in coronal
 * and sagittal reformats): planes every `pitchMm` get the tile at their own pseudo-random offset,
 * and a plane between two of them blends the two, keeping the variance constant.
 */
export interface TileBlend {
  /** Offsets (pixels) of the two layers and their weights. */
  ax: number;
  ay: number;
  bx: number;
  by: number;
  wa: number;
  wb: number;
}

export function tileBlend(z: number, pitchMm: number, salt: number): TileBlend {
  const u = z / pitchMm;
  const m = Math.floor(u);
  let f = u - m;
  f = f * f * (3 - 2 * f);
  const norm = 1 / Math.sqrt((1 - f) * (1 - f) + f * f);
  return { ax: hash(m, salt), ay: hash(m, salt + 1), bx: hash(m + 1, salt), by: hash(m + 1, salt + 1), wa: (1 - f) * norm, wb: f * norm };
}

/** A non-negative 16-bit hash of an integer lattice index. */
function hash(m: number, salt: number): number {
  let h = Math.imul(m ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(salt + 0x27d4eb2f, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
  h ^= h >>> 13;
  return h & 0xffff;
}
