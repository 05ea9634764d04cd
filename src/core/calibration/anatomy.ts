/**
 * The few anatomical measures the spacing and contiguity rules read from approximate HU, per
 * slice on the analysis grid: the body (largest region above −500 HU, holes filled), the lungs
 * (air below −500 HU inside it) and the reconstruction circle (padding at the image's corners).
 */
import { components, filledComponent, largest, samplePlane } from './plane.js';

/** Slices of approximate HU (x fastest), all of one size. */
export interface HuSlices {
  width: number;
  height: number;
  count: number;
  slice(k: number): Int16Array;
}

export interface SliceAnatomy {
  /** Pixels of the full image per grid pixel. */
  stride: number;
  /** Body: lateral extent in full-image pixels, whether it reaches the left or right edge, area share of the image. */
  bodyWidthPx: number;
  bodyAtSides: boolean;
  bodyShare: number;
  /** Lungs: lateral extent (outer edge to outer edge) in full-image pixels, area in full-image pixels. */
  lungWidthPx: number;
  lungAreaPx: number;
  /** Diameter (full-image pixels) of the field of view where padding fills the corners; 0 when there is none. */
  circlePx: number;
}

const TISSUE_HU = -500;

export function sliceAnatomy(hu: Int16Array, width: number, height: number): SliceAnatomy {
  const p = samplePlane(hu, width, height);
  const { data, stride } = p;
  const w = p.width;
  const h = p.height;
  const n = data.length;
  const none: SliceAnatomy = { stride, bodyWidthPx: 0, bodyAtSides: false, bodyShare: 0, lungWidthPx: 0, lungAreaPx: 0, circlePx: circleDiameter(data, w, h) * stride };
  const tissue = new Uint8Array(n);
  for (let i = 0; i < n; i++) tissue[i] = data[i]! > TISSUE_HU ? 1 : 0;
  const c = components(tissue, w, h);
  const body = largest(c);
  if (body < 0 || c.area[body]! < 0.03 * n) return none;
  const [x0, y0, x1, y1] = c.box[body]!;
  // An image cropped to the chest: the body reaches three sides or more, and lungs cut by the
  // crop open onto the border, so every air region counts as lung.
  const cropped = [x0 === 0, y0 === 0, x1 === w - 1, y1 === h - 1].filter(Boolean).length >= 3;
  const inside = filledComponent(c, body, w, h);
  const air = new Uint8Array(n);
  for (let i = 0; i < n; i++) air[i] = (cropped || inside[i]) && !tissue[i] ? 1 : 0;
  const a = components(air, w, h);
  let lx0 = w;
  let lx1 = -1;
  let area = 0;
  for (let i = 0; i < a.count; i++) {
    if (a.area[i]! < 0.003 * n) continue;
    // Around a cropped chest, air reaching the border along most of a side is outside air.
    if (cropped && a.touchesBorder[i] && a.area[i]! > 0.3 * n) continue;
    area += a.area[i]!;
    lx0 = Math.min(lx0, a.box[i]![0]);
    lx1 = Math.max(lx1, a.box[i]![2]);
  }
  const lungWidth = lx1 >= lx0 ? lx1 - lx0 + 1 : 0;
  return {
    ...none,
    bodyWidthPx: (x1 - x0 + 1) * stride,
    bodyAtSides: x0 === 0 || x1 === w - 1,
    bodyShare: c.area[body]! / n,
    // Lungs narrower than a quarter of the body are not the lungs' full width (apex, or lungs not found).
    lungWidthPx: lungWidth >= 0.25 * (x1 - x0 + 1) ? lungWidth * stride : 0,
    lungAreaPx: area * stride * stride,
  };
}

/**
 * A reconstruction circle: the four corners hold one value, the lowest of the slice (padding),
 * and the region of that value reaching them leaves a disc. Its diameter in grid pixels, or 0.
 */
function circleDiameter(data: Int16Array, w: number, h: number): number {
  const corners = [data[0]!, data[w - 1]!, data[(h - 1) * w]!, data[h * w - 1]!];
  const v = corners[0]!;
  if (!corners.every((c) => c === v)) return 0;
  let min = v;
  for (let i = 0; i < data.length; i++) if (data[i]! < min) min = data[i]!;
  if (v !== min) return 0;
  const pad = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) pad[i] = data[i] === v ? 1 : 0;
  const c = components(pad, w, h);
  const corner = c.label[0]!;
  if (corner < 0) return 0;
  // The disc: everything not in the corner padding; its horizontal extent through the middle row.
  let x0 = w;
  let x1 = -1;
  let y0 = h;
  let y1 = -1;
  let area = 0;
  for (let i = 0; i < data.length; i++) {
    const l = c.label[i]!;
    if (l >= 0 && c.touchesBorder[l]) continue;
    const x = i % w;
    const y = (i - x) / w;
    area++;
    if (x < x0) x0 = x;
    if (x > x1) x1 = x;
    if (y < y0) y0 = y;
    if (y > y1) y1 = y;
  }
  const dx = x1 - x0 + 1;
  const dy = y1 - y0 + 1;
  if (dx <= 0 || Math.abs(dx - dy) > 0.03 * dx) return 0;
  const round = area / ((Math.PI * dx * dy) / 4);
  return round > 0.95 && round < 1.05 ? dx : 0;
}
