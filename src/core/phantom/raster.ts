/**
 * A slice being painted: HU and a tissue code per pixel, in patient millimetres (LPS x to the
 * patient's left along columns, y posterior along rows). Shapes are filled a row span at a time,
 * so a fill costs its area, not the slice's.
 */

/** Tissue codes: only the lungs matter to the truth; the rest tells painters what lies beneath. */
export const Tissue = {
  outside: 0,
  soft: 1,
  bone: 2,
  lungRight: 3,
  lungLeft: 4,
  fluid: 5,
} as const;
export type TissueCode = (typeof Tissue)[keyof typeof Tissue];

export const isLung = (t: number): boolean => t === Tissue.lungRight || t === Tissue.lungLeft;

/** A 2-D region that can say, for a row at height y (mm), the one x interval it covers. */
export interface Shape {
  readonly yMin: number;
  readonly yMax: number;
  /** Writes [xStart, xEnd] into `out` and returns true, or returns false if the row misses. */
  span(y: number, out: Float64Array): boolean;
}

export class SliceCanvas {
  readonly hu: Float32Array;
  readonly tissue: Uint8Array;
  private readonly a = new Float64Array(2);
  private readonly b = new Float64Array(2);

  /**
   * @param size pixels per side
   * @param spacingMm pixel spacing
   * @param x0 x (mm) of the centre of column 0
   * @param y0 y (mm) of the centre of row 0
   */
  constructor(readonly size: number, readonly spacingMm: number, readonly x0: number, readonly y0: number) {
    this.hu = new Float32Array(size * size);
    this.tissue = new Uint8Array(size * size);
  }

  clear(hu: number, tissue: TissueCode): void {
    this.hu.fill(hu);
    this.tissue.fill(tissue);
  }

  /** Rows whose centres lie within [yMin, yMax]. */
  rows(yMin: number, yMax: number): [number, number] {
    const s = this.spacingMm;
    return [Math.max(0, Math.ceil((yMin - this.y0) / s)), Math.min(this.size - 1, Math.floor((yMax - this.y0) / s))];
  }

  /** Columns whose centres lie within [xMin, xMax]. */
  columns(xMin: number, xMax: number): [number, number] {
    const s = this.spacingMm;
    return [Math.max(0, Math.ceil((xMin - this.x0) / s)), Math.min(this.size - 1, Math.floor((xMax - this.x0) / s))];
  }

  /** Fills `shape` (optionally only where it also lies inside `clip`) with a HU value and tissue. */
  fill(shape: Shape, hu: number, tissue: TissueCode, clip?: Shape): void {
    const [j0, j1] = this.rows(Math.max(shape.yMin, clip ? clip.yMin : -Infinity), Math.min(shape.yMax, clip ? clip.yMax : Infinity));
    const { a, b, size } = this;
    for (let j = j0; j <= j1; j++) {
      const y = this.y0 + j * this.spacingMm;
      if (!shape.span(y, a)) continue;
      let xa = a[0]!;
      let xb = a[1]!;
      if (clip) {
        if (!clip.span(y, b)) continue;
        xa = Math.max(xa, b[0]!);
        xb = Math.min(xb, b[1]!);
      }
      const [i0, i1] = this.columns(xa, xb);
      if (i1 < i0) continue;
      this.hu.fill(hu, j * size + i0, j * size + i1 + 1);
      this.tissue.fill(tissue, j * size + i0, j * size + i1 + 1);
    }
  }

  /** Like `fill`, but only over pixels whose tissue is `only`. */
  fillOver(shape: Shape, hu: number, tissue: TissueCode, only: (t: number) => boolean): void {
    const [j0, j1] = this.rows(shape.yMin, shape.yMax);
    const { a, size } = this;
    for (let j = j0; j <= j1; j++) {
      if (!shape.span(this.y0 + j * this.spacingMm, a)) continue;
      const [i0, i1] = this.columns(a[0]!, a[1]!);
      for (let p = j * size + i0; p <= j * size + i1; p++) {
        if (only(this.tissue[p]!)) {
          this.hu[p] = hu;
          this.tissue[p] = tissue;
        }
      }
    }
  }
}

/**
 * An axis-aligned superellipse |dx/ax|^p + |dy/ay|^p ≤ 1 with different depths toward anterior (−y)
 * and posterior (+y), and a half-width that can change linearly from front to back (a trapezoid
 * with rounded corners when `axFront` ≠ `axBack`).
 */
export class Superellipse implements Shape {
  readonly yMin: number;
  readonly yMax: number;
  /** Exponent of the posterior half (flatter when larger); the anterior half uses `p`. */
  readonly pPost: number;

  constructor(
    readonly cx: number, readonly cy: number,
    readonly axFront: number, readonly axBack: number,
    readonly ayAnt: number, readonly ayPost: number,
    readonly p = 2,
    pPost?: number,
  ) {
    this.yMin = cy - ayAnt;
    this.yMax = cy + ayPost;
    this.pPost = pPost ?? p;
  }

  static ellipse(cx: number, cy: number, ax: number, ay: number): Superellipse {
    return new Superellipse(cx, cy, ax, ax, ay, ay, 2);
  }

  /** The half-width at row y, or 0 outside. */
  halfWidth(y: number): number {
    const dy = y - this.cy;
    const t = dy < 0 ? -dy / this.ayAnt : dy / this.ayPost;
    if (!(t < 1)) return 0;
    const p = dy < 0 ? this.p : this.pPost;
    const f = p === 2 ? Math.sqrt(1 - t * t) : Math.pow(1 - Math.pow(t, p), 1 / p);
    const w = this.axFront + ((this.axBack - this.axFront) * (y - this.yMin)) / (this.yMax - this.yMin);
    return w * f;
  }

  span(y: number, out: Float64Array): boolean {
    const hw = this.halfWidth(y);
    if (!(hw > 0)) return false;
    out[0] = this.cx - hw;
    out[1] = this.cx + hw;
    return true;
  }

  /** Inset by `d` mm on every side (approximately, for a layer beneath the surface). */
  inset(d: number): Superellipse {
    return new Superellipse(this.cx, this.cy, Math.max(0.1, this.axFront - d), Math.max(0.1, this.axBack - d),
      Math.max(0.1, this.ayAnt - d), Math.max(0.1, this.ayPost - d), this.p, this.pPost);
  }

  /** The distance from the centre to the boundary along the unit direction (dx, dy). */
  radiusAlong(dx: number, dy: number): number {
    // Bisection on the monotone inside test (the trapezoid has no closed form).
    let lo = 0;
    let hi = Math.max(this.axFront, this.axBack, this.ayAnt, this.ayPost) * 1.5;
    for (let k = 0; k < 30; k++) {
      const mid = (lo + hi) / 2;
      const y = this.cy + dy * mid;
      if (Math.abs(mid * dx) <= this.halfWidth(y) && y > this.yMin && y < this.yMax) lo = mid;
      else hi = mid;
    }
    return lo;
  }
}

/** An ellipse with semi-axes a (along angle θ from +x toward +y) and b. */
export class RotatedEllipse implements Shape {
  readonly yMin: number;
  readonly yMax: number;
  private readonly A: number;
  private readonly Bc: number;
  private readonly Cc: number;

  constructor(readonly cx: number, readonly cy: number, readonly a: number, readonly b: number, readonly theta: number) {
    const c = Math.cos(theta);
    const s = Math.sin(theta);
    const halfHeight = Math.sqrt(a * a * s * s + b * b * c * c);
    this.yMin = cy - halfHeight;
    this.yMax = cy + halfHeight;
    const ia = 1 / (a * a);
    const ib = 1 / (b * b);
    this.A = c * c * ia + s * s * ib;
    this.Bc = 2 * c * s * (ia - ib);
    this.Cc = s * s * ia + c * c * ib;
  }

  span(y: number, out: Float64Array): boolean {
    const dy = y - this.cy;
    const B = this.Bc * dy;
    const C = this.Cc * dy * dy - 1;
    const disc = B * B - 4 * this.A * C;
    if (!(disc > 0)) return false;
    const sq = Math.sqrt(disc);
    out[0] = this.cx + (-B - sq) / (2 * this.A);
    out[1] = this.cx + (-B + sq) / (2 * this.A);
    return true;
  }

  scaled(k: number): RotatedEllipse {
    return new RotatedEllipse(this.cx, this.cy, this.a * k, this.b * k, this.theta);
  }

  grown(d: number): RotatedEllipse {
    return new RotatedEllipse(this.cx, this.cy, Math.max(0.1, this.a + d), Math.max(0.1, this.b + d), this.theta);
  }
}

/** A 2-D capsule: the points within `r` of the segment (x0, y0)–(x1, y1). */
export class Capsule2D implements Shape {
  readonly yMin: number;
  readonly yMax: number;

  constructor(readonly x0: number, readonly y0: number, readonly x1: number, readonly y1: number, readonly r: number) {
    this.yMin = Math.min(y0, y1) - r;
    this.yMax = Math.max(y0, y1) + r;
  }

  span(y: number, out: Float64Array): boolean {
    // The capsule is convex: intersect the row with the rectangle body and the two end discs.
    let lo = Infinity;
    let hi = -Infinity;
    const r = this.r;
    for (const [cx, cy] of [[this.x0, this.y0], [this.x1, this.y1]] as const) {
      const d = r * r - (y - cy) * (y - cy);
      if (d > 0) {
        const h = Math.sqrt(d);
        lo = Math.min(lo, cx - h);
        hi = Math.max(hi, cx + h);
      }
    }
    const dx = this.x1 - this.x0;
    const dy = this.y1 - this.y0;
    const len = Math.hypot(dx, dy);
    if (len > 1e-9) {
      // Rectangle: |n·(p − p0)| ≤ r and 0 ≤ u·(p − p0) ≤ len, with u along the axis, n normal.
      const ux = dx / len;
      const uy = dy / len;
      const nx = -uy;
      const ny = ux;
      let tLo = -Infinity;
      let tHi = Infinity;
      const py = y - this.y0;
      // Constraint a·x' + c ∈ [lo, hi] for x' = x − x0.
      const clampTo = (a: number, c: number, min: number, max: number) => {
        if (Math.abs(a) < 1e-12) {
          if (c < min || c > max) { tLo = Infinity; tHi = -Infinity; }
          return;
        }
        let u0 = (min - c) / a;
        let u1 = (max - c) / a;
        if (u0 > u1) [u0, u1] = [u1, u0];
        tLo = Math.max(tLo, u0);
        tHi = Math.min(tHi, u1);
      };
      clampTo(nx, ny * py, -r, r);
      clampTo(ux, uy * py, 0, len);
      if (tLo <= tHi) {
        lo = Math.min(lo, this.x0 + tLo);
        hi = Math.max(hi, this.x0 + tHi);
      }
    }
    if (!(hi > lo)) return false;
    out[0] = lo;
    out[1] = hi;
    return true;
  }
}

/** An axis-aligned rectangle (for clipping a fill to a region). */
export class Rect implements Shape {
  constructor(readonly xMin: number, readonly xMax: number, readonly yMin: number, readonly yMax: number) {}
  span(_y: number, out: Float64Array): boolean {
    out[0] = this.xMin;
    out[1] = this.xMax;
    return true;
  }
}
