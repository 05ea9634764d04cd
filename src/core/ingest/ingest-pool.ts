import { WorkerPool } from '../workers/worker-pool.js';
import type * as IngestWorker from './ingest-worker.js';

/**
 * The worker threads that read and decode files (ingest-worker.ts), so that no caller's event loop
 * blocks: `pool.call('readHeaders', task)` has the types of the worker's export of that name.
 */
export class IngestPool extends WorkerPool<typeof IngestWorker> {
  constructor(threads?: number) {
    // Decoders allocate per frame; a hostile file must not take the whole machine.
    super(import.meta.url, './ingest-worker', { ...(threads !== undefined ? { threads } : {}), resourceLimits: { maxOldGenerationSizeMb: 1024 } });
  }
}
