import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import type * as IngestWorker from './ingest-worker.js';

type WorkerApi = typeof IngestWorker;
type TaskName = keyof WorkerApi;

/**
 * The worker threads that read and decode files, so that no caller's event loop blocks.
 * Typed: `pool.call('readHeaders', task)` has the argument and result types of the worker's
 * exported function of that name.
 */
export class IngestPool {
  private readonly piscina: Piscina;
  readonly threads: number;

  constructor(threads = defaultThreads()) {
    this.threads = Math.max(1, Math.floor(threads));
    const self = import.meta.url;
    // Under the test runner the sources are TypeScript: a shim loads them through tsx.
    const fromSource = self.endsWith('.ts');
    const filename = fileURLToPath(new URL(fromSource ? './ingest-worker.source.mjs' : './ingest-worker.js', self));
    this.piscina = new Piscina({
      filename,
      minThreads: this.threads,
      maxThreads: this.threads,
      idleTimeout: 30_000,
      // Decoders allocate per frame; a hostile file must not take the whole machine.
      resourceLimits: { maxOldGenerationSizeMb: 1024 },
    });
  }

  call<N extends TaskName>(name: N, task: Parameters<WorkerApi[N]>[0]): ReturnType<WorkerApi[N]> {
    return this.piscina.run(task, { name }) as ReturnType<WorkerApi[N]>;
  }

  async close(): Promise<void> {
    await this.piscina.destroy();
  }
}

export function defaultThreads(): number {
  return Math.max(1, os.availableParallelism());
}
