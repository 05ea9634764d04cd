/**
 * Test-only: a source series read through the real reader (so the per-slice identity comes from
 * the files, as in the app), and an analysis of it with the given figures and a lung mask.
 */
import type { DicomSeriesIdentity } from '../ingest/dicom-identity.js';
import { readSeries } from '../ingest/read-series.js';
import type { SeriesSummary } from '../ingest/types.js';
import { IngestPool } from '../ingest/ingest-pool.js';
import type { Volume } from '../volume/volume.js';
import { resultInput, type ResultAnalysis, type ResultInput } from '../dicom-results/index.js';

export interface ReadSource {
  summary: SeriesSummary;
  volume: Volume;
  dicom: DicomSeriesIdentity;
}

/** The largest DICOM series under `paths`, with its identity. */
export async function readSource(paths: string[]): Promise<ReadSource> {
  const pool = new IngestPool(1);
  let best: ReadSource | null = null;
  try {
    await readSeries(paths, pool, {
      onVolume: (summary, volume, dicom) => {
        if (dicom && (!best || volume.voxels.length > best.volume.voxels.length)) best = { summary, volume, dicom };
      },
    });
  } finally {
    await pool.close();
  }
  if (!best) throw new Error(`no DICOM series under ${paths.join(', ')}`);
  return best;
}

export const TEST_MODEL = { name: 'lunglens-compact', version: '1.2.0', sha256: '5'.repeat(64) } as const;

/**
 * An analysis with attention rising along the scan, the given verdict and mask. The figures are
 * a fixture for the writers, not a model's output.
 */
export function fixtureAnalysis(slices: number, mask: Uint8Array | null, o: Partial<ResultAnalysis> = {}): ResultAnalysis {
  const total = (slices * (slices + 1)) / 2;
  const sliceAttention = Array.from({ length: slices }, (_, k) => (k + 1) / total);
  const topSlices = Array.from({ length: Math.min(5, slices) }, (_, i) => slices - 1 - i);
  return {
    probability: 0.8734,
    verdict: 'covid',
    reasons: [],
    threshold: 0.5,
    sliceAttention,
    slicePositive: sliceAttention.map((a) => a * slices > 1.2),
    topSlices,
    lungMask: mask,
    lungVolumeMl: 812.5,
    ...o,
  };
}

export function fixtureInput(source: ReadSource, analysis: ResultAnalysis, createdAt = new Date(2026, 11, 6, 10, 30, 0)): ResultInput {
  return resultInput({ dicom: source.dicom, volume: source.volume, analysis, model: { ...TEST_MODEL }, softwareVersion: '0.1.0', createdAt, institutionName: 'Test Hospital' });
}

/** Voxels in the lung HU range of the synthetic series (−850 ± its texture): its lungs, exactly. */
export function syntheticLungMask(volume: Volume): Uint8Array {
  const mask = new Uint8Array(volume.voxels.length);
  for (let i = 0; i < mask.length; i++) mask[i] = volume.voxels[i]! > -900 && volume.voxels[i]! < -800 ? 1 : 0;
  return mask;
}
