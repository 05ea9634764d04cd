import path from 'node:path';
import type { Rejection, Warning } from '../errors.js';
import type { DicomInstance, FrameHeader } from '../dicom/header.js';
import { cross, dot, norm, normalize, sub, direction as toDirection, type Direction, type Vec3 } from '../geometry/vec3.js';

/** One slice of a planned series: which frame of which file goes to which slice index. */
export interface PlannedSlice {
  instance: DicomInstance;
  frameIndex: number;
  frame: FrameHeader;
}

/** A DICOM series ready to be decoded: slices in index order and the volume geometry. */
export interface SeriesPlan {
  studyInstanceUid: string;
  seriesInstanceUid: string;
  modality: string;
  seriesDescription: string;
  patient: { name: string; id: string };
  /** The folder holding the series' files (their common parent). */
  folder: string;
  columns: number;
  rows: number;
  spacingMm: Vec3;
  originLps: Vec3;
  direction: Direction;
  slices: PlannedSlice[];
  transferSyntaxUids: string[];
  warnings: Warning[];
}

export interface SeriesBuild {
  plans: SeriesPlan[];
  rejected: Rejection[];
}

/** Tolerances, in the units their names say. */
const PARALLEL_COS = Math.cos((1 * Math.PI) / 180);
const TILT_DEGREES = 0.5;
const GAP_FACTOR = 1.5;
const IRREGULAR_FRACTION = 0.05;
const DUPLICATE_POSITION_MM = 0.01;
/** Sub-groups this small whose orientation is not parallel to their series are localizers. */
const LOCALIZER_MAX_IMAGES = 2;

const round = (v: number, step: number) => Math.round(v / step) * step;

function normalOf(o: FrameHeader['orientation']): Vec3 | null {
  if (!o) return null;
  try {
    return normalize(cross([o[0], o[1], o[2]], [o[3], o[4], o[5]]));
  } catch {
    return null;
  }
}

/** The key that splits a series: images that disagree on size, pixel spacing or orientation. */
function geometryKey(s: PlannedSlice): string {
  const p = s.instance.pixel;
  const sp = s.frame.pixelSpacing?.map((v) => round(v, 1e-3).toFixed(3)).join('x') ?? 'none';
  const o = s.frame.orientation?.map((v) => round(v, 1e-3).toFixed(3)).join(',') ?? 'none';
  return `${p.columns}x${p.rows}|${sp}|${o}`;
}

function commonFolder(paths: string[]): string {
  const dirs = [...new Set(paths.map((p) => path.dirname(p)))];
  if (dirs.length === 1) return dirs[0]!;
  const parts = dirs.map((d) => d.split(path.sep));
  const first = parts[0]!;
  let n = 0;
  while (n < first.length && parts.every((p) => p[n] === first[n])) n++;
  return first.slice(0, n).join(path.sep) || path.sep;
}

export function planeName(normal: Vec3): 'axial' | 'coronal' | 'sagittal' | 'oblique' {
  const a = normal.map(Math.abs) as Vec3;
  const max = Math.max(...a);
  if (max < 0.9) return 'oblique';
  return a[2] === max ? 'axial' : a[1] === max ? 'coronal' : 'sagittal';
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * Groups instances into series, splits and filters them, orders slices by position and derives
 * the volume geometry (DESIGN.md §2). Everything questionable becomes a warning on the series or a
 * rejection of the files concerned; nothing throws.
 */
export function buildSeries(instances: DicomInstance[]): SeriesBuild {
  const rejected: Rejection[] = [];
  // 1. One copy of each SOP instance (first by path wins).
  const byUid = new Map<string, DicomInstance>();
  const unique: DicomInstance[] = [];
  for (const inst of [...instances].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    const kept = inst.sopInstanceUid ? byUid.get(inst.sopInstanceUid) : undefined;
    if (kept) {
      rejected.push({ path: inst.path, code: 'duplicate-instance', message: `A copy of the same image (SOP Instance UID ${inst.sopInstanceUid}) as ${kept.path}; the copy was skipped.` });
      continue;
    }
    if (inst.sopInstanceUid) byUid.set(inst.sopInstanceUid, inst);
    unique.push(inst);
  }

  // 2. Frames, grouped by study and series; localizers out.
  const groups = new Map<string, PlannedSlice[]>();
  const localizerFiles = new Set<string>();
  for (const instance of unique) {
    instance.frames.forEach((frame, frameIndex) => {
      if (frame.localizer) {
        localizerFiles.add(instance.path);
        return;
      }
      const key = `${instance.studyInstanceUid}|${instance.seriesInstanceUid || `folder:${path.dirname(instance.path)}`}`;
      const list = groups.get(key) ?? [];
      list.push({ instance, frameIndex, frame });
      groups.set(key, list);
    });
  }
  for (const file of localizerFiles) {
    rejected.push({ path: file, code: 'localizer', message: 'A localizer (scout/topogram) image, not part of a CT volume; it was left out.' });
  }

  const plans: SeriesPlan[] = [];
  for (const slices of groups.values()) {
    // 3. Split by size, spacing and orientation; tiny non-parallel sub-groups are localizers.
    const byGeometry = new Map<string, PlannedSlice[]>();
    for (const s of slices) {
      const key = geometryKey(s);
      byGeometry.set(key, [...(byGeometry.get(key) ?? []), s]);
    }
    const parts = [...byGeometry.values()].sort((a, b) => b.length - a.length);
    const mainNormal = normalOf(parts[0]![0]!.frame.orientation);
    const splitWarnings: Warning[] = [];
    if (parts.length > 1) {
      splitWarnings.push({
        code: 'series-split',
        message: `The series held images of ${parts.length} different sizes, pixel spacings or orientations; each kind became its own series.`,
      });
    }
    for (const [i, part] of parts.entries()) {
      const normal = normalOf(part[0]!.frame.orientation);
      const parallel = !mainNormal || !normal || Math.abs(dot(mainNormal, normal)) >= PARALLEL_COS;
      if (i > 0 && !parallel && part.length <= LOCALIZER_MAX_IMAGES) {
        for (const s of part) {
          rejected.push({ path: s.instance.path, code: 'localizer', message: 'Its orientation is not parallel to the rest of its series, as for a localizer; it was left out.' });
        }
        continue;
      }
      plans.push(planSeries(part, i > 0 || parts.length > 1 ? splitWarnings : []));
    }
  }
  return { plans, rejected };
}

/**
 * The same series without the given files (which could not be decoded): positions, spacing and
 * warnings are derived again, so the hole they leave shows up as a `slice-gap`. Null when no
 * slice is left.
 */
export function planWithout(plan: SeriesPlan, paths: Set<string>): SeriesPlan | null {
  const remaining = plan.slices.filter((s) => !paths.has(s.instance.path));
  if (remaining.length === 0) return null;
  return planSeries(remaining, plan.warnings.filter((w) => w.code === 'series-split'));
}

function planSeries(input: PlannedSlice[], inherited: Warning[]): SeriesPlan {
  const warnings: Warning[] = [...inherited];
  const first = input[0]!;
  const inst = first.instance;
  // Orientation and pixel spacing.
  let row: Vec3 = [1, 0, 0];
  let column: Vec3 = [0, 1, 0];
  const o = first.frame.orientation;
  if (o) {
    try {
      row = normalize([o[0], o[1], o[2]]);
      column = normalize([o[3], o[4], o[5]]);
      // Re-orthogonalise the column against the row (headers carry rounded cosines).
      const d = dot(row, column);
      column = normalize(sub(column, [row[0] * d, row[1] * d, row[2] * d]));
    } catch {
      row = [1, 0, 0];
      column = [0, 1, 0];
      warnings.push({ code: 'missing-orientation', message: 'ImageOrientationPatient is degenerate; an axial orientation was assumed.' });
    }
  } else {
    warnings.push({ code: 'missing-orientation', message: 'ImageOrientationPatient is missing; an axial orientation was assumed.' });
  }
  const normal = cross(row, column);
  let pixelSpacing = first.frame.pixelSpacing;
  if (!pixelSpacing || !(pixelSpacing[0] > 0 && pixelSpacing[1] > 0)) {
    warnings.push({ code: 'missing-pixel-spacing', message: 'PixelSpacing is missing; 1 mm pixels were assumed, so sizes and volumes are not in true millimetres.' });
    pixelSpacing = [1, 1];
  }

  // Order by position projected on the normal; never by InstanceNumber or file name.
  const withPositions = input.every((s) => s.frame.positionLps !== null);
  let ordered: { slice: PlannedSlice; z: number }[];
  if (withPositions) {
    ordered = input.map((slice) => ({ slice, z: dot(slice.frame.positionLps!, normal) }));
    ordered.sort((a, b) => a.z - b.z || (a.slice.instance.instanceNumber ?? 0) - (b.slice.instance.instanceNumber ?? 0) || a.slice.frameIndex - b.slice.frameIndex);
  } else {
    if (input.length > 1) {
      warnings.push({ code: 'missing-position', message: 'ImagePositionPatient is missing; slices were ordered by InstanceNumber and their spacing taken from the header.' });
    }
    ordered = [...input]
      .sort((a, b) => (a.instance.instanceNumber ?? 0) - (b.instance.instanceNumber ?? 0) || a.frameIndex - b.frameIndex)
      .map((slice, k) => ({ slice, z: k }));
  }

  // Duplicated positions: keep the first of each.
  const kept: typeof ordered = [];
  let duplicates = 0;
  for (const entry of ordered) {
    const last = kept[kept.length - 1];
    if (withPositions && last && Math.abs(entry.z - last.z) < DUPLICATE_POSITION_MM) {
      duplicates++;
      continue;
    }
    kept.push(entry);
  }
  if (duplicates > 0) {
    warnings.push({ code: 'duplicate-position', message: `${duplicates} image(s) share a position with another image of the series (repeated acquisition?); only the first at each position was kept.` });
  }

  // Spacing along the normal from the positions.
  const headerSpacing = inst.spacingBetweenSlicesMm ?? first.frame.sliceThicknessMm ?? 1;
  let spacingZ = headerSpacing > 0 ? headerSpacing : 1;
  if (withPositions && kept.length > 1) {
    const diffs = kept.slice(1).map((e, k) => e.z - kept[k]!.z);
    spacingZ = median(diffs);
    const gaps = diffs.filter((d) => d > GAP_FACTOR * spacingZ);
    if (gaps.length > 0) {
      const missing = gaps.reduce((n, d) => n + Math.round(d / spacingZ) - 1, 0);
      warnings.push({ code: 'slice-gap', message: `The series has ${gaps.length} gap(s) in slice positions (about ${missing} slice(s) missing); distances along z are not uniform there.` });
    }
    const irregular = diffs.filter((d) => d <= GAP_FACTOR * spacingZ && Math.abs(d - spacingZ) > Math.max(IRREGULAR_FRACTION * spacingZ, 0.01));
    if (irregular.length > 0) {
      warnings.push({ code: 'irregular-spacing', message: `Slice spacing is irregular: ${irregular.length} step(s) differ from the median ${spacingZ.toFixed(3)} mm by more than ${IRREGULAR_FRACTION * 100}%.` });
    }
    const along = sub(kept[kept.length - 1]!.slice.frame.positionLps!, kept[0]!.slice.frame.positionLps!);
    if (norm(along) > 0) {
      const cos = Math.min(1, Math.abs(dot(normalize(along), normal)));
      const degrees = (Math.acos(cos) * 180) / Math.PI;
      if (degrees > TILT_DEGREES) {
        warnings.push({ code: 'gantry-tilt', message: `The slices are stacked ${degrees.toFixed(1)}° off their normal (gantry tilt); the volume is treated as unsheared, so 3-D distances are approximate.` });
      }
    }
  }
  const plane = planeName(normal);
  if (plane !== 'axial') {
    warnings.push({ code: 'non-axial', message: `The series is ${plane}, not axial (slice normal ${normal.map((v) => v.toFixed(2)).join(', ')}); the detector expects axial slices.` });
  }

  const slices = kept.map((e) => e.slice);
  const originLps: Vec3 = slices[0]!.frame.positionLps ?? [0, 0, 0];
  if (!slices[0]!.frame.positionLps) {
    warnings.push({ code: 'missing-position', message: 'ImagePositionPatient is missing; the volume was placed at the origin.' });
  }
  return {
    studyInstanceUid: inst.studyInstanceUid,
    seriesInstanceUid: inst.seriesInstanceUid,
    modality: inst.modality,
    seriesDescription: inst.seriesDescription,
    patient: { ...inst.patient },
    folder: commonFolder(slices.map((s) => s.instance.path)),
    columns: inst.pixel.columns,
    rows: inst.pixel.rows,
    spacingMm: [pixelSpacing[1], pixelSpacing[0], spacingZ],
    originLps,
    direction: toDirection(row, column, normal),
    slices,
    transferSyntaxUids: [...new Set(slices.map((s) => s.instance.transferSyntaxUid))].sort(),
    warnings: dedupeWarnings(warnings),
  };
}

function dedupeWarnings(warnings: Warning[]): Warning[] {
  const seen = new Set<string>();
  return warnings.filter((w) => (seen.has(w.message) ? false : (seen.add(w.message), true)));
}
