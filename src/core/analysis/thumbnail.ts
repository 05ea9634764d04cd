import { encodeGrayPng, windowImage } from '../render/gray-png.js';
import type { Volume } from '../volume/volume.js';

/** The lung window (centre −600, width 1500) a reader first looks at a chest CT with. */
const LUNG_WINDOW = { centre: -600, width: 1500 } as const;

/**
 * A small PNG of slice k in the lung window, box-averaged to at most `maxSide` pixels along its
 * longer physical side with the pixel aspect ratio kept — for the report's key-slice thumbnails.
 */
export function sliceThumbnail(volume: Volume, k: number, maxSide = 160): Buffer {
  const [columns, rows] = volume.dimensions;
  const image = windowImage(volume.slice(k), columns, rows, LUNG_WINDOW.centre, LUNG_WINDOW.width);
  const widthMm = columns * volume.spacingMm[0];
  const heightMm = rows * volume.spacingMm[1];
  const scale = maxSide / Math.max(widthMm, heightMm);
  const w = Math.max(1, Math.min(columns, Math.round(widthMm * scale)));
  const h = Math.max(1, Math.min(rows, Math.round(heightMm * scale)));
  const values = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    const y0 = Math.floor((y * rows) / h), y1 = Math.max(y0 + 1, Math.floor(((y + 1) * rows) / h));
    for (let x = 0; x < w; x++) {
      const x0 = Math.floor((x * columns) / w), x1 = Math.max(x0 + 1, Math.floor(((x + 1) * columns) / w));
      let s = 0;
      for (let yy = y0; yy < y1; yy++) for (let xx = x0; xx < x1; xx++) s += image.values[yy * columns + xx]!;
      values[y * w + x] = s / ((y1 - y0) * (x1 - x0));
    }
  }
  return encodeGrayPng({ width: w, height: h, values });
}
