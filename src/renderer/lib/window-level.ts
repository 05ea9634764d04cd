/**
 * Window/level maths of the slice viewer: HU → grey through a window (centre, width), the
 * lookup tables that make a 512² slice render in a couple of milliseconds, and the drag gesture
 * (right = wider, down = higher level — the convention of most PACS viewers).
 */
import { WINDOW_PRESETS, type WindowPreset } from '../../shared/api.js';

export interface HuWindow {
  centre: number;
  width: number;
}

export const MIN_WIDTH = 1;
export const MAX_WIDTH = 8000;
/** HU per pixel of drag. */
export const DRAG_HU_PER_PX = 4;

export function presetWindow(name: WindowPreset): HuWindow {
  return { ...WINDOW_PRESETS[name] };
}

/** Grey level 0…255 of one HU value: linear inside [centre − width/2, centre + width/2], clamped. */
export function greyOf(hu: number, w: HuWindow): number {
  const v = ((hu - (w.centre - w.width / 2)) / w.width) * 255;
  return v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
}

/** The window after a drag of (dx, dy) pixels from `start`. */
export function dragWindow(start: HuWindow, dx: number, dy: number, huPerPx = DRAG_HU_PER_PX): HuWindow {
  const width = Math.min(MAX_WIDTH, Math.max(MIN_WIDTH, start.width + dx * huPerPx));
  return { centre: Math.round(start.centre + dy * huPerPx), width: Math.round(width) };
}

/** Grey level of every Int16 value (index = HU + 32768) for a window. */
export function greyLut(w: HuWindow, out: Uint8Array = new Uint8Array(65536)): Uint8Array {
  for (let i = 0; i < 65536; i++) out[i] = greyOf(i - 32768, w);
  return out;
}

export interface Overlay {
  /** 0xRRGGBB */
  rgb: number;
  /** 0…1 */
  opacity: number;
}

/** RGBA pixels (as little-endian Uint32, the layout of ImageData) of each grey level, with and without an overlay colour. */
export function paletteOf(overlay: Overlay | null): { plain: Uint32Array; overlaid: Uint32Array } {
  const plain = new Uint32Array(256), overlaid = new Uint32Array(256);
  const a = overlay ? Math.min(1, Math.max(0, overlay.opacity)) : 0;
  const r = overlay ? (overlay.rgb >> 16) & 255 : 0, g = overlay ? (overlay.rgb >> 8) & 255 : 0, b = overlay ? overlay.rgb & 255 : 0;
  for (let v = 0; v < 256; v++) {
    plain[v] = (0xff000000 | (v << 16) | (v << 8) | v) >>> 0;
    const rr = Math.round(v * (1 - a) + r * a), gg = Math.round(v * (1 - a) + g * a), bb = Math.round(v * (1 - a) + b * a);
    overlaid[v] = (0xff000000 | (bb << 16) | (gg << 8) | rr) >>> 0;
  }
  return { plain, overlaid };
}

/** One slice into RGBA: grey through `lut`, and the overlay colour where `mask` is set. */
export function renderSlice(hu: Int16Array, mask: Uint8Array | null, lut: Uint8Array, palette: { plain: Uint32Array; overlaid: Uint32Array }, out: Uint32Array): void {
  const n = hu.length, { plain, overlaid } = palette;
  if (mask) for (let i = 0; i < n; i++) out[i] = (mask[i] ? overlaid : plain)[lut[hu[i]! + 32768]!]!;
  else for (let i = 0; i < n; i++) out[i] = plain[lut[hu[i]! + 32768]!]!;
}

/** A grey image in [0, 1] (an enhancement) into RGBA. */
export function renderUnit(values: Float32Array, out: Uint32Array): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!, g = v <= 0 ? 0 : v >= 1 ? 255 : (v * 255 + 0.5) | 0;
    out[i] = (0xff000000 | (g << 16) | (g << 8) | g) >>> 0;
  }
}
