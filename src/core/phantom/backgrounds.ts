import { createHash } from 'node:crypto';
import path from 'node:path';
import { parseDicomBytes } from '../dicom/parse.js';
import { valueSha256 } from '../ingest/checksum.js';
import { readSeries } from '../ingest/read-series.js';
import { readPrefix } from '../ingest/read-prefix.js';
import type { SeriesSummary } from '../ingest/types.js';
import type { IngestPool } from '../ingest/ingest-pool.js';
import { computeLungMask } from '../lung/index.js';
import type { Volume } from '../volume/volume.js';
import { chamferDistance, type LungSamples } from './lung-samples.js';
import { gridOrientation, sampleMaskLungs } from './mask-samples.js';
import { profileScan, type ScanProfile } from './scan-profile.js';

/** Lesions may reach this far (mm, in-plane) beyond the lung mask: up to the pleura it stops short of. */
export const INSERT_MARGIN_MM = 3;

/** A real series ready to take lesions: read, its lungs found and sampled, its noise and blur measured — once. */
export interface Background {
  index: number;
  /** The path given (resolved). */
  path: string;
  summary: SeriesSummary;
  volume: Volume;
  /** Where lesions may go: the lung mask grown by INSERT_MARGIN_MM in-plane. */
  region: Uint8Array;
  samples: LungSamples;
  profile: ScanProfile;
  /** SliceThickness from the header, else the slice spacing. */
  sliceThicknessMm: number;
  thicknessSource: 'header' | 'spacing';
  convolutionKernel: string;
  lungVolumeMl: number;
  /** SHA-256 of the voxel values (DESIGN.md §3 `valueSha256`): proves which volume was used. */
  valueSha256: string;
  /** A pseudonymous key of the patient (hash of PatientID and PatientName, else of the study): group by it when splitting. */
  patientKey: string;
}

export interface BackgroundRejection {
  path: string;
  code: 'nothing-found' | 'not-hu' | 'no-lung-found' | 'unsupported-geometry';
  message: string;
}

/**
 * Reads one background (the largest series under `input`, as the single-volume commands do),
 * finds its lungs (`src/core/lung`), samples them, profiles its noise and blur. Never throws for
 * bad input: an unusable series is a rejection with a sentence.
 */
export async function loadBackground(input: string, index: number, pool: IngestPool): Promise<Background | BackgroundRejection> {
  const resolved = path.resolve(input);
  let largest: { summary: SeriesSummary; volume: Volume } | null = null;
  const result = await readSeries([resolved], pool, {
    onVolume: (summary, volume) => {
      if (!largest || volume.voxels.length > largest.volume.voxels.length) largest = { summary, volume };
    },
  });
  const found = largest as { summary: SeriesSummary; volume: Volume } | null;
  if (!found) {
    const why = result.rejected[0]?.message ?? 'no image series was found there';
    return { path: resolved, code: 'nothing-found', message: `No usable CT series under ${resolved}: ${why}` };
  }
  const { summary, volume } = found;
  const reject = (code: BackgroundRejection['code'], message: string): BackgroundRejection => ({ path: resolved, code, message });
  if (volume.units !== 'HU') return reject('not-hu', `${resolved} is not calibrated in HU (${summary.source}); lesions are defined in HU.`);
  const orientation = gridOrientation(volume.direction);
  if (!orientation) return reject('unsupported-geometry', `${resolved} is not an axial series; lesions are inserted slice by slice into axial CT.`);
  const [sx, sy] = volume.spacingMm;
  if (Math.abs(sx - sy) > 0.01 * sx) return reject('unsupported-geometry', `${resolved} has non-square pixels (${sx} × ${sy} mm); lesions are drawn on square pixels.`);
  const lungs = computeLungMask(volume);
  if (lungs.status !== 'ok') return reject(lungs.status, `No lungs found in ${resolved}: ${lungs.reason ?? lungs.status}`);
  const header = summary.source === 'dicom' ? headerFacts(summary.files[0]) : { thicknessMm: null, kernel: '' };
  const thickness = header.thicknessMm !== null && header.thicknessMm > 0 ? header.thicknessMm : null;
  const patientKey = createHash('sha256').update(summary.patient.id || summary.patient.name ? `${summary.patient.id}|${summary.patient.name}` : `study:${summary.studyInstanceUid}|${resolved}`).digest('hex').slice(0, 16);
  return {
    index,
    path: resolved,
    summary,
    volume,
    region: growInPlane(lungs.mask, volume.dimensions, sx, INSERT_MARGIN_MM),
    samples: sampleMaskLungs(lungs.mask, volume.dimensions, volume.spacingMm, orientation),
    profile: profileScan(volume),
    sliceThicknessMm: thickness ?? volume.spacingMm[2],
    thicknessSource: thickness !== null ? 'header' : 'spacing',
    convolutionKernel: header.kernel,
    lungVolumeMl: lungs.lungVolumeMl,
    valueSha256: await valueSha256(volume.voxels),
    patientKey,
  };
}

/** SliceThickness and ConvolutionKernel of the series' first file (the volume does not keep them). */
function headerFacts(file: string | undefined): { thicknessMm: number | null; kernel: string } {
  if (!file) return { thicknessMm: null, kernel: '' };
  try {
    const ds = parseDicomBytes(readPrefix(file, 64 * 1024), { headerOnly: true });
    const t = Number(ds.string('x00180050'));
    return { thicknessMm: Number.isFinite(t) ? t : null, kernel: (ds.string('x00181210') ?? '').trim() };
  } catch {
    return { thicknessMm: null, kernel: '' };
  }
}

/** The mask grown by `mm` within each slice (chamfer distance ≤ mm). */
export function growInPlane(mask: Uint8Array, [nx, ny, nz]: readonly [number, number, number], spacingMm: number, mm: number): Uint8Array {
  const out = new Uint8Array(mask);
  const limit = mm / spacingMm;
  // One pixel of border so the chamfer's untouched edge is outside the image.
  const w = nx + 2;
  const h = ny + 2;
  const d = new Float32Array(w * h);
  const area = nx * ny;
  for (let k = 0; k < nz; k++) {
    const base = k * area;
    let any = false;
    for (let q = base; q < base + area && !any; q++) any = mask[q] === 1;
    if (!any) continue;
    d.fill(1e6);
    for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) if (mask[base + j * nx + i] === 1) d[(j + 1) * w + i + 1] = 0;
    chamferDistance(d, w, h);
    for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) if (d[(j + 1) * w + i + 1]! <= limit) out[base + j * nx + i] = 1;
  }
  return out;
}
