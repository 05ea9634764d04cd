import { PNG } from 'pngjs';
import { GLYPH_ADVANCE, GLYPH_HEIGHT, GLYPH_WIDTH, glyph } from './bitmap-font.js';
import type { GrayImage } from './gray-png.js';

export type Rgb = readonly [number, number, number];

/** An 8-bit RGB raster (pixel-interleaved, row by row) to draw labelled pictures into. */
export class RgbCanvas {
  readonly pixels: Uint8Array;

  constructor(readonly width: number, readonly height: number, background: Rgb = [0, 0, 0]) {
    this.pixels = new Uint8Array(width * height * 3);
    this.fillRect(0, 0, width, height, background);
  }

  fillRect(x: number, y: number, w: number, h: number, colour: Rgb): void {
    const x0 = Math.max(0, Math.round(x)), y0 = Math.max(0, Math.round(y));
    const x1 = Math.min(this.width, Math.round(x + w)), y1 = Math.min(this.height, Math.round(y + h));
    for (let yy = y0; yy < y1; yy++) {
      for (let xx = x0; xx < x1; xx++) {
        const i = (yy * this.width + xx) * 3;
        this.pixels[i] = colour[0];
        this.pixels[i + 1] = colour[1];
        this.pixels[i + 2] = colour[2];
      }
    }
  }

  /** Text in the 5×7 font, each font pixel `scale` image pixels; (x, y) is the top left corner. */
  text(x: number, y: number, text: string, scale: number, colour: Rgb): void {
    [...text].forEach((ch, n) => {
      const bits = glyph(ch);
      const gx = x + n * GLYPH_ADVANCE * scale;
      for (let row = 0; row < GLYPH_HEIGHT; row++) {
        for (let col = 0; col < GLYPH_WIDTH; col++) {
          if (bits[row * GLYPH_WIDTH + col]) this.fillRect(gx + col * scale, y + row * scale, scale, scale, colour);
        }
      }
    });
  }

  /**
   * A grey image ([0, 1] values) fitted into the box (x, y, w, h), aspect ratio kept (given as
   * the physical width/height of the image), box-averaged, centred.
   */
  image(x: number, y: number, w: number, h: number, image: GrayImage, aspect = image.width / image.height): void {
    const fit = Math.min(w / aspect, h);
    const dw = Math.max(1, Math.round(fit * aspect)), dh = Math.max(1, Math.round(fit));
    const ox = x + Math.floor((w - dw) / 2), oy = y + Math.floor((h - dh) / 2);
    for (let dy = 0; dy < dh; dy++) {
      const sy0 = Math.floor((dy * image.height) / dh), sy1 = Math.max(sy0 + 1, Math.floor(((dy + 1) * image.height) / dh));
      for (let dx = 0; dx < dw; dx++) {
        const sx0 = Math.floor((dx * image.width) / dw), sx1 = Math.max(sx0 + 1, Math.floor(((dx + 1) * image.width) / dw));
        let s = 0;
        for (let sy = sy0; sy < sy1; sy++) for (let sx = sx0; sx < sx1; sx++) s += image.values[sy * image.width + sx]!;
        const v = Math.round(Math.min(1, Math.max(0, s / ((sy1 - sy0) * (sx1 - sx0)))) * 255);
        this.fillRect(ox + dx, oy + dy, 1, 1, [v, v, v]);
      }
    }
  }

  /** An RGB PNG of the canvas (to look at what a DICOM viewer will show). */
  png(): Buffer {
    const png = new PNG({ width: this.width, height: this.height, colorType: 2, inputColorType: 2, inputHasAlpha: false });
    png.data = Buffer.from(this.pixels.buffer, this.pixels.byteOffset, this.pixels.byteLength);
    return PNG.sync.write(png, { colorType: 2, inputColorType: 2, inputHasAlpha: false });
  }
}
