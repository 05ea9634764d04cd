/**
 * Folders of 2-D PNG/JPEG slices (the public COVID CT collections, teaching files, exports from
 * viewers) → one uncalibrated Volume in approximate HU.
 *
 * - Order: natural order of the file names (`Covid (2)` before `Covid (10)`); these files carry
 *   no position, so the name is all there is (said in a warning).
 * - Values: each file decoded to grey (image-decode.ts), then the stack's rendering recognised
 *   once from its anatomy — lung, soft-tissue or bone window, inverted or not, stored CT numbers,
 *   a pre-masked export — and undone by the window found (core/calibration, rendering.ts), or the
 *   stack refused with a code and a sentence when it is not a CT rendering. `units` stays
 *   'unknown': the values are approximate HU, and `assumedWindow` says how they were obtained.
 * - Geometry: identity direction, origin 0; spacing given by the caller, or estimated from the
 *   anatomy (calibration/spacing.ts) with its basis; contiguity judged from anatomy and names.
 */
import { open, readFile } from 'node:fs/promises';
import { estimateSpacing, greyToHu, judgeContiguity, recogniseRendering, type GreyStack, type HuSlices } from '../calibration/index.js';
import { LungLensError, type Warning } from '../errors.js';
import type { Vec3 } from '../geometry/vec3.js';
import { Volume, type AssumedWindow, type SpacingProvenance } from '../volume/volume.js';
import { checkVoxelCount, describe } from './file-io.js';
import { decodeImage, sniffImageSize } from './image-decode.js';
import { sortSliceFiles } from './natural-sort.js';
import type { FormatVolume } from './types.js';

export { sniffImageSize } from './image-decode.js';

/**
 * The lung window (centre −600, width 1500: −1350 … +150 HU) that the public COVID slice
 * collections were mostly exported with: the standard the rendering rules fall back on where only
 * one tissue can be placed, and the window `lunglens phantom --format png --window lung` writes.
 */
export const ASSUMED_LUNG_WINDOW: AssumedWindow = {
  lowHu: -1350,
  highHu: 150,
  note: 'Uncalibrated image slices mapped 0…max → −1350…+150 HU, assuming a lung-window rendering (centre −600, width 1500).',
};

export interface ImageStackOptions {
  /** Voxel spacing [x, y, z] mm given by the user: replaces the estimate. */
  spacingMm?: Vec3;
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

interface DecodedStack extends GreyStack {
  colourFiles: number;
  depths: Set<number>;
}

async function decodeAll(ordered: string[]): Promise<DecodedStack> {
  const slices: (Uint8Array | Uint16Array)[] = [];
  const colourShare: number[] = [];
  const depths = new Set<number>();
  let width = 0;
  let height = 0;
  let maxValue = 0;
  let colourFiles = 0;
  for (const path of ordered) {
    let bytes: Buffer;
    try {
      bytes = await readFile(path);
    } catch (error) {
      throw new LungLensError('unreadable', `The image ${path} could not be read: ${describe(error)}.`, { cause: error });
    }
    if (bytes.length === 0) throw new LungLensError('empty-file', `The image ${path} is empty.`);
    const image = decodeImage(bytes, path);
    if (slices.length === 0) {
      ({ width, height, maxValue } = image);
      checkVoxelCount([width, height, ordered.length], `The stack of ${ordered.length} images of ${width}×${height}`);
    } else if (image.width !== width || image.height !== height) {
      throw new LungLensError(
        'inconsistent-series',
        `${path} is ${image.width}×${image.height} but ${ordered[0]} is ${width}×${height}; the images of one stack must all have the same size.`,
      );
    } else if (image.maxValue !== maxValue) {
      throw new LungLensError('inconsistent-series', `${path} is a ${image.depth}-bit image but ${ordered[0]} is not; the images of one stack must share their bit depth.`);
    }
    if (image.colour) colourFiles++;
    depths.add(image.depth);
    slices.push(image.grey);
    colourShare.push(image.colourShare);
  }
  return { width, height, maxValue, slices, colourShare, colourFiles, depths };
}

/**
 * Stacks 2-D slices into one volume, slice k = k-th file in natural name order. All images must
 * have the same size (the caller groups by size; this checks again). Throws a `LungLensError`
 * with a sentence for a stack that is not a CT rendering (calibration/rendering.ts).
 */
export async function readImageStack(files: string[], options: ImageStackOptions = {}): Promise<FormatVolume> {
  if (files.length === 0) throw new LungLensError('nothing-found', 'No image files were given to stack.');
  const ordered = sortSliceFiles(files);
  await checkSameSize(ordered);
  const stack = await decodeAll(ordered);
  const { width, height, maxValue } = stack;
  const what = ordered.length === 1 ? `The image ${ordered[0]}` : `The ${ordered.length} images of ${ordered[0]} …`;
  const contiguity = judgeContiguity(ordered, { width, height, count: ordered.length, slice: (k) => stack.slices[k]! });
  const rendering = recogniseRendering(stack, what, { perSlice: !contiguity.contiguous });

  let voxels: Int16Array;
  try {
    voxels = new Int16Array(width * height * ordered.length);
  } catch (error) {
    throw new LungLensError('too-large', `A stack of ${width}×${height}×${ordered.length} voxels does not fit in memory.`, { cause: error });
  }
  const sliceLength = width * height;
  stack.slices.forEach((grey, k) => greyToHu(grey, maxValue, rendering.sliceWindows?.[k] ?? rendering.window, voxels.subarray(k * sliceLength, (k + 1) * sliceLength)));
  const hu: HuSlices = { width, height, count: ordered.length, slice: (k) => voxels.subarray(k * sliceLength, (k + 1) * sliceLength) };

  let spacingMm: Vec3;
  let spacing: SpacingProvenance;
  if (options.spacingMm) {
    spacingMm = [...options.spacingMm];
    spacing = { source: 'given' };
  } else {
    const estimate = estimateSpacing(hu, contiguity.contiguous);
    spacingMm = estimate.spacingMm;
    spacing = { source: 'estimated', basis: estimate.basis };
  }

  const warnings: Warning[] = [
    { code: 'values-uncalibrated', message: `The grey levels are not Hounsfield units. ${rendering.window.note}` },
    spacing.source === 'given'
      ? { code: 'spacing-given', message: `Image slices carry no pixel size or slice spacing: the spacing given, ${spacingMm.join(' × ')} mm, was used; orientation and origin are unknown (identity, 0).` }
      : { code: 'spacing-estimated', message: `Image slices carry no pixel size or slice spacing. ${spacing.basis} Orientation and origin are unknown (identity, 0); distances and volumes are estimates.` },
    ...rendering.warnings,
  ];
  if (ordered.length > 1) {
    warnings.push({ code: 'slice-order-from-names', message: 'The slices were ordered by the numbers in their file names; images have no position to order them by.' });
  }
  if (!contiguity.contiguous) {
    warnings.push({ code: 'not-contiguous', message: `The slices do not form a contiguous volume (${contiguity.evidence.join('; ')}): each is read as a separate section, and lengths along the slices and volumes mean little.` });
  } else if (contiguity.evidence.length > 0) {
    warnings.push({ code: 'slice-gaps', message: `The slices may have gaps: ${contiguity.evidence.join('; ')}.` });
  }
  if (stack.colourFiles > 0) {
    warnings.push({ code: 'colour-converted', message: `${stack.colourFiles} colour image(s) were converted to grey by luminance (Rec. 601).` });
  }
  const volume = Volume.create({
    dimensions: [width, height, ordered.length],
    spacingMm,
    originLps: [0, 0, 0],
    direction: [1, 0, 0, 0, 1, 0, 0, 0, 1],
    voxels,
    units: 'unknown',
    assumedWindow: rendering.window,
    spacing,
    contiguous: contiguity.contiguous,
  });
  const kind = rendering.window.basis.rendering;
  return {
    volume,
    source: 'image-stack',
    warnings,
    description: `Stack of ${ordered.length} ${[...stack.depths].join('/')}-bit image(s) of ${width}×${height}, uncalibrated (${kind === 'ct-numbers' ? 'stored CT numbers' : `${kind} rendering, ${rendering.window.lowHu}…${rendering.window.highHu} HU`})`,
    files: ordered,
  };
}
