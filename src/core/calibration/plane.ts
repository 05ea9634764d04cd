/**
 * One slice on the small grid the calibration rules look at (every s-th pixel, at most 256 per
 * side): the rules measure shapes and histograms, not detail, and a 512² slice costs 16× less.
 */

export interface Plane<T extends ArrayLike<number> = ArrayLike<number>> {
  width: number;
  height: number;
  data: T;
  /** Pixels of the full image per pixel of this grid, along each side. */
  stride: number;
}

/** Every `stride`-th pixel of a width × height image, with the stride chosen so that no side exceeds `maxSide`. */
export function samplePlane<T extends Uint8Array | Uint16Array | Int16Array>(data: T, width: number, height: number, maxSide = 256): Plane<T> {
  const stride = Math.max(1, Math.ceil(Math.max(width, height) / maxSide));
  if (stride === 1) return { width, height, data, stride };
  const w = Math.ceil(width / stride);
  const h = Math.ceil(height / stride);
  const out = new (data.constructor as new (n: number) => T)(w * h);
  for (let y = 0; y < h; y++) {
    const row = y * stride * width;
    for (let x = 0; x < w; x++) out[y * w + x] = data[row + x * stride]!;
  }
  return { width: w, height: h, data: out, stride };
}

export interface Components {
  /** Component number per pixel, −1 outside the mask. */
  label: Int32Array;
  count: number;
  area: number[];
  touchesBorder: boolean[];
  /** Bounding box per component: [xmin, ymin, xmax, ymax]. */
  box: [number, number, number, number][];
}

/** 4-connected components of the pixels where mask is 1. */
export function components(mask: Uint8Array, width: number, height: number): Components {
  const label = new Int32Array(mask.length).fill(-1);
  const area: number[] = [];
  const touchesBorder: boolean[] = [];
  const box: [number, number, number, number][] = [];
  const stack = new Int32Array(mask.length);
  for (let start = 0; start < mask.length; start++) {
    if (!mask[start] || label[start]! >= 0) continue;
    const c = area.length;
    let n = 0;
    let touches = false;
    const b: [number, number, number, number] = [width, height, -1, -1];
    let top = 0;
    stack[top++] = start;
    label[start] = c;
    while (top > 0) {
      const p = stack[--top]!;
      n++;
      const x = p % width;
      const y = (p - x) / width;
      if (x === 0 || y === 0 || x === width - 1 || y === height - 1) touches = true;
      if (x < b[0]) b[0] = x;
      if (y < b[1]) b[1] = y;
      if (x > b[2]) b[2] = x;
      if (y > b[3]) b[3] = y;
      const visit = (q: number) => {
        if (mask[q] && label[q]! < 0) {
          label[q] = c;
          stack[top++] = q;
        }
      };
      if (x > 0) visit(p - 1);
      if (x < width - 1) visit(p + 1);
      if (y > 0) visit(p - width);
      if (y < height - 1) visit(p + width);
    }
    area.push(n);
    touchesBorder.push(touches);
    box.push(b);
  }
  return { label, count: area.length, area, touchesBorder, box };
}

/** The component with the largest area, or −1 when there is none. */
export function largest(c: Components, accept: (i: number) => boolean = () => true): number {
  let best = -1;
  for (let i = 0; i < c.count; i++) if (accept(i) && (best < 0 || c.area[i]! > c.area[best]!)) best = i;
  return best;
}

/** The pixels of component `which` with its holes filled (every pixel not reachable from the border outside it). */
export function filledComponent(c: Components, which: number, width: number, height: number): Uint8Array {
  const outside = new Uint8Array(c.label.length);
  for (let p = 0; p < outside.length; p++) outside[p] = c.label[p] === which ? 0 : 1;
  const reach = components(outside, width, height);
  const filled = new Uint8Array(c.label.length);
  for (let p = 0; p < filled.length; p++) {
    const r = reach.label[p]!;
    filled[p] = c.label[p] === which || (r >= 0 && !reach.touchesBorder[r]) ? 1 : 0;
  }
  return filled;
}

/** Pixels on the outer ring of the grid, `thickness` pixels deep. */
export function isBorder(p: number, width: number, height: number, thickness = 1): boolean {
  const x = p % width;
  const y = (p - x) / width;
  return x < thickness || y < thickness || x >= width - thickness || y >= height - thickness;
}
