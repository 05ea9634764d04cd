/**
 * Pre-masked exports: CT whose voxels outside the lungs were set to one dark value (black in a
 * PNG export, −1024 or lower in a NIfTI/DICOM one) before it reached us. The recipe's body rules
 * cannot work there — the lungs touch the "outside air" everywhere and are dropped with it — so
 * such a volume is recognised first and its lungs taken as what the export left:
 *
 * - recognised when, on a sample of voxels, the lowest value (at most −900 HU) fills ≥ 25 % of
 *   the volume including the corners of its slices, what is left is ≥ 3 % of it, of what is
 *   left at most 45 % is denser than −300 HU (a whole chest, whose body wall, mediastinum and
 *   abdomen are tissue, has 60 % and more; lungs with vessels about 10–20 %, with dense
 *   consolidation more), and what is left forms compact regions edged by lung: at most 15 % of it
 *   touches the background, at most 60 % of that edge is denser than −500 HU (a whole CT's edge
 *   is its skin, ≈ 90 % and more; a masked export's edge, the lungs' partial-volume rim, 35 % on
 *   a phantom), and its median is at least 60 HU above the background (a PET/CT of 700 mm
 *   field of view, its air clipped at −1024, passed every other test: its edge was air at
 *   −1000, its noise scattering kept voxels through the air);
 * - lungs: every voxel above the background (its value + 30 HU, JPEG ringing), holes filled per
 *   slice, 3-D components of at least 5 mL, split in two by the recipe's separation.
 */
import type { Volume } from '../volume/volume.js';
import { componentSizes, labelRuns } from './components.js';
import { fillHoles2d } from './fill-holes.js';
import { keepComponents, RunBuilder, runsAbove, type RunVolume } from './runs.js';
import { bodyAxis } from './select.js';
import { separateLungs, type SeparationOptions } from './separate.js';

type Vec3 = readonly [number, number, number];

/** Voxels sampled to recognise a pre-masked volume. */
const SAMPLES = 1 << 18;
const BACKGROUND_TOLERANCE_HU = 30;
const MIN_COMPONENT_ML = 5;

export interface PreMaskedLungs {
  lungs: RunVolume[];
  /** Empty: the export holds no partial-volume lung outside what it kept. */
  lungLike: RunVolume;
  axis: Float64Array;
  /** The background value and the share of the volume it fills. */
  backgroundHu: number;
  backgroundShare: number;
}

/** The background value when `volume` is a pre-masked export, else null. */
export function preMaskedBackground(volume: Volume): { valueHu: number; share: number } | null {
  const v = volume.voxels;
  const [nx, ny] = volume.dimensions;
  // On a sample (this runs before every lung mask: a full pass would cost a whole CT's read).
  const stride = Math.max(1, Math.floor(v.length / SAMPLES));
  let min = 32767;
  for (let i = 0; i < v.length; i += stride) if (v[i]! < min) min = v[i]!;
  if (min > -900) return null;
  const limit = min + BACKGROUND_TOLERANCE_HU;
  // The corners of the first slice are background in an export masked outside the lungs.
  const corners = [0, nx - 1, (ny - 1) * nx, nx * ny - 1];
  if (!corners.every((i) => v[i]! <= limit)) return null;
  let n = 0;
  let background = 0;
  let dense = 0;
  for (let i = 0; i < v.length; i += stride) {
    n++;
    const x = v[i]!;
    if (x <= limit) background++;
    else if (x > -300) dense++;
  }
  const left = n - background;
  if (background < 0.25 * n || left < 0.03 * n || dense > 0.45 * left) return null;
  const { edgeShare, denseEdgeShare, edgeMedianHu } = edges(volume, limit);
  if (edgeShare > 0.15 || denseEdgeShare > 0.6 || edgeMedianHu < min + 60) return null;
  return { valueHu: min, share: background / n };
}

/**
 * On up to 4 slices (every other row), the share of the kept voxels (above `limit`) that touch the background
 * in-plane, and the share of those that are dense (above −500 HU). A masked export keeps a few
 * compact regions (≈ 5 % of them at the edge) whose edge is lung; a whole CT's edge against the
 * air is its skin, and where its air noise is clipped at the lowest value (scanners store nothing
 * below −1024) kept voxels are scattered through the air.
 */
function edges(volume: Volume, limit: number): { edgeShare: number; denseEdgeShare: number; edgeMedianHu: number } {
  const [nx, ny, nz] = volume.dimensions;
  const v = volume.voxels;
  let kept = 0;
  let edge = 0;
  let dense = 0;
  const values: number[] = [];
  const step = Math.max(1, Math.floor(nz / 4));
  for (let k = Math.floor(step / 2); k < nz; k += step) {
    const base = k * nx * ny;
    for (let y = 1; y < ny - 1; y += 2) {
      for (let x = 1; x < nx - 1; x++) {
        const i = base + y * nx + x;
        if (v[i]! <= limit) continue;
        kept++;
        if (v[i - 1]! <= limit || v[i + 1]! <= limit || v[i - nx]! <= limit || v[i + nx]! <= limit) {
          edge++;
          if (v[i]! > -500) dense++;
          if (edge % 16 === 1) values.push(v[i]!);
        }
      }
    }
  }
  values.sort((a, b) => a - b);
  return { edgeShare: kept ? edge / kept : 1, denseEdgeShare: edge ? dense / edge : 1, edgeMedianHu: values.length ? values[values.length >> 1]! : limit };
}
/** The lungs of a pre-masked volume (on its own grid), or null when it is not one. */
export function preMaskedLungs(volume: Volume, separation: SeparationOptions): PreMaskedLungs | null {
  const background = preMaskedBackground(volume);
  if (!background) return null;
  const [nx, ny, nz] = volume.dimensions;
  const spacing = volume.spacingMm as Vec3;
  const kept = fillHoles2d(runsAbove(volume.voxels, nx, ny, nz, background.valueHu + BACKGROUND_TOLERANCE_HU));
  const labels = labelRuns(kept, '3d-6');
  const sizes = componentSizes(kept, labels);
  const voxelMl = (spacing[0] * spacing[1] * spacing[2]) / 1000;
  const keep = new Uint8Array(labels.count);
  let any = false;
  for (let c = 0; c < labels.count; c++) {
    keep[c] = sizes[c]! * voxelMl >= MIN_COMPONENT_ML ? 1 : 0;
    if (keep[c]) any = true;
  }
  if (!any) return null;
  const lungs = keepComponents(kept, labels.label, keep);
  const split = separateLungs(lungs, spacing, separation);
  // The body's axis: the centre of what the export kept (between the lungs).
  const outside = runsAbove(Uint8Array.from(volume.voxels, (x) => (x <= background.valueHu + BACKGROUND_TOLERANCE_HU ? 1 : 0)), nx, ny, nz, 0);
  return {
    lungs: split.lungs,
    lungLike: new RunBuilder(nx, ny, nz).finish(),
    axis: bodyAxis(outside, spacing, 0),
    backgroundHu: background.valueHu,
    backgroundShare: background.share,
  };
}
