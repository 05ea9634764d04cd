/**
 * The worker threads of the stochastic enhancement (stochastic-worker.ts): one module-level pool,
 * started on first use (or ahead of time by `warmUpStochastic`) and kept for the life of the
 * process, so an app's first preview does not pay thread start-up (≈ 50–60 ms per worker here)
 * and later enhancers reuse threads whose kernel code V8 has already optimised. Idle threads
 * never keep the process alive.
 *
 * A round is one task per thread with the enhancer's shared memory and the compiled module (both
 * shared, nothing copied); each task runs rows until the round's counter runs out, in its own
 * scratch slot, so which thread runs which task never changes the sums.
 */
import { WorkerPool, defaultThreads } from '../workers/worker-pool.js';
import { COUNTER_BYTE, KernelMemory, stochasticModule, type SharedWasmMemory } from './stochastic-kernel.js';
import { DEFAULT_STOCHASTIC } from './stochastic-params.js';
import { chainConstants } from './stochastic-reference.js';
import type * as StochasticWorker from './stochastic-worker.js';

interface Pool {
  workers: WorkerPool<typeof StochasticWorker>;
  rounds: number;
}

let current: Pool | undefined;

/** Starts the pool's threads (in the background) so that it has at least `threads` of them. */
export function ensureWorkers(threads: number): void {
  stochasticModule();
  if (current && current.workers.threads >= threads) return;
  const retired = current;
  current = { workers: new WorkerPool<typeof StochasticWorker>(import.meta.url, './stochastic-worker', { threads, idleTimeoutMs: Infinity }), rounds: 0 };
  // A smaller pool of earlier enhancers ends once its rounds are done.
  if (retired && retired.rounds === 0) void retired.workers.close();
  else if (retired) retiring.add(retired);
}

const retiring = new Set<Pool>();

let warming: Promise<void> | undefined;

/**
 * Starts the pool (default: one worker per core) and runs a small enhancement on it, so that V8
 * has compiled the kernel's optimised code before the first real one: call it early (e.g. when
 * the app starts) and an enhancement's first preview pays neither thread start-up nor the
 * kernel's first, unoptimised runs. Resolves when that is done (awaiting it is optional: an
 * enhancer starts the workers anyway).
 */
export function warmUpStochastic(threads: number = defaultThreads()): Promise<void> {
  ensureWorkers(threads);
  if (!warming) {
    const side = 48;
    const image = Float32Array.from({ length: side * side }, (_, i) => ((i * 2654435761) >>> 20) / 4096);
    const kernel = new KernelMemory(image, side, side, threads);
    const p = DEFAULT_STOCHASTIC;
    kernel.setParams(p.samples, p.radiusInnerPx, p.radiusOuterPx, p.seed, chainConstants(p));
    const gridRows = kernel.setRound({ chainStart: 0, chainEnd: 1, step: 1, target: 'main' });
    warming = runOnPool(threads, kernel.memory, kernel.jobPtr, gridRows, (slot) => kernel.scratch(slot)).then(
      () => undefined,
      () => undefined,
    );
  }
  return warming;
}

/** Runs one round as `threads` tasks (task k uses scratch slot k); resolves to the samples read. */
export async function runOnPool(threads: number, memory: SharedWasmMemory, job: number, gridRows: number, scratch: (slot: number) => number): Promise<number> {
  ensureWorkers(threads);
  const pool = current!;
  const module = stochasticModule();
  pool.rounds++;
  try {
    const reads = await Promise.all(Array.from({ length: threads }, (_, slot) => pool.workers.call('runRound', { module, memory, counterByte: COUNTER_BYTE, gridRows, job, scratch: scratch(slot) })));
    return reads.reduce((a, b) => a + b, 0);
  } finally {
    if (--pool.rounds === 0 && retiring.delete(pool)) void pool.workers.close();
  }
}
