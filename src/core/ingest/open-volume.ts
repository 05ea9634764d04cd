import type { Rejection } from '../errors.js';
import type { Vec3 } from '../geometry/vec3.js';
import type { Volume } from '../volume/volume.js';
import { readSeries } from './read-series.js';
import type { SeriesSummary } from './types.js';
import { IngestPool } from './ingest-pool.js';

export interface OpenedVolume {
  /** The largest series found (by voxel count), or null when nothing usable was found. */
  series: { summary: SeriesSummary; volume: Volume } | null;
  /** Every series found, largest or not. */
  found: SeriesSummary[];
  rejected: Rejection[];
}

/**
 * Reads the series under the given paths and keeps the largest one's Volume — what the
 * single-volume commands (`lunglens mask`, `lunglens enhance`) work on. Series are read one at a
 * time, so at most two volumes are in memory.
 */
export async function openLargestVolume(paths: string[], options: { workers?: number; spacingMm?: Vec3 } = {}): Promise<OpenedVolume> {
  const pool = new IngestPool(options.workers);
  let largest: OpenedVolume['series'] = null;
  try {
    const result = await readSeries(paths, pool, {
      ...(options.spacingMm ? { spacingMm: options.spacingMm } : {}),
      onVolume: (summary, volume) => {
        if (!largest || volume.voxels.length > largest.volume.voxels.length) largest = { summary, volume };
      },
    });
    return { series: largest, found: result.series, rejected: result.rejected };
  } finally {
    await pool.close();
  }
}
