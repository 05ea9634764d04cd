import { PNG } from 'pngjs';
import { windowHu } from '../enhance/tone-map.js';

/** A grey image with values in [0, 1], row by row. */
export interface GrayImage {
  width: number;
  height: number;
  values: Float32Array;
}

/** HU → [0, 1] through a display window (centre/width, as radiologists state them). */
export function windowImage(hu: Int16Array, width: number, height: number, centre: number, windowWidth: number): GrayImage {
  return { width, height, values: windowHu(hu, centre, windowWidth) };
}

/** Images side by side, top-aligned, separated by `gap` black pixels. */
export function sideBySide(images: GrayImage[], gap = 4): GrayImage {
  const width = images.reduce((w, im) => w + im.width, 0) + gap * Math.max(0, images.length - 1);
  const height = Math.max(...images.map((im) => im.height));
  const values = new Float32Array(width * height);
  let x0 = 0;
  for (const im of images) {
    for (let y = 0; y < im.height; y++) values.set(im.values.subarray(y * im.width, (y + 1) * im.width), y * width + x0);
    x0 += im.width + gap;
  }
  return { width, height, values };
}

/** An 8-bit greyscale PNG of the image. */
export function encodeGrayPng(image: GrayImage): Buffer {
  const png = new PNG({ width: image.width, height: image.height, colorType: 0, inputColorType: 0, inputHasAlpha: false, bitDepth: 8 });
  const data = Buffer.alloc(image.width * image.height);
  for (let i = 0; i < data.length; i++) data[i] = Math.round(Math.min(1, Math.max(0, image.values[i]!)) * 255);
  png.data = data;
  return PNG.sync.write(png, { colorType: 0, inputColorType: 0, inputHasAlpha: false });
}
