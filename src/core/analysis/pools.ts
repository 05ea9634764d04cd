import { IngestPool } from '../ingest/ingest-pool.js';
import { readSeries, type ReadSeriesOptions } from '../ingest/read-series.js';
import type { InspectResult } from '../ingest/types.js';
import { ComputePool } from './compute-pool.js';

/**
 * The threads an analysis runs on, started at once: reading (default: one per core) and the model
 * inputs (two: a volume's slices beside its lung mask, then the mask's last parts on both). Made
 * before the model loads, they start beside it; a process that analyses again (the app, a batch,
 * a DICOM node) keeps them, and their code stays compiled.
 */
export class AnalysisPools {
  readonly read: IngestPool;
  readonly compute: ComputePool;

  constructor(readers?: number) {
    this.read = new IngestPool(readers);
    this.compute = new ComputePool(2);
  }

  /** Every series under the paths, read whole one after another on the reading threads (ingest/read-series.ts). */
  readSeries(paths: string[], options: ReadSeriesOptions = {}): Promise<InspectResult> {
    return readSeries(paths, this.read, options);
  }

  async close(): Promise<void> {
    await Promise.all([this.read.close(), this.compute.close()]);
  }
}
