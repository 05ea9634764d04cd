/**
 * Straight tubes (cylinders with slightly extended ends) rasterised into a slab with exact
 * partial volume along z: a pixel's weight is the fraction of the slab thickness over which its
 * vertical line lies inside the tube. Vessels, airways, ribs and clavicles are chains of tubes.
 */

export interface TubeInit {
  from: readonly [number, number, number];
  to: readonly [number, number, number];
  radiusMm: number;
  hu: number;
}

/** What a slab of the output grid holds while tubes are painted into it. */
export interface SlabTarget {
  size: number;
  spacingMm: number;
  x0: number;
  y0: number;
  hu: Float32Array;
  /** Lung fraction per pixel; tubes that are not lung tissue (mediastinal vessels) lower it. */
  lung: Float32Array;
  /** Lesion fraction per pixel, lowered with the lung fraction. */
  lesion: Float32Array;
}

const BIN_MM = 8;

/**
 * A layer of tubes painted in insertion order. `clearsLung`: the tubes are outside the lung (great
 * vessels, trachea, main bronchi) and take their volume out of the lung and lesion fractions.
 */
export class TubeLayer {
  private readonly data: number[] = [];
  private count = 0;
  private bins: Int32Array[] = [];
  private zMin = 0;
  private stamp = new Int32Array(0);
  private slabId = 0;

  constructor(readonly clearsLung = false) {}

  get size(): number {
    return this.count;
  }

  add(t: TubeInit): void {
    const [x0, y0, z0] = t.from;
    const [x1, y1, z1] = t.to;
    const len = Math.hypot(x1 - x0, y1 - y0, z1 - z0);
    if (!(len > 1e-6) || !(t.radiusMm > 0)) return;
    this.data.push(x0, y0, z0, (x1 - x0) / len, (y1 - y0) / len, (z1 - z0) / len, len, t.radiusMm, t.hu);
    this.count++;
  }

  /** Adds a polyline of points with one radius and HU. */
  addChain(points: readonly (readonly [number, number, number])[], radiusMm: number, hu: number): void {
    for (let i = 1; i < points.length; i++) this.add({ from: points[i - 1]!, to: points[i]!, radiusMm, hu });
  }

  /** Indexes the tubes by z; call once after the last `add`. */
  seal(): void {
    const d = this.data;
    let lo = Infinity;
    let hi = -Infinity;
    for (let k = 0; k < this.count; k++) {
      const o = k * STRIDE;
      const za = d[o + 2]!;
      const zb = za + d[o + 5]! * d[o + 6]!;
      const r = d[o + 7]!;
      lo = Math.min(lo, za - r, zb - r);
      hi = Math.max(hi, za + r, zb + r);
    }
    if (this.count === 0) return;
    this.zMin = lo;
    const nBins = Math.max(1, Math.ceil((hi - lo) / BIN_MM) + 1);
    const lists: number[][] = Array.from({ length: nBins }, () => []);
    for (let k = 0; k < this.count; k++) {
      const o = k * STRIDE;
      const za = d[o + 2]!;
      const zb = za + d[o + 5]! * d[o + 6]!;
      const r = d[o + 7]!;
      const b0 = Math.floor((Math.min(za, zb) - r - lo) / BIN_MM);
      const b1 = Math.floor((Math.max(za, zb) + r - lo) / BIN_MM);
      for (let b = Math.max(0, b0); b <= Math.min(nBins - 1, b1); b++) lists[b]!.push(k);
    }
    this.bins = lists.map((l) => Int32Array.from(l));
    this.stamp = new Int32Array(this.count).fill(-1);
  }

  /** Paints the tubes that cross the slab [zCentre − T/2, zCentre + T/2]. */
  paint(target: SlabTarget, zCentre: number, thicknessMm: number): void {
    if (this.count === 0) return;
    const slab = ++this.slabId;
    const half = thicknessMm / 2;
    const b0 = Math.max(0, Math.floor((zCentre - half - this.zMin) / BIN_MM));
    const b1 = Math.min(this.bins.length - 1, Math.floor((zCentre + half - this.zMin) / BIN_MM));
    for (let b = b0; b <= b1; b++) {
      const list = this.bins[b]!;
      for (let n = 0; n < list.length; n++) {
        const k = list[n]!;
        if (this.stamp[k] === slab) continue;
        this.stamp[k] = slab;
        this.paintOne(target, k, zCentre, half);
      }
    }
  }

  private paintOne(target: SlabTarget, k: number, zc: number, half: number): void {
    const d = this.data;
    const o = k * STRIDE;
    const px = d[o]!;
    const py = d[o + 1]!;
    const pz = d[o + 2]!;
    const ux = d[o + 3]!;
    const uy = d[o + 4]!;
    const uz = d[o + 5]!;
    const len = d[o + 6]!;
    const r = d[o + 7]!;
    const hu = d[o + 8]!;
    const s = target.spacingMm;
    // Thin tubes are drawn at least ~0.6 px wide with their contrast scaled to keep their mass.
    const rr = Math.max(r, 0.6 * s);
    const gain = (r * r) / (rr * rr);
    // Ends extended by half a radius so chained segments join without notches at bends.
    const tMin = -0.5 * rr;
    const tMax = len + 0.5 * rr;
    // Part of the axis whose z lies within the slab widened by the radius: its xy bounding box.
    let ta = tMin;
    let tb = tMax;
    if (Math.abs(uz) > 1e-9) {
      let t0 = (zc - half - rr - pz) / uz;
      let t1 = (zc + half + rr - pz) / uz;
      if (t0 > t1) [t0, t1] = [t1, t0];
      ta = Math.max(ta, t0);
      tb = Math.min(tb, t1);
      if (ta > tb) return;
    } else if (Math.abs(pz - zc) > half + rr) return;
    const xa = px + ux * ta;
    const xb = px + ux * tb;
    const ya = py + uy * ta;
    const yb = py + uy * tb;
    const n = target.size;
    const i0 = Math.max(0, Math.ceil((Math.min(xa, xb) - rr - target.x0) / s));
    const i1 = Math.min(n - 1, Math.floor((Math.max(xa, xb) + rr - target.x0) / s));
    const j0 = Math.max(0, Math.ceil((Math.min(ya, yb) - rr - target.y0) / s));
    const j1 = Math.min(n - 1, Math.floor((Math.max(ya, yb) + rr - target.y0) / s));
    if (i1 < i0 || j1 < j0) return;
    const A = 1 - uz * uz;
    const dz0 = zc - pz;
    const r2 = rr * rr;
    const invT = 1 / (2 * half);
    const { hu: H, lung, lesion } = target;
    const clears = this.clearsLung;
    for (let j = j0; j <= j1; j++) {
      const wy = target.y0 + j * s - py;
      const row = j * n;
      for (let i = i0; i <= i1; i++) {
        const wx = target.x0 + i * s - px;
        const k0 = wx * ux + wy * uy + dz0 * uz;
        // dist²(Z) = A Z² + B Z + C over Z = z − zc; inside where ≤ 0.
        const B = 2 * (dz0 - k0 * uz);
        const C = wx * wx + wy * wy + dz0 * dz0 - k0 * k0 - r2;
        let lo: number;
        let hi: number;
        if (A < 1e-9) {
          if (C > 0) continue;
          lo = -half;
          hi = half;
        } else {
          const disc = B * B - 4 * A * C;
          if (disc <= 0) continue;
          const sq = Math.sqrt(disc);
          lo = (-B - sq) / (2 * A);
          hi = (-B + sq) / (2 * A);
          if (lo < -half) lo = -half;
          if (hi > half) hi = half;
          if (lo >= hi) continue;
        }
        // Along the axis t(Z) = k0 + Z·uz must stay within [tMin, tMax].
        if (Math.abs(uz) > 1e-9) {
          let za = (tMin - k0) / uz;
          let zb = (tMax - k0) / uz;
          if (za > zb) { const t = za; za = zb; zb = t; }
          if (za > lo) lo = za;
          if (zb < hi) hi = zb;
          if (lo >= hi) continue;
        } else if (k0 < tMin || k0 > tMax) continue;
        const f = (hi - lo) * invT;
        const p = row + i;
        H[p] = H[p]! + (hu - H[p]!) * f * gain;
        if (clears) {
          lung[p] = lung[p]! * (1 - f);
          lesion[p] = lesion[p]! * (1 - f);
        }
      }
    }
  }
}

const STRIDE = 9;
