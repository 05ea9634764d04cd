/**
 * The region of every slice a cropping model sees (the card's `preprocessing.crop`):
 * one square per volume, in millimetres, around the lungs' in-plane bounding box over all slices.
 * Resizing the whole field of view puts a 500 mm reconstruction with padding and a 330 mm one at
 * different scales and wastes most of the S×S pixels on air and table; the square keeps the
 * lungs at nearly one scale and spends the pixels on them.
 */
import type { InPlaneRegion, InputPreprocessing, LungCrop } from './preprocess.js';

interface Grid {
  dimensions: readonly [number, number, number] | readonly number[];
  spacingMm: readonly [number, number, number] | readonly number[];
}

/** The in-plane bounding box [x0, y0, x1, y1] (pixels, x1/y1 exclusive) of the non-zero voxels over all slices; null when there is none. */
export function inPlaneBounds(dimensions: Grid['dimensions'], mask: Uint8Array): [number, number, number, number] | null {
  const columns = dimensions[0]!;
  const rows = dimensions[1]!;
  const plane = columns * rows;
  if (mask.length % plane !== 0) throw new RangeError(`model input: ${mask.length} mask values are not whole ${columns}×${rows} slices`);
  const rowHit = new Uint8Array(rows);
  let x0 = columns;
  let x1 = -1;
  for (let start = 0; start < mask.length; start += plane) {
    for (let y = 0, i = start; y < rows; y++, i += columns) {
      // The first and last lung voxel of the row; rows with neither widen nothing.
      let first = -1;
      for (let x = 0; x < columns; x++) if (mask[i + x]) { first = x; break; }
      if (first < 0) continue;
      rowHit[y] = 1;
      if (first < x0) x0 = first;
      for (let x = columns - 1; x > x1; x--) if (mask[i + x]) { x1 = x; break; }
    }
  }
  if (x1 < 0) return null;
  const y0 = rowHit.indexOf(1);
  const y1 = rowHit.lastIndexOf(1) + 1;
  return [x0, y0, x1 + 1, y1];
}

/**
 * The square (in mm) a cropping model sees, in the slice's pixel coordinates: centred on the
 * lungs' bounding box, its side the box's longer side plus `marginMm` on each side, at least
 * `minSideMm`. It may reach past the image (read as padding, like the whole field of view's).
 * Null when the mask is empty: such a volume is shown whole (and is never analysed).
 */
export function lungCropRegion(grid: Grid, dilatedMask: Uint8Array, crop: LungCrop): InPlaneRegion | null {
  const bounds = inPlaneBounds(grid.dimensions, dilatedMask);
  if (!bounds) return null;
  const [sx, sy] = [grid.spacingMm[0]!, grid.spacingMm[1]!];
  const [x0, y0, x1, y1] = bounds;
  const side = Math.max((x1 - x0) * sx, (y1 - y0) * sy, crop.minSideMm - 2 * crop.marginMm) + 2 * crop.marginMm;
  const size: [number, number] = [side / sx, side / sy];
  return { origin: [(x0 + x1) / 2 - size[0] / 2, (y0 + y1) / 2 - size[1] / 2], size };
}

/** The region the card's preprocessing asks for (undefined: the whole slice). */
export function inputRegion(grid: Grid, dilatedMask: Uint8Array, pre: InputPreprocessing): InPlaneRegion | undefined {
  return pre.crop ? lungCropRegion(grid, dilatedMask, pre.crop) ?? undefined : undefined;
}
