/**
 * Folders of 2-D PNG/JPEG slices (the public COVID CT collections) → one uncalibrated Volume.
 *
 * - Order: natural order of the file names (`Covid (2)` before `Covid (10)`); these files carry
 *   no position, so the name is all there is (said in a warning).
 * - Values: grey level → luminance (R = G = B is taken as is; colour uses Rec. 601
 *   Y = 0.299 R + 0.587 G + 0.114 B; alpha is ignored), then mapped linearly through an assumed
 *   window and rounded: HU = lowHu + g / gMax · (highHu − lowHu), gMax = 255 for 8-bit images
 *   (65535 for 16-bit PNGs, 2^depth − 1 for 1/2/4-bit grey). `units` is 'unknown'.
 * - Geometry is unknown: 1 mm spacing (warned), identity direction, origin 0.
 */
import { open, readFile } from 'node:fs/promises';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { LungLensError, type Warning } from '../errors.js';
import { Volume, type AssumedWindow } from '../volume/volume.js';
import { checkVoxelCount, describe } from './file-io.js';
import { sortSliceFiles } from './natural-sort.js';
import type { FormatVolume } from './types.js';

/**
 * The window the 8-bit slices are assumed to have been rendered with: the lung window, centre
 * −600 HU, width 1500 (−1350 … +150 HU). The public COVID slice collections (COVID-CT, the
 * SARS-CoV-2 CT set, MosMed renderings) were exported from radiology viewers for reading the
 * lung parenchyma, where black is air and the soft tissue is already near-white; this window
 * puts air near −1000 HU and muscle/blood near +50…150, so lung masks and HU windows downstream
 * behave roughly as on real CT. It is a guess, not a calibration: the values stay 'unknown'.
 */
export const ASSUMED_LUNG_WINDOW: AssumedWindow = {
  lowHu: -1350,
  highHu: 150,
  note: 'Uncalibrated image slices mapped 0…max → −1350…+150 HU, assuming a lung-window rendering (centre −600, width 1500).',
};

interface DecodedImage {
  width: number;
  height: number;
  /** Grey values in 0…maxValue, row by row. */
  grey: Float64Array;
  maxValue: number;
  colour: boolean;
  depth: number;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function isPng(b: Uint8Array): boolean {
  return b.length >= 8 && PNG_SIGNATURE.every((v, i) => b[i] === v);
}

function isJpeg(b: Uint8Array): boolean {
  return b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;
}

/** RGBA samples (any integer array) → luminance; `colour` is true when any pixel has R≠G or G≠B. */
function luminance(rgba: ArrayLike<number>, pixels: number): { grey: Float64Array; colour: boolean } {
  const grey = new Float64Array(pixels);
  let colour = false;
  for (let p = 0, q = 0; p < pixels; p++, q += 4) {
    const r = rgba[q]!;
    const g = rgba[q + 1]!;
    const b = rgba[q + 2]!;
    if (r === g && g === b) grey[p] = r;
    else {
      colour = true;
      grey[p] = 0.299 * r + 0.587 * g + 0.114 * b;
    }
  }
  return { grey, colour };
}

function decodeImage(bytes: Buffer, path: string): DecodedImage {
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
    const { grey, colour } = luminance(png.data as ArrayLike<number>, width * height);
    return { width, height, grey, maxValue, colour, depth: palette ? 8 : depth };
  }
  if (isJpeg(bytes)) {
    let image: { width: number; height: number; data: Uint8Array };
    try {
      image = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: 256, maxMemoryUsageInMB: 2048 });
    } catch (error) {
      throw new LungLensError('corrupt-file', `The JPEG image ${path} could not be decoded: ${describe(error)}.`, { cause: error });
    }
    const { grey, colour } = luminance(image.data, image.width * image.height);
    return { width: image.width, height: image.height, grey, maxValue: 255, colour, depth: 8 };
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

/** Header sizes of all files first, so that a mixed folder is refused before decoding anything. */
async function checkSameSize(ordered: string[]): Promise<void> {
  let first: { path: string; width: number; height: number } | undefined;
  for (const path of ordered) {
    let prefix: Uint8Array;
    try {
      const handle = await open(path, 'r');
      try {
        const { buffer, bytesRead } = await handle.read(Buffer.alloc(64 * 1024), 0, 64 * 1024, 0);
        prefix = buffer.subarray(0, bytesRead);
      } finally {
        await handle.close();
      }
    } catch (error) {
      throw new LungLensError('unreadable', `The image ${path} could not be read: ${describe(error)}.`, { cause: error });
    }
    const size = sniffImageSize(prefix);
    if (!size) continue; // decoding will say what is wrong with it
    if (!first) first = { path, ...size };
    else if (size.width !== first.width || size.height !== first.height) {
      throw new LungLensError(
        'inconsistent-series',
        `${path} is ${size.width}×${size.height} but ${first.path} is ${first.width}×${first.height}; the images of one stack must all have the same size.`,
      );
    }
  }
}

/**
 * Stacks 2-D slices into one volume, slice k = k-th file in natural name order.
 * All images must have the same size (the caller groups by size; this checks again).
 */
export async function readImageStack(files: string[]): Promise<FormatVolume> {
  if (files.length === 0) throw new LungLensError('nothing-found', 'No image files were given to stack.');
  const ordered = sortSliceFiles(files);
  await checkSameSize(ordered);
  const { lowHu, highHu } = ASSUMED_LUNG_WINDOW;
  let voxels: Int16Array | undefined;
  let width = 0;
  let height = 0;
  let colourFiles = 0;
  const depths = new Set<number>();

  for (const [k, path] of ordered.entries()) {
    let bytes: Buffer;
    try {
      bytes = await readFile(path);
    } catch (error) {
      throw new LungLensError('unreadable', `The image ${path} could not be read: ${describe(error)}.`, { cause: error });
    }
    if (bytes.length === 0) throw new LungLensError('empty-file', `The image ${path} is empty.`);
    const image = decodeImage(bytes, path);
    if (!voxels) {
      width = image.width;
      height = image.height;
      const count = checkVoxelCount([width, height, ordered.length], `The stack of ${ordered.length} images of ${width}×${height}`);
      try {
        voxels = new Int16Array(count);
      } catch (error) {
        throw new LungLensError('too-large', `A stack of ${count} voxels does not fit in memory.`, { cause: error });
      }
    } else if (image.width !== width || image.height !== height) {
      throw new LungLensError(
        'inconsistent-series',
        `${path} is ${image.width}×${image.height} but ${ordered[0]} is ${width}×${height}; the images of one stack must all have the same size.`,
      );
    }
    if (image.colour) colourFiles++;
    depths.add(image.depth);
    const scale = (highHu - lowHu) / image.maxValue;
    const slice = voxels.subarray(k * width * height, (k + 1) * width * height);
    for (let p = 0; p < slice.length; p++) slice[p] = Math.round(lowHu + image.grey[p]! * scale);
  }

  const warnings: Warning[] = [
    {
      code: 'spacing-unknown',
      message: 'Image slices carry no pixel size, slice spacing or position: 1 mm spacing, an identity orientation and origin 0 were assumed, so distances and volumes are not real.',
    },
    {
      code: 'values-uncalibrated',
      message: `The grey levels are not Hounsfield units; they were mapped to ${lowHu} … ${highHu} HU assuming a lung-window rendering.`,
    },
  ];
  if (ordered.length > 1) {
    warnings.push({ code: 'slice-order-from-names', message: 'The slices were ordered by the numbers in their file names; images have no position to order them by.' });
  }
  if (colourFiles > 0) {
    warnings.push({ code: 'colour-converted', message: `${colourFiles} colour image(s) were converted to grey by luminance (Rec. 601).` });
  }
  if ([...depths].some((d) => d !== 8)) {
    warnings.push({
      code: 'bit-depth',
      message: `Some images are ${[...depths].filter((d) => d !== 8).join('/')}-bit; their full range was mapped onto the same assumed window as 8-bit images.`,
    });
  }
  const volume = Volume.create({
    dimensions: [width, height, ordered.length],
    spacingMm: [1, 1, 1],
    originLps: [0, 0, 0],
    direction: [1, 0, 0, 0, 1, 0, 0, 0, 1],
    voxels: voxels!,
    units: 'unknown',
    assumedWindow: { ...ASSUMED_LUNG_WINDOW },
  });
  return {
    volume,
    source: 'image-stack',
    warnings,
    description: `Stack of ${ordered.length} ${[...depths].join('/')}-bit image(s) of ${width}×${height}, uncalibrated (assumed lung window −1350…+150 HU)`,
    files: ordered,
  };
}
