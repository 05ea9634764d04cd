import { promises as fs } from 'node:fs';
import path from 'node:path';
import { uidGenerator, writeVolumeAsCtSeries } from '../dicom/write/index.js';
import { seededRandom } from '../util/seeded-random.js';
import { LungLensError } from '../errors.js';
import { writeNifti } from '../formats/index.js';
import { IngestPool } from '../ingest/ingest-pool.js';
import { Volume } from '../volume/volume.js';
import { loadBackground, INSERT_MARGIN_MM, type Background, type BackgroundRejection } from './backgrounds.js';
import { blobTextures } from './blobs.js';
import { planCovidLesions } from './covid-lesions.js';
import { insertLesions, LESION_TRUTH_HU, H_FILL, P_REF } from './insert-lesions.js';
import { planInsertions, type InsertionSpec } from './plan-insertions.js';
import { Rng } from './random.js';
import type { CovidFinding } from './types.js';
import type { PhantomLabelEntry } from './write-phantoms.js';

export interface InsertRunOptions {
  /** Real non-COVID series: a folder (its largest series is used) or a NIfTI/MetaImage file each. */
  backgrounds: string[];
  out: string;
  count: number;
  seed: number | string;
  positiveRate?: number;
  format?: 'dicom' | 'nifti';
  /** Threads that read the backgrounds (default: all cores). */
  workers?: number;
  onBackground?: (result: Background | BackgroundRejection, ms: number) => void;
  onCase?: (index: number, total: number, written: InsertedLabelEntry, ms: number) => void;
}

/** What labels.json records of a background: enough to find it again and to group cases by patient. */
export interface BackgroundRecord {
  index: number;
  path: string;
  seriesInstanceUid: string;
  studyInstanceUid: string;
  seriesDescription: string;
  /** Pseudonymous patient key: split training data by it (cases of one patient on one side). */
  patientKey: string;
  valueSha256: string;
  dimensions: [number, number, number];
  spacingMm: [number, number, number];
  sliceThicknessMm: number;
  thicknessSource: 'header' | 'spacing';
  convolutionKernel: string;
  lungVolumeMl: number;
  noiseHu: number | null;
  noiseCorrelation: [number, number] | null;
  blurSigmaPx: number | null;
}

/** A phantom's labels.json entry without its spec; `slicePositive[k]` is exactly `lesionVoxelsPerSlice[k] > 0`. */
export interface InsertedLabelEntry extends Pick<PhantomLabelEntry, 'id' | 'seriesInstanceUid' | 'label' | 'slicePositive' | 'lesionVoxelsPerSlice' | 'path'> {
  background: { index: number; path: string; seriesInstanceUid: string; patientKey: string };
  /** COVID-19 cases: what was inserted; null for negatives (the background unchanged). */
  insertion: { seed: number; findings: CovidFinding[]; extent: number; lesions: number; changedVoxels: number; maxRiseHu: number } | null;
}

export interface InsertedLabels {
  generator: {
    name: 'lunglens phantom';
    mode: 'insert';
    seed: number | string;
    count: number;
    positiveRate: number;
    format: 'dicom' | 'nifti';
    truth: { lesionThresholdHu: number; rule: string };
    blend: { parenchymaRefHu: number; fillHu: number; marginMm: number };
    backgrounds: BackgroundRecord[];
    rejected: BackgroundRejection[];
  };
  cases: InsertedLabelEntry[];
}

/** Tries per COVID case before giving up on drawing lesions that show (only a degenerate mask fails). */
const ATTEMPTS = 5;

/** Lossless for every Int16 HU: the background's values are written back exactly. */
const STORAGE = { signed: true, bitsStored: 16, slope: 1, intercept: 0 } as const;

/**
 * Writes `count` cases made from real non-COVID backgrounds: COVID-19 cases are a background with
 * the phantom's lesion patterns inserted inside its lungs (`insertLesions`), negatives the
 * background unchanged. Each background is read, its lung mask computed and its noise and blur
 * measured once. Then labels.json, last and atomically, with the truth and each case's background.
 * Backgrounds that cannot be used are reported and skipped; none usable is a usage error.
 */
export async function writeInserted(o: InsertRunOptions): Promise<InsertedLabels> {
  const positiveRate = o.positiveRate ?? 0.5;
  const format = o.format ?? 'dicom';
  if (o.backgrounds.length === 0) throw new LungLensError('usage', 'Give at least one background series (--background PATH).');
  const backgrounds: Background[] = [];
  const rejected: BackgroundRejection[] = [];
  const pool = new IngestPool(o.workers);
  try {
    for (const input of o.backgrounds) {
      const t0 = performance.now();
      const b = await loadBackground(input, backgrounds.length, pool);
      if ('volume' in b) backgrounds.push(b);
      else rejected.push(b);
      o.onBackground?.(b, performance.now() - t0);
    }
  } finally {
    await pool.close();
  }
  if (backgrounds.length === 0) {
    throw new LungLensError('usage', `None of the ${o.backgrounds.length} backgrounds can take lesions: ${rejected.map((r) => r.message).join(' ')}`);
  }
  const specs = planInsertions({ count: o.count, seed: o.seed, backgrounds: backgrounds.length, positiveRate });
  await fs.mkdir(o.out, { recursive: true });
  const cases: InsertedLabelEntry[] = [];
  // One case is written (compressed, flushed) while the next is computed: two cores at work.
  let writing: Promise<void> | null = null;
  for (const [index, spec] of specs.entries()) {
    const t0 = performance.now();
    const bg = backgrounds[spec.background]!;
    const made = makeCase(spec, bg);
    if (writing) await writing;
    const uid = uidGenerator({ random: seededRandom(`uids:insert:${String(o.seed)}:${spec.seed}`) });
    writing = writeCase(made.volume, spec, bg, uid, o.out, format).then((seriesInstanceUid) => {
      const entry: InsertedLabelEntry = {
        id: spec.id,
        seriesInstanceUid: format === 'dicom' ? seriesInstanceUid : '',
        label: spec.label,
        slicePositive: made.slicePositive,
        lesionVoxelsPerSlice: made.lesionVoxelsPerSlice,
        path: format === 'dicom' ? spec.id : `${spec.id}.nii.gz`,
        background: { index: bg.index, path: bg.path, seriesInstanceUid: bg.summary.seriesInstanceUid, patientKey: bg.patientKey },
        insertion: made.insertion,
      };
      cases.push(entry);
      o.onCase?.(index, specs.length, entry, performance.now() - t0);
    });
  }
  if (writing) await writing;
  const labels: InsertedLabels = {
    generator: {
      name: 'lunglens phantom',
      mode: 'insert',
      seed: o.seed,
      count: o.count,
      positiveRate,
      format,
      truth: {
        lesionThresholdHu: LESION_TRUTH_HU,
        rule: `a voxel is lesion where the written value exceeds the background's by at least ${LESION_TRUTH_HU} HU; slicePositive[k] is exactly lesionVoxelsPerSlice[k] > 0`,
      },
      blend: { parenchymaRefHu: P_REF, fillHu: H_FILL, marginMm: INSERT_MARGIN_MM },
      backgrounds: backgrounds.map(record),
      rejected,
    },
    cases,
  };
  const file = path.join(o.out, 'labels.json');
  await fs.writeFile(`${file}.tmp`, `${JSON.stringify(labels, null, 1)}\n`);
  await fs.rename(`${file}.tmp`, file);
  return labels;
}

interface MadeCase {
  volume: Volume;
  slicePositive: boolean[];
  lesionVoxelsPerSlice: number[];
  insertion: InsertedLabelEntry['insertion'];
}

/** A case's volume and truth: the background with lesions inserted, or untouched. */
export function makeCase(spec: InsertionSpec, bg: Background): MadeCase {
  const nz = bg.volume.dimensions[2];
  if (!spec.covid) {
    const zeros = new Array<number>(nz).fill(0);
    return { volume: bg.volume, slicePositive: zeros.map(() => false), lesionVoxelsPerSlice: zeros, insertion: null };
  }
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const rng = new Rng(attempt === 0 ? spec.seed : `${spec.seed}/attempt/${attempt}`);
    const blobs = planCovidLesions(rng.fork('covid'), bg.samples, spec.covid.findings, spec.covid.extent, 'v2');
    const tex = blobTextures(rng.fork('textures'), bg.volume.spacingMm[0], blobs);
    const inserted = insertLesions(bg.volume, bg.region, blobs, tex, {
      sliceThicknessMm: bg.sliceThicknessMm,
      blurSigmaPx: bg.profile.edgeSigmaPx ?? 0.8,
      noiseHu: bg.profile.noiseHu ?? 15,
    });
    if (!inserted.slicePositive.some(Boolean)) continue;
    const v = bg.volume;
    return {
      volume: Volume.create({ dimensions: v.dimensions, spacingMm: v.spacingMm, originLps: v.originLps, direction: v.direction, voxels: inserted.voxels, units: 'HU' }),
      slicePositive: inserted.slicePositive,
      lesionVoxelsPerSlice: inserted.lesionVoxelsPerSlice,
      insertion: {
        seed: spec.seed,
        findings: spec.covid.findings,
        extent: spec.covid.extent,
        lesions: blobs.length,
        changedVoxels: inserted.changedVoxels,
        maxRiseHu: Math.round(inserted.maxRiseHu),
      },
    };
  }
  throw new LungLensError('nothing-found', `No lesion of ${spec.id} reached ${LESION_TRUTH_HU} HU in ${bg.path} after ${ATTEMPTS} tries; its lung mask may be too small for lesions.`);
}

async function writeCase(volume: Volume, spec: InsertionSpec, bg: Background, uid: () => string, out: string, format: 'dicom' | 'nifti'): Promise<string> {
  const studyInstanceUid = uid();
  const seriesInstanceUid = uid();
  const frameOfReferenceUid = uid();
  if (format === 'nifti') {
    await writeNifti(path.join(out, `${spec.id}.nii.gz`), { geometry: volume, data: volume.voxels, description: `LungLens insertion ${spec.id}` });
    return seriesInstanceUid;
  }
  const number = spec.id.replace(/\D/g, '');
  await writeVolumeAsCtSeries(volume, path.join(out, spec.id), {
    identity: {
      studyInstanceUid,
      seriesInstanceUid,
      frameOfReferenceUid,
      patientName: 'LUNGLENS^INSERTED',
      // One patient per background (by its pseudonymous key): splits can group on PatientID too.
      patientId: `LL-BG-${bg.patientKey}`,
      // The same descriptions for positives and negatives: nothing in the header gives the label away.
      studyDescription: 'CT chest (real background, LungLens insertion)',
      seriesDescription: `${bg.summary.seriesDescription.trim() || 'CT'} (LungLens insertion)`.slice(0, 64),
      seriesNumber: 2,
      studyDate: '20200401',
      studyTime: '120000',
      accessionNumber: `LI${number}`,
      ...(bg.convolutionKernel ? { convolutionKernel: bg.convolutionKernel.slice(0, 16) } : {}),
    },
    storage: STORAGE,
    sliceThicknessMm: bg.sliceThicknessMm,
    uid,
    random: seededRandom(`files:insert:${spec.seed}`),
  });
  return seriesInstanceUid;
}

function record(b: Background): BackgroundRecord {
  return {
    index: b.index,
    path: b.path,
    seriesInstanceUid: b.summary.seriesInstanceUid,
    studyInstanceUid: b.summary.studyInstanceUid,
    seriesDescription: b.summary.seriesDescription,
    patientKey: b.patientKey,
    valueSha256: b.valueSha256,
    dimensions: [...b.volume.dimensions],
    spacingMm: [...b.volume.spacingMm],
    sliceThicknessMm: b.sliceThicknessMm,
    thicknessSource: b.thicknessSource,
    convolutionKernel: b.convolutionKernel,
    lungVolumeMl: Math.round(b.lungVolumeMl),
    noiseHu: b.profile.noiseHu === null ? null : Math.round(b.profile.noiseHu * 10) / 10,
    noiseCorrelation: b.profile.noiseCorrelation?.map((r) => Math.round(r * 1000) / 1000) as [number, number] | null,
    blurSigmaPx: b.profile.edgeSigmaPx === null ? null : Math.round(b.profile.edgeSigmaPx * 100) / 100,
  };
}
