import { EDGE_NOISE_MAX, rasterBlob, type Blob, type BlobGrid, type BlobTextures } from './blobs.js';
import { gaussianTaps } from './scanner.js';
import type { Volume } from '../volume/volume.js';

/**
 * How a lesion planned by the phantom (`planCovidLesions`) becomes part of a real scan.
 *
 * The blobs' target HU were set against the phantom's parenchyma (≈ −870 HU). Read as physics, a
 * blob pulling the lung toward HU T fills a fraction f = (T − P_REF) / (H_FILL − P_REF) of the
 * air spaces with fluid and cells (ground glass: f ≈ 0.2–0.5; consolidation: f ≈ 1). The same
 * fraction is applied to the real lung beneath, voxel by voxel:
 *
 *   ΔHU = f̄ · (H_FILL − P_loc) · room(HU_s − P_loc) · air(P_loc − HU_s)
 *
 * - f̄: f averaged over the slice's slab on planes ≤ 1 mm apart (partial volume across the real
 *   slice thickness, also where slabs overlap), then blurred in-plane by the scan's own point
 *   spread (`ScanProfile.edgeSigmaPx`): the lesion is no sharper and no softer than the scan.
 * - HU_s: the background smoothed over 0.8 pixel; P_loc: the local parenchyma (median of lung
 *   voxels below −550 HU in 8 mm blocks, interpolated), so dependent lung rises less than
 *   aerated lung. room(): the voxel's air relative to the parenchyma's — 1 within the noise of
 *   the parenchyma, 0 at H_FILL: a vessel has no air to fill and stays visible through ground
 *   glass; partial-volume voxels rise in proportion to their air.
 * - air(): 1 for parenchyma, falling to 0 for voxels well below the local parenchyma (airway
 *   lumens, emphysema): bronchi stay aerated inside consolidation (air bronchograms).
 *
 * The change is additive, so the scan's own noise, texture and kernel stay in every voxel: no
 * noise is synthesised. Only voxels of the lung mask change; any voxel whose rounded ΔHU is 0
 * keeps its value exactly.
 */
export const P_REF = -870;
export const H_FILL = 30;
/** f may exceed 1 a little where mottle lifts a consolidation above H_FILL. */
const F_MAX = 1.05;
/** Sub-planes across a slab are at most this far apart (mm). */
const PLANE_MM = 1;
/** The local parenchyma level is the median over blocks of this size (mm). */
const PARENCHYMA_BLOCK_MM = 8;
const PARENCHYMA_MAX_HU = -550;
/** The background is smoothed over this σ (pixels) before it decides how much air a voxel has. */
const SMOOTH_PX = 0.8;
/**
 * Voxels more than AIRWAY_KNEE_HU (+ the noise) below the local parenchyma are airways or
 * emphysema: the fill fades out over AIRWAY_RAMP_HU below that.
 */
const AIRWAY_KNEE_HU = 40;
const AIRWAY_RAMP_HU = 50;

/** A voxel is lesion truth when the inserted lesion raised its written value by at least this much (HU). */
export const LESION_TRUTH_HU = 100;

export interface InsertOptions {
  /** The series' real slice thickness (mm); slabs are centred on each slice. */
  sliceThicknessMm: number;
  /** Gaussian σ of the scan's in-plane blur, pixels. */
  blurSigmaPx: number;
  /** The scan's noise σ (HU): widens the tolerance of the airway test. */
  noiseHu: number;
  /** Truth threshold (default LESION_TRUTH_HU). */
  truthHu?: number;
}

export interface Insertion {
  /** The background's voxels with the lesions added (a new array). */
  voxels: Int16Array;
  /** 1 where the lesion raised a lung voxel by at least the truth threshold. */
  lesionMask: Uint8Array;
  lesionVoxelsPerSlice: number[];
  slicePositive: boolean[];
  /** Voxels whose value changed (every one inside the lung mask). */
  changedVoxels: number;
  /** Largest rise applied (HU). */
  maxRiseHu: number;
}

/**
 * Inserts `blobs` (in the volume's index frame: x = column · sx, y = row · sy, z = slice · sz, mm)
 * into a real scan within `lungMask`. Blobs marked `lesion: false` are not inserted.
 */
export function insertLesions(volume: Volume, lungMask: Uint8Array, blobs: readonly Blob[], tex: BlobTextures, o: InsertOptions): Insertion {
  const [nx, ny, nz] = volume.dimensions;
  const [sx, , sz] = volume.spacingMm;
  const area = nx * ny;
  const truthHu = o.truthHu ?? LESION_TRUTH_HU;
  const src = volume.voxels;
  const out = new Int16Array(src);
  const lesionMask = new Uint8Array(src.length);
  const lesionVoxelsPerSlice = new Array<number>(nz).fill(0);
  const lesions = blobs.filter((b) => b.lesion);
  const grid: BlobGrid = { width: nx, height: ny, spacingMm: sx, x0: 0, y0: 0 };
  const rise = new Float32Array(area);
  const fill = new Float32Array(area);
  const scratch = new Float32Array(area);
  const smooth = new Float32Array(area);
  const thickness = o.sliceThicknessMm;
  const planes = Math.max(1, Math.ceil(thickness / PLANE_MM - 1e-9));
  const halo = Math.ceil(3 * o.blurSigmaPx) + 2;
  let changed = 0;
  let maxRise = 0;
  const always = () => true;

  for (let k = 0; k < nz; k++) {
    const zc = k * sz;
    const z0 = zc - thickness / 2;
    const z1 = zc + thickness / 2;
    const here = lesions.filter((b) => {
      const [lo, hi] = zRange(b);
      return hi > z0 && lo < z1;
    });
    if (here.length === 0) continue;
    // The slice's working box: every blob's in-plane reach, plus the blur's.
    let bx0 = nx;
    let bx1 = -1;
    let by0 = ny;
    let by1 = -1;
    for (const b of here) {
      const r = Math.max(b.ax, b.ay) * (reachOf(b) + b.edgeMm / ((b.ax + b.ay + b.az) / 3));
      bx0 = Math.min(bx0, Math.floor((b.cx - r) / sx) - halo);
      bx1 = Math.max(bx1, Math.ceil((b.cx + r) / sx) + halo);
      by0 = Math.min(by0, Math.floor((b.cy - r) / sx) - halo);
      by1 = Math.max(by1, Math.ceil((b.cy + r) / sx) + halo);
    }
    const box = { i0: Math.max(0, bx0), i1: Math.min(nx - 1, bx1), j0: Math.max(0, by0), j1: Math.min(ny - 1, by1) };
    if (box.i1 < box.i0 || box.j1 < box.j0) continue;
    clearBox(fill, nx, box);
    for (let m = 0; m < planes; m++) {
      const z = z0 + ((m + 0.5) * thickness) / planes;
      clearBox(rise, nx, box);
      for (const b of here) {
        rasterBlob(grid, b, z, tex, always, (p, op, target) => {
          rise[p] = rise[p]! + (target - P_REF - rise[p]!) * op;
        });
      }
      const w = 1 / planes;
      for (let j = box.j0; j <= box.j1; j++) {
        for (let p = j * nx + box.i0; p <= j * nx + box.i1; p++) {
          const f = rise[p]! / (H_FILL - P_REF);
          if (f > 0) fill[p] = fill[p]! + w * (f > F_MAX ? F_MAX : f);
        }
      }
    }
    gaussianBox(fill, scratch, nx, box, o.blurSigmaPx);
    const base = k * area;
    const slice = src.subarray(base, base + area);
    const maskSlice = lungMask.subarray(base, base + area);
    smoothSlice(slice, smooth, scratch, nx, box, SMOOTH_PX);
    const parenchyma = parenchymaLevel(smooth, maskSlice, nx, box, PARENCHYMA_BLOCK_MM / sx);
    // The smoothed background keeps about half the noise: within ±τ of the parenchyma a voxel
    // counts as parenchyma, so the noise never feeds into the rise and passes through unchanged.
    const tau = o.noiseHu;
    const knee = AIRWAY_KNEE_HU + tau;
    let count = 0;
    for (let j = box.j0; j <= box.j1; j++) {
      for (let i = box.i0; i <= box.i1; i++) {
        const p = j * nx + i;
        const f = fill[p]!;
        if (f <= 0 || maskSlice[p] !== 1) continue;
        const hs = smooth[p]!;
        const pl = parenchyma(i, j);
        const below = pl - hs;
        const air = below <= knee ? 1 : below >= knee + AIRWAY_RAMP_HU ? 0 : 1 - (below - knee) / AIRWAY_RAMP_HU;
        if (air === 0) continue;
        // Air left to fill, relative to the parenchyma's: 1 in parenchyma, 0 in soft tissue.
        const excess = hs - pl - tau;
        const room = excess <= 0 ? 1 : excess >= H_FILL - pl - tau ? 0 : 1 - excess / (H_FILL - pl - tau);
        const delta = f * (H_FILL - pl) * room * air;
        const q = base + p;
        const value = slice[p]! + Math.round(delta);
        const v = value > 32767 ? 32767 : value;
        if (v !== slice[p]) {
          out[q] = v;
          changed++;
        }
        if (delta > maxRise) maxRise = delta;
        // Truth as the files show it: the written value exceeds the background's by the threshold.
        if (v - slice[p]! >= truthHu) {
          lesionMask[q] = 1;
          count++;
        }
      }
    }
    lesionVoxelsPerSlice[k] = count;
  }
  return { voxels: out, lesionMask, lesionVoxelsPerSlice, slicePositive: lesionVoxelsPerSlice.map((c) => c > 0), changedVoxels: changed, maxRiseHu: maxRise };
}

/** The z interval (mm) a blob can reach, as `rasterBlob` bounds it. */
function zRange(b: Blob): [number, number] {
  const e = b.edgeMm / ((b.ax + b.ay + b.az) / 3);
  const r = b.az * (reachOf(b) + e);
  return [b.cz - r, b.cz + r];
}

const reachOf = (b: Blob) => 1 + EDGE_NOISE_MAX * Math.SQRT2 * b.roughness;

interface Box {
  i0: number;
  i1: number;
  j0: number;
  j1: number;
}

function clearBox(a: Float32Array, nx: number, b: Box): void {
  for (let j = b.j0; j <= b.j1; j++) a.fill(0, j * nx + b.i0, j * nx + b.i1 + 1);
}

/** In-place separable Gaussian blur of `a` within the box (edges clamped to the box). */
function gaussianBox(a: Float32Array, tmp: Float32Array, nx: number, b: Box, sigma: number): void {
  if (!(sigma > 0.05)) return;
  const taps = gaussianTaps(sigma);
  const r = (taps.length - 1) / 2;
  for (let j = b.j0; j <= b.j1; j++) {
    const row = j * nx;
    for (let i = b.i0; i <= b.i1; i++) {
      let s = 0;
      for (let t = -r; t <= r; t++) {
        const ii = i + t < b.i0 ? b.i0 : i + t > b.i1 ? b.i1 : i + t;
        s += taps[t + r]! * a[row + ii]!;
      }
      tmp[row + i] = s;
    }
  }
  for (let j = b.j0; j <= b.j1; j++) {
    for (let i = b.i0; i <= b.i1; i++) {
      let s = 0;
      for (let t = -r; t <= r; t++) {
        const jj = j + t < b.j0 ? b.j0 : j + t > b.j1 ? b.j1 : j + t;
        s += taps[t + r]! * tmp[jj * nx + i]!;
      }
      a[j * nx + i] = s;
    }
  }
}

/** The slice smoothed by a Gaussian of σ pixels, within the box. */
function smoothSlice(slice: Int16Array, out: Float32Array, tmp: Float32Array, nx: number, b: Box, sigma: number): void {
  for (let j = b.j0; j <= b.j1; j++) for (let p = j * nx + b.i0; p <= j * nx + b.i1; p++) out[p] = slice[p]!;
  gaussianBox(out, tmp, nx, b, sigma);
}

/**
 * The local parenchyma HU: the median of lung voxels (smoothed HU below −550) per block of
 * `blockPx` pixels over the box, blocks with too few such voxels taking the box's median,
 * interpolated bilinearly between block centres.
 */
function parenchymaLevel(smooth: Float32Array, mask: Uint8Array, nx: number, b: Box, blockPx: number): (i: number, j: number) => number {
  const size = Math.max(4, Math.round(blockPx));
  const bw = Math.ceil((b.i1 - b.i0 + 1) / size);
  const bh = Math.ceil((b.j1 - b.j0 + 1) / size);
  const levels = new Float32Array(bw * bh).fill(NaN);
  const all: number[] = [];
  const values: number[] = [];
  for (let cj = 0; cj < bh; cj++) {
    for (let ci = 0; ci < bw; ci++) {
      values.length = 0;
      const i0 = b.i0 + ci * size;
      const j0 = b.j0 + cj * size;
      for (let j = j0; j < Math.min(j0 + size, b.j1 + 1); j++) {
        for (let i = i0; i < Math.min(i0 + size, b.i1 + 1); i++) {
          const p = j * nx + i;
          const h = smooth[p]!;
          if (mask[p] === 1 && h < PARENCHYMA_MAX_HU) values.push(h);
        }
      }
      if (values.length >= (size * size) / 5) {
        values.sort((x, y) => x - y);
        levels[cj * bw + ci] = values[values.length >> 1]!;
        all.push(levels[cj * bw + ci]!);
      }
    }
  }
  all.sort((x, y) => x - y);
  const fallback = all.length ? all[all.length >> 1]! : P_REF;
  for (let c = 0; c < levels.length; c++) if (Number.isNaN(levels[c]!)) levels[c] = fallback;
  return (i, j) => {
    const u = Math.min(bw - 1, Math.max(0, (i - b.i0 + 0.5) / size - 0.5));
    const v = Math.min(bh - 1, Math.max(0, (j - b.j0 + 0.5) / size - 0.5));
    const u0 = Math.floor(u);
    const v0 = Math.floor(v);
    const u1 = Math.min(bw - 1, u0 + 1);
    const v1 = Math.min(bh - 1, v0 + 1);
    const fu = u - u0;
    const fv = v - v0;
    const top = levels[v0 * bw + u0]! * (1 - fu) + levels[v0 * bw + u1]! * fu;
    const bottom = levels[v1 * bw + u0]! * (1 - fu) + levels[v1 * bw + u1]! * fu;
    return top * (1 - fv) + bottom * fv;
  };
}
