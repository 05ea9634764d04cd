/**
 * Every pool of worker threads in LungLens (reading, model inputs, inference, the stochastic
 * enhancement, training tensors) is a `WorkerPool` over one worker module: a real module file
 * whose exported functions are the tasks, typed from that module.
 *
 *   const pool = new WorkerPool<typeof ReadWorker>(import.meta.url, './read-worker', { threads: 2 });
 *   const r = await pool.call('readHeaders', { paths });   // argument and result typed from the export
 *
 * The worker module sits beside the module that starts the pool and has its extension: `.js` in
 * the built code, `.ts` when LungLens runs from its sources (the test runner). Worker threads do
 * not inherit the parent's TypeScript loader on Node 20, so for `.ts` each worker registers tsx
 * before it loads its module — the one difference between the two, kept here.
 */
import { createRequire } from 'node:module';
import os from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ResourceLimits } from 'node:worker_threads';
import { Piscina } from 'piscina';

/** The names of a worker module's exported functions that take at most one argument (a task). */
export type TaskName<Api> = { [K in keyof Api]: Api[K] extends (...args: infer A) => unknown ? (A extends [] | [unknown] ? K : never) : never }[keyof Api] & string;
type TaskOf<F> = F extends (...args: infer A) => unknown ? A : never;
type ResultOf<Api, N extends keyof Api> = Api[N] extends (...args: never[]) => infer R ? Awaited<R> : never;

export interface WorkerPoolOptions {
  /** Threads started at once and kept (default: one per core). */
  threads?: number;
  /** An idle thread ends after this long (default 30 s; Infinity keeps it for the process). */
  idleTimeoutMs?: number;
  resourceLimits?: ResourceLimits;
}

/** One thread per core the process may use. */
export function defaultThreads(): number {
  return Math.max(1, os.availableParallelism());
}

export class WorkerPool<Api extends object> {
  private readonly piscina: Piscina;
  readonly threads: number;

  /** `caller` is the starting module's `import.meta.url`; `module` the worker's path beside it, without extension. */
  constructor(caller: string, module: string, options: WorkerPoolOptions = {}) {
    this.threads = Math.max(1, Math.floor(options.threads ?? defaultThreads()));
    this.piscina = new Piscina({
      ...workerModule(caller, module),
      minThreads: this.threads,
      maxThreads: this.threads,
      idleTimeout: options.idleTimeoutMs ?? 30_000,
      ...(options.resourceLimits ? { resourceLimits: options.resourceLimits } : {}),
    });
  }

  /** Runs the worker module's export `name` on a free thread (queued while every thread is busy). */
  call<N extends TaskName<Api>>(name: N, ...task: TaskOf<Api[N]>): Promise<ResultOf<Api, N>> {
    return this.piscina.run(task[0], { name }) as Promise<ResultOf<Api, N>>;
  }

  async close(): Promise<void> {
    await this.piscina.destroy();
  }
}

/**
 * The worker module `module` (a path without extension) beside `caller` (an `import.meta.url`),
 * with the extension of the caller, and the `execArgv` its thread needs to load it: the one way
 * LungLens starts a thread, for pools and for the backend's own thread alike.
 */
export function workerModule(caller: string, module: string): { filename: string; execArgv?: string[] } {
  const extension = caller.endsWith('.ts') ? '.ts' : '.js';
  const filename = fileURLToPath(new URL(`${module}${extension}`, caller));
  return extension === '.ts' ? { filename, execArgv: [...process.execArgv, '--import', typeScriptInWorkers()] } : { filename };
}

let tsxRegistration: string | undefined;

/** A module, given to each worker with `--import`, that registers tsx's loader in that thread. */
function typeScriptInWorkers(): string {
  if (!tsxRegistration) {
    const api = createRequire(import.meta.url).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs');
    tsxRegistration = `data:text/javascript,import{register}from${JSON.stringify(pathToFileURL(api).href)};register();`;
  }
  return tsxRegistration;
}
