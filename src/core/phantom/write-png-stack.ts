/**
 * A volume written as a folder of 8-bit PNG slices through a display window — the way most public
 * COVID CT collections were exported — so that the image-stack reader is tested on a rendering
 * whose truth is known. The files keep nothing else: no pixel size (no pHYs chunk), no position,
 * no window, so the reader has to recognise the rendering and estimate the spacing honestly.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { DISPLAY_WINDOWS } from '../enhance/tone-map.js';
import { encodeGrayPng, windowImage } from '../render/gray-png.js';
import type { Volume } from '../volume/volume.js';

/** Display windows (centre, width in HU) a stack can be rendered with. */
export const PNG_WINDOWS = DISPLAY_WINDOWS;
export type PngWindow = keyof typeof PNG_WINDOWS;

export interface PngStackOptions {
  window: PngWindow | { centreHu: number; widthHu: number };
  /** MONOCHROME1-like: air white, tissue black. */
  invert?: boolean;
}

/** The file name of slice k (0-based): `slice-0001.png` …, in slice-index order (inferior first). */
export const pngSliceName = (k: number): string => `slice-${String(k + 1).padStart(4, '0')}.png`;

/** One slice of `volume` as the 8-bit PNG the stack holds. */
export function renderSlicePng(volume: Volume, k: number, options: PngStackOptions): Buffer {
  const { centreHu, widthHu } = typeof options.window === 'string' ? PNG_WINDOWS[options.window] : options.window;
  const [nx, ny] = volume.dimensions;
  const image = windowImage(volume.slice(k), nx, ny, centreHu, widthHu);
  if (options.invert) for (let i = 0; i < image.values.length; i++) image.values[i] = 1 - image.values[i]!;
  return encodeGrayPng(image);
}

/** Writes every slice of `volume` into `folder` (created); returns the files in slice order. */
export async function writePngStack(volume: Volume, folder: string, options: PngStackOptions): Promise<string[]> {
  await fs.mkdir(folder, { recursive: true });
  const files: string[] = [];
  for (let k = 0; k < volume.dimensions[2]; k++) {
    const file = path.join(folder, pngSliceName(k));
    await fs.writeFile(file, renderSlicePng(volume, k, options));
    files.push(file);
  }
  return files;
}
