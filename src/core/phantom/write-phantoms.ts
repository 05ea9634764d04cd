import { promises as fs } from 'node:fs';
import path from 'node:path';
import { uidGenerator, writeVolumeAsCtSeries, type CtStorage } from '../dicom/write/index.js';
import { seededRandom } from '../util/seeded-random.js';
import { writeNifti } from '../formats/index.js';
import { generateCase } from './generate.js';
import { planCases } from './plan.js';
import { writePngStack, type PngWindow } from './write-png-stack.js';
import type { PhantomCase, PhantomCaseSpec, PhantomLabel } from './types.js';

export interface PhantomRunOptions {
  out: string;
  count: number;
  seed: number | string;
  positiveRate?: number;
  size?: number;
  /** [min, max] slices per case. */
  slices?: [number, number];
  format?: 'dicom' | 'nifti' | 'png';
  /** The display window of a PNG stack (`format: 'png'`; default lung). */
  window?: PngWindow;
  /** `v1` (default): the generator the shipped model was trained on; `v2`: real scanners' variety. */
  realism?: 'v1' | 'v2';
  /** Called after each case is written. */
  onCase?: (index: number, total: number, written: PhantomLabelEntry) => void;
}

/** One case of `labels.json` (DESIGN.md §3, plus what the generator knows besides). */
export interface PhantomLabelEntry {
  id: string;
  seriesInstanceUid: string;
  label: PhantomLabel;
  /** Per slice, in slice-index order (inferior → superior). */
  slicePositive: boolean[];
  lesionVoxelsPerSlice: number[];
  /** The series folder (DICOM, PNG) or file (NIfTI), relative to labels.json. */
  path: string;
  spec: PhantomCaseSpec;
  /**
   * PNG stacks only: what the files no longer carry — the voxel spacing (mm) and the true lung
   * volume (mL, from the lung truth mask) — so that estimates can be checked against it.
   */
  truth?: { spacingMm: [number, number, number]; lungVolumeMl: number; window: PngWindow };
}

export interface PhantomLabels {
  /**
   * `realism` is present only for v2 and `window` only for png (a v1 DICOM or NIfTI labels.json is
   * byte for byte what it always was).
   */
  generator: { name: 'lunglens phantom'; seed: number | string; count: number; positiveRate: number; size: number; slices: [number, number]; format: 'dicom' | 'nifti' | 'png'; window?: PngWindow; realism?: 'v2' };
  cases: PhantomLabelEntry[];
}

/** What a scanner stores: HU below −1024 (air with noise) and above 3071 are cut off. */
export const SCANNER_HU_RANGE: [number, number] = [-1024, 3071];

function storageOf(spec: PhantomCaseSpec): CtStorage {
  const outside = spec.v2?.outsideHu ?? -1024;
  const padding = spec.v2?.paddingDeclared ? { pixelPaddingValue: outside } : {};
  if (spec.storage === 'unsigned') {
    // Below −1024 outside the circle: a larger range, as scanners that pad with −2000/−3024 use.
    return outside < -1024
      ? { signed: false, bitsStored: 16, slope: 1, intercept: -32768, ...(spec.v2?.paddingDeclared ? { pixelPaddingValue: outside + 32768 } : {}) }
      : { signed: false, bitsStored: 12, slope: 1, intercept: -1024 };
  }
  return { signed: true, bitsStored: 16, slope: 1, intercept: 0, ...padding };
}

/**
 * Clamps the case's volume to what a scanner stores, in place, so the files hold exactly the
 * truth. v2 scanners clamp inside their circle already and keep their padding value outside it.
 */
function clampToScannerRange(c: PhantomCase): void {
  if (c.spec.v2) return;
  const [low, high] = SCANNER_HU_RANGE;
  const v = c.volume.voxels;
  for (let i = 0; i < v.length; i++) {
    const x = v[i]!;
    if (x < low) v[i] = low;
    else if (x > high) v[i] = high;
  }
}

const KERNEL_NAME = { smooth: 'B30f', standard: 'B45f', sharp: 'B70f' } as const;

function pngTruth(c: PhantomCase, window: PngWindow): NonNullable<PhantomLabelEntry['truth']> {
  const [sx, sy, sz] = c.volume.spacingMm;
  let voxels = 0;
  for (const m of c.lungMask) voxels += m;
  return { spacingMm: [sx, sy, sz], lungVolumeMl: Math.round((voxels * sx * sy * sz) / 100) / 10, window };
}

/**
 * Generates one case and writes it into `out` (a DICOM series folder, a .nii.gz, or a folder of
 * 8-bit PNG slices in `window`, named by its id); returns its labels.json entry.
 */
export async function writePhantomCase(spec: PhantomCaseSpec, out: string, format: 'dicom' | 'nifti' | 'png', window: PngWindow = 'lung'): Promise<PhantomLabelEntry> {
  const generated = generateCase(spec);
  clampToScannerRange(generated);
  const uid = uidGenerator({ random: seededRandom(`uids:${spec.seed}`) });
  const studyInstanceUid = uid();
  const seriesInstanceUid = uid();
  const frameOfReferenceUid = uid();
  const number = spec.id.replace(/\D/g, '');
  let relative: string;
  if (format === 'dicom') {
    relative = spec.id;
    await writeVolumeAsCtSeries(generated.volume, path.join(out, relative), {
      identity: {
        studyInstanceUid,
        seriesInstanceUid,
        frameOfReferenceUid,
        patientName: `PHANTOM^CASE${number}`,
        patientId: `LL-PHANTOM-${number}`,
        studyDescription: 'CT chest (LungLens phantom)',
        seriesDescription: `Chest ${spec.sliceThicknessMm} mm ${spec.kernel} (phantom)`,
        seriesNumber: 2,
        studyDate: '20200401',
        studyTime: '120000',
        accessionNumber: `PH${number}`,
        convolutionKernel: KERNEL_NAME[spec.kernel],
      },
      ...(spec.v2?.position === 'prone' ? { extra: { PatientPosition: 'HFP' } } : {}),
      storage: storageOf(spec),
      sliceThicknessMm: spec.sliceThicknessMm,
      uid,
      random: seededRandom(`files:${spec.seed}`),
      fileNames: 'shuffled',
      instanceNumbers: 'shuffled',
    });
  } else if (format === 'png') {
    relative = spec.id;
    await writePngStack(generated.volume, path.join(out, relative), { window });
  } else {
    relative = `${spec.id}.nii.gz`;
    await writeNifti(path.join(out, relative), { geometry: generated.volume, data: generated.volume.voxels, description: `LungLens phantom ${spec.id}` });
  }
  return {
    id: spec.id,
    seriesInstanceUid,
    label: spec.label,
    slicePositive: generated.slicePositive,
    lesionVoxelsPerSlice: generated.lesionVoxelsPerSlice,
    path: relative,
    spec,
    ...(format === 'png' ? { truth: pngTruth(generated, window) } : {}),
  };
}

/**
 * Writes `count` synthetic chest CT cases into `out` (one DICOM series folder, NIfTI file or PNG
 * folder each) and `out/labels.json`, deterministically for the seed. Cases are generated and written
 * one at a time, so memory holds one case; labels.json is written last, atomically.
 */
export async function writePhantoms(o: PhantomRunOptions): Promise<PhantomLabels> {
  const positiveRate = o.positiveRate ?? 0.5;
  const size = o.size ?? 512;
  const format = o.format ?? 'dicom';
  const v2 = o.realism === 'v2';
  const slices = o.slices ?? (v2 ? [20, 200] : [60, 160]);
  const specs = planCases({ count: o.count, seed: o.seed, positiveRate, size, slices, realism: o.realism ?? 'v1' });
  await fs.mkdir(o.out, { recursive: true });
  const cases: PhantomLabelEntry[] = [];
  for (const [index, spec] of specs.entries()) {
    const entry = await writePhantomCase(spec, o.out, format, o.window ?? 'lung');
    cases.push(entry);
    o.onCase?.(index, specs.length, entry);
  }
  const labels: PhantomLabels = {
    generator: {
      name: 'lunglens phantom', seed: o.seed, count: o.count, positiveRate, size, slices, format,
      ...(format === 'png' ? { window: o.window ?? 'lung' } : {}),
      ...(v2 ? { realism: 'v2' as const } : {}),
    },
    cases,
  };
  const file = path.join(o.out, 'labels.json');
  await fs.writeFile(`${file}.tmp`, `${JSON.stringify(labels, null, 1)}\n`);
  await fs.rename(`${file}.tmp`, file);
  return labels;
}
