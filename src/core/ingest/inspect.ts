import { IngestPool } from './ingest-pool.js';
import { readSeries } from './read-series.js';
import type { InspectOptions, InspectResult } from './types.js';

/**
 * Finds every series under the given paths, reads each one whole and summarises it
 * (`lunglens inspect`, DESIGN.md §3). One bad file or series becomes a rejection; nothing throws
 * for bad input.
 */
export async function inspectPaths(paths: string[], options: InspectOptions = {}): Promise<InspectResult> {
  const pool = new IngestPool(options.workers);
  try {
    return await readSeries(paths, pool, options);
  } finally {
    await pool.close();
  }
}
