/**
 * Test pictures for the calibration rules and the image readers: a phantom chest (known HU and spacing) rendered into
 * grey levels through a display window, and pictures that are not CT renderings at all — each
 * generated, none checked in.
 */
import type { GreyStack } from '../calibration/index.js';
import { windowHu } from '../enhance/tone-map.js';
import { generateCase, planCases, type PhantomCase } from '../phantom/index.js';
import type { Volume } from '../volume/volume.js';

/** One 256² phantom chest of 60 slices of 5 mm (apex to upper abdomen), generated once per test file. */
export function testPhantom(seed = 'calibration-tests'): PhantomCase {
  const [spec] = planCases({ count: 1, seed, size: 256, slices: [60, 60] });
  return generateCase(spec!);
}

export const WINDOWS = {
  lung: { centre: -600, width: 1500 },
  mediastinal: { centre: 40, width: 400 },
  bone: { centre: 480, width: 2500 },
} as const;

/** The 8-bit rendering of slice k through a window (centre, width), inverted when asked. */
export function renderSlice(volume: Volume, k: number, window: { centre: number; width: number }, invert = false): Uint8Array {
  const v = windowHu(volume.slice(k), window.centre, window.width);
  return Uint8Array.from(v, (x) => Math.round((invert ? 1 - x : x) * 255));
}

export function renderStack(volume: Volume, window: { centre: number; width: number }, options: { invert?: boolean; slices?: number[] } = {}): GreyStack {
  const [nx, ny, nz] = volume.dimensions;
  const ks = options.slices ?? Array.from({ length: nz }, (_, k) => k);
  return { width: nx, height: ny, maxValue: 255, slices: ks.map((k) => renderSlice(volume, k, window, options.invert)), colourShare: ks.map(() => 0) };
}

/** A grey stack of given slices (0…maxValue). */
export function stackOf(width: number, height: number, slices: (Uint8Array | Uint16Array)[], maxValue = 255, colourShare = 0): GreyStack {
  return { width, height, maxValue, slices, colourShare: slices.map(() => colourShare) };
}

/** RGB(A) of a "photo": smooth colour gradients and a soft disc, nothing like CT. */
export function photoRgba(width: number, height: number): Uint8Array {
  const rgba = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = (y * width + x) * 4;
      const d = Math.hypot(x - width * 0.6, y - height * 0.4) / width;
      rgba[p] = Math.round(255 * (x / width));
      rgba[p + 1] = Math.round(200 * (1 - y / height) + 40 * Math.sin(x / 9));
      rgba[p + 2] = Math.round(255 * Math.max(0, 1 - 2 * d));
      rgba[p + 3] = 255;
    }
  }
  return rgba;
}

/** A grey bar chart: white background, black axes and text-like ticks, three grey bars. */
export function chartGrey(width: number, height: number): Uint8Array {
  const g = new Uint8Array(width * height).fill(255);
  const set = (x: number, y: number, v: number) => (g[y * width + x] = v);
  for (let y = 10; y < height - 10; y++) set(12, y, 0);
  for (let x = 12; x < width - 10; x++) set(x, height - 11, 0);
  [[30, 0.6, 90], [70, 0.8, 150], [110, 0.4, 200]].forEach(([x0, h, v]) => {
    for (let x = x0!; x < x0! + 25 && x < width; x++) for (let y = Math.round(height - 11 - h! * (height - 30)); y < height - 11; y++) set(x, y, v!);
  });
  return g;
}

/**
 * A chest X-ray-like projection of the phantom: attenuation summed front to back (water = 1 per
 * mm), shown as radiographs are (dense = bright, the open beam black), superior at the top, the
 * slices stretched to the pixel size.
 */
export function projectionOf(c: PhantomCase): { width: number; height: number; grey: Uint8Array } {
  const v = c.volume;
  const [nx, ny, nz] = v.dimensions;
  const [sx, sy, sz] = v.spacingMm;
  const rows = Math.round((nz * sz) / sx);
  const att = new Float64Array(nx * nz);
  let max = 0;
  for (let k = 0; k < nz; k++) {
    for (let x = 0; x < nx; x++) {
      let a = 0;
      for (let y = 0; y < ny; y++) a += Math.max(0, (v.voxels[(k * ny + y) * nx + x]! + 1000) / 1000) * sy;
      att[k * nx + x] = a;
      if (a > max) max = a;
    }
  }
  const grey = new Uint8Array(nx * rows);
  const mu = 1.2 / max;
  for (let r = 0; r < rows; r++) {
    const k = Math.min(nz - 1, Math.floor(((rows - 1 - r) * sx) / sz));
    for (let x = 0; x < nx; x++) grey[r * nx + x] = Math.round((255 * (1 - Math.exp(-mu * att[k * nx + x]!))) / (1 - Math.exp(-1.2)));
  }
  return { width: nx, height: rows, grey };
}
