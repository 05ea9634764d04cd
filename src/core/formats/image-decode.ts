/**
 * One PNG or JPEG file → grey levels. Colour becomes luminance (R = G = B is taken as is; colour
 * uses Rec. 601 Y = 0.299 R + 0.587 G + 0.114 B, rounded; alpha is ignored), and the share of
 * coloured pixels is kept: a CT rendering is grey, a photo or a colour map is not.
 */
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { LungLensError } from '../errors.js';
import { describe } from './file-io.js';

export interface DecodedImage {
  width: number;
  height: number;
  /** Grey levels 0…maxValue, row by row (Uint16Array only for 16-bit images). */
  grey: Uint8Array | Uint16Array;
  maxValue: number;
  /** Any pixel with R ≠ G or G ≠ B. */
  colour: boolean;
  /** Share of the pixels whose channels differ by more than 24 of 255: coloured, not tinted grey. */
  colourShare: number;
  /** Bits per sample as stored (a palette image counts as 8). */
  depth: number;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export function isPng(b: Uint8Array): boolean {
  return b.length >= 8 && PNG_SIGNATURE.every((v, i) => b[i] === v);
}

export function isJpeg(b: Uint8Array): boolean {
  return b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;
}

/** RGBA samples (any integer array) → luminance. */
function luminance(rgba: ArrayLike<number>, pixels: number, maxValue: number): Pick<DecodedImage, 'grey' | 'colour' | 'colourShare'> {
  const grey = maxValue > 255 ? new Uint16Array(pixels) : new Uint8Array(pixels);
  const chroma = (24 / 255) * maxValue;
  let colour = false;
  let coloured = 0;
  for (let p = 0, q = 0; p < pixels; p++, q += 4) {
    const r = rgba[q]!;
    const g = rgba[q + 1]!;
    const b = rgba[q + 2]!;
    if (r === g && g === b) grey[p] = r;
    else {
      colour = true;
      grey[p] = Math.round(0.299 * r + 0.587 * g + 0.114 * b);
      if (Math.max(r, g, b) - Math.min(r, g, b) > chroma) coloured++;
    }
  }
  return { grey, colour, colourShare: coloured / pixels };
}

export function decodeImage(bytes: Buffer, path: string): DecodedImage {
  if (isPng(bytes)) {
    let png: ReturnType<typeof PNG.sync.read>;
    try {
      // skipRescale keeps 16-bit samples (and 1/2/4-bit grey) as stored; data is always RGBA.
      png = PNG.sync.read(bytes, { skipRescale: true });
    } catch (error) {
      throw new LungLensError('corrupt-file', `The PNG image ${path} could not be decoded: ${describe(error)}.`, { cause: error });
    }
    const { width, height, depth, palette } = png;
    // A palette image is expanded to 8-bit colours; other images keep their stored depth.
    const maxValue = palette ? 255 : 2 ** depth - 1;
    return { width, height, maxValue, depth: palette ? 8 : depth, ...luminance(png.data as ArrayLike<number>, width * height, maxValue) };
  }
  if (isJpeg(bytes)) {
    let image: { width: number; height: number; data: Uint8Array };
    try {
      image = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: 256, maxMemoryUsageInMB: 2048 });
    } catch (error) {
      throw new LungLensError('corrupt-file', `The JPEG image ${path} could not be decoded: ${describe(error)}.`, { cause: error });
    }
    return { width: image.width, height: image.height, maxValue: 255, depth: 8, ...luminance(image.data, image.width * image.height, 255) };
  }
  throw new LungLensError('not-an-image', `${path} is neither a PNG nor a JPEG image.`);
}

/**
 * Width and height from a PNG's IHDR or a JPEG's start-of-frame marker, without decoding; null
 * when the bytes are neither (or the marker is beyond the prefix).
 */
export function sniffImageSize(b: Uint8Array): { width: number; height: number } | null {
  const u16 = (p: number): number => (b[p]! << 8) | b[p + 1]!;
  const u32 = (p: number): number => u16(p) * 65536 + u16(p + 2);
  if (isPng(b) && b.length >= 24) return { width: u32(16), height: u32(20) };
  if (!isJpeg(b)) return null;
  let p = 2;
  while (p + 9 < b.length && b[p] === 0xff) {
    const marker = b[p + 1]!;
    if (marker === 0xff) {
      p++;
      continue;
    }
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { width: u16(p + 7), height: u16(p + 5) };
    }
    p += 2 + u16(p + 2);
  }
  return null;
}
