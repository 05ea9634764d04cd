/**
 * The lung mask of a sparse set (Volume.contiguous false: a few slices far apart, or slices of
 * different patients): neighbouring slices are not neighbours in the body, so the recipe's 3-D
 * components would join one slice's lungs to the next one's outside air. Each slice is masked
 * as a volume of its own and the results put back together.
 */
import { Volume } from '../volume/volume.js';
import type { LungMaskResult } from './lung-mask.js';

export function lungMaskPerSlice(volume: Volume, maskOf: (slice: Volume) => LungMaskResult): LungMaskResult {
  const [nx, ny, nz] = volume.dimensions;
  const n = nx * ny;
  const mask = new Uint8Array(n * nz);
  const dilatedMask = new Uint8Array(n * nz);
  const sliceAreaMm2 = new Float64Array(nz);
  const timingsMs: Record<string, number> = {};
  let lungVolumeMl = 0;
  let slicesWithLung = 0;
  let lungCount = 0;
  let gridFactor = 1;
  let failure: LungMaskResult | undefined;
  let warnings: LungMaskResult['warnings'];
  for (let k = 0; k < nz; k++) {
    const slice = Volume.create({ ...volume.provenance, dimensions: [nx, ny, 1], spacingMm: volume.spacingMm, originLps: volume.voxelToLps(0, 0, k), direction: volume.direction, voxels: volume.slice(k) });
    const r = maskOf(slice);
    for (const [stage, ms] of Object.entries(r.timingsMs)) timingsMs[stage] = Math.round(((timingsMs[stage] ?? 0) + ms) * 10) / 10;
    gridFactor = r.gridFactor;
    if (r.status !== 'ok') {
      failure ??= r;
      continue;
    }
    mask.set(r.mask, k * n);
    dilatedMask.set(r.dilatedMask, k * n);
    sliceAreaMm2[k] = r.sliceAreaMm2[0]!;
    lungVolumeMl += r.lungVolumeMl;
    slicesWithLung += r.slicesWithLung;
    lungCount = Math.max(lungCount, r.lungCount);
    warnings ??= r.warnings;
  }
  const base = { mask, dilatedMask, lungVolumeMl, sliceAreaMm2, slicesWithLung, gridFactor, lungCount, candidates: [], timingsMs, ...(warnings ? { warnings } : {}) };
  if (slicesWithLung > 0 || !failure) return { status: 'ok', ...base };
  return { ...base, status: failure.status, ...(failure.reason ? { reason: failure.reason } : {}) };
}
