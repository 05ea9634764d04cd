import type { DicomSeriesIdentity } from '../ingest/dicom-identity.js';
import type { Volume } from '../volume/volume.js';
import { resultInputSchema, type ResultAnalysis, type ResultInput, type ResultModel } from './types.js';
import { LungLensError } from '../errors.js';

export interface ResultInputParts {
  /** The series' DICOM identity, as the reader hands it to `onVolume` with the volume. */
  dicom: DicomSeriesIdentity;
  volume: Volume;
  analysis: ResultAnalysis;
  model: ResultModel;
  softwareVersion: string;
  createdAt?: Date;
  institutionName?: string;
}

/**
 * The result objects' input from what the reader and the analysis produce, validated: a mismatch
 * (a mask of another grid, attention of another length) is a `bad-result-input` error that names it.
 */
export function resultInput(p: ResultInputParts): ResultInput {
  const [columns, rows] = p.volume.dimensions;
  const candidate = {
    series: p.dicom,
    geometry: { columns, rows, spacingMm: [...p.volume.spacingMm], originLps: [...p.volume.originLps], direction: [...p.volume.direction] },
    analysis: p.analysis,
    model: p.model,
    createdAt: p.createdAt ?? new Date(),
    softwareVersion: p.softwareVersion,
    ...(p.institutionName ? { institutionName: p.institutionName } : {}),
  };
  return parseResultInput(candidate);
}

export function parseResultInput(candidate: unknown): ResultInput {
  const parsed = resultInputSchema.safeParse(candidate);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new LungLensError('bad-result-input', `The result objects cannot be written: ${issue.path.join('.')}: ${issue.message}`);
  }
  return parsed.data;
}
