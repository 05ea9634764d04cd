import { promises as fs } from 'node:fs';
import path from 'node:path';
import { uidGenerator, writeVolumeAsCtSeries, type CtStorage } from '../dicom/write/index.js';
import { seededRandom } from '../util/seeded-random.js';
import { writeNifti } from '../formats/nifti-write.js';
import { generateCase } from './generate.js';
import { planCases } from './plan.js';
import type { PhantomCase, PhantomCaseSpec, PhantomLabel } from './types.js';

export interface PhantomRunOptions {
  out: string;
  count: number;
  seed: number | string;
  positiveRate?: number;
  size?: number;
  /** [min, max] slices per case. */
  slices?: [number, number];
  format?: 'dicom' | 'nifti';
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
  /** The series folder (DICOM) or file (NIfTI), relative to labels.json. */
  path: string;
  spec: PhantomCaseSpec;
}

export interface PhantomLabels {
  generator: { name: 'lunglens phantom'; seed: number | string; count: number; positiveRate: number; size: number; slices: [number, number]; format: 'dicom' | 'nifti' };
  cases: PhantomLabelEntry[];
}

/** What a scanner stores: HU below −1024 (air with noise) and above 3071 are cut off. */
export const SCANNER_HU_RANGE: [number, number] = [-1024, 3071];

function storageOf(spec: PhantomCaseSpec): CtStorage {
  return spec.storage === 'unsigned'
    ? { signed: false, bitsStored: 12, slope: 1, intercept: -1024 }
    : { signed: true, bitsStored: 16, slope: 1, intercept: 0 };
}

/** Clamps the case's volume to what a scanner stores, in place, so the files hold exactly the truth. */
function clampToScannerRange(c: PhantomCase): void {
  const [low, high] = SCANNER_HU_RANGE;
  const v = c.volume.voxels;
  for (let i = 0; i < v.length; i++) {
    const x = v[i]!;
    if (x < low) v[i] = low;
    else if (x > high) v[i] = high;
  }
}

const KERNEL_NAME = { smooth: 'B30f', sharp: 'B70f' } as const;

/**
 * Writes `count` synthetic chest CT cases into `out` (one DICOM series folder or one NIfTI file
 * each) and `out/labels.json`, deterministically for the seed. Cases are generated and written
 * one at a time, so memory holds one case; labels.json is written last, atomically.
 */
export async function writePhantoms(o: PhantomRunOptions): Promise<PhantomLabels> {
  const positiveRate = o.positiveRate ?? 0.5;
  const size = o.size ?? 512;
  const slices = o.slices ?? [60, 160];
  const format = o.format ?? 'dicom';
  const specs = planCases({ count: o.count, seed: o.seed, positiveRate, size, slices });
  await fs.mkdir(o.out, { recursive: true });
  const cases: PhantomLabelEntry[] = [];
  for (const [index, spec] of specs.entries()) {
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
      await writeVolumeAsCtSeries(generated.volume, path.join(o.out, relative), {
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
        storage: storageOf(spec),
        sliceThicknessMm: spec.sliceThicknessMm,
        uid,
        random: seededRandom(`files:${spec.seed}`),
        fileNames: 'shuffled',
        instanceNumbers: 'shuffled',
      });
    } else {
      relative = `${spec.id}.nii.gz`;
      await writeNifti(path.join(o.out, relative), { geometry: generated.volume, data: generated.volume.voxels, description: `LungLens phantom ${spec.id}` });
    }
    const entry: PhantomLabelEntry = {
      id: spec.id,
      seriesInstanceUid,
      label: spec.label,
      slicePositive: generated.slicePositive,
      lesionVoxelsPerSlice: generated.lesionVoxelsPerSlice,
      path: relative,
      spec,
    };
    cases.push(entry);
    o.onCase?.(index, specs.length, entry);
  }
  const labels: PhantomLabels = {
    generator: { name: 'lunglens phantom', seed: o.seed, count: o.count, positiveRate, size, slices, format },
    cases,
  };
  const file = path.join(o.out, 'labels.json');
  await fs.writeFile(`${file}.tmp`, `${JSON.stringify(labels, null, 1)}\n`);
  await fs.rename(`${file}.tmp`, file);
  return labels;
}
