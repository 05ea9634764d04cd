/**
 * The worker threads of the stochastic enhancement: one module-level pool, started on first use
 * (or ahead of time by `warmUpStochastic`) and kept for the life of the process, so an app's
 * first preview does not pay thread start-up (≈ 50–60 ms per worker here) and later enhancers
 * reuse threads whose kernel code V8 has already optimised. Idle workers are unref'd: they never
 * keep the process alive.
 *
 * A round is one message per worker with the enhancer's shared memory and the compiled module
 * (both shared, nothing copied); each worker instantiates the kernel on that memory and runs
 * rows until the round's counter runs out (`runRows`). Replies are matched to rounds in order.
 */
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { COUNTER_BYTE, KernelMemory, runRows, stochasticModule, type SharedWasmMemory } from './stochastic-kernel.js';
import { DEFAULT_STOCHASTIC } from './stochastic-params.js';
import { chainConstants } from './stochastic-reference.js';

const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const runRows = ${runRows.toString()};
parentPort.on('message', (m) => {
  try {
    const { row } = new WebAssembly.Instance(m.module, { env: { memory: m.memory } }).exports;
    const counter = new Int32Array(m.memory.buffer, m.counterByte, 1);
    parentPort.postMessage({ reads: runRows(row, counter, m.gridRows, m.job, m.scratch) });
  } catch (error) {
    parentPort.postMessage({ error: String((error && error.stack) || error) });
  }
});
`;

interface Pending {
  resolve: (reads: number) => void;
  reject: (error: Error) => void;
}

interface PoolWorker {
  worker: Worker;
  pending: Pending[];
}

const workers: PoolWorker[] = [];

function spawn(): PoolWorker {
  const entry: PoolWorker = { worker: new Worker(WORKER_SOURCE, { eval: true }), pending: [] };
  const { worker, pending } = entry;
  worker.unref();
  worker.on('message', (m: { reads?: number; error?: string }) => {
    const p = pending.shift();
    if (pending.length === 0) worker.unref();
    if (m.error !== undefined) p?.reject(new Error(`stochastic worker: ${m.error}`));
    else p?.resolve(m.reads ?? 0);
  });
  const fail = (error: Error): void => {
    const i = workers.indexOf(entry);
    if (i >= 0) workers.splice(i, 1);
    for (const p of pending.splice(0)) p.reject(error);
  };
  worker.on('error', fail);
  worker.on('exit', (code) => fail(new Error(`stochastic worker exited (code ${code})`)));
  return entry;
}

/** Default thread count: the available cores. */
export function defaultThreads(): number {
  return os.availableParallelism();
}

/** Starts workers until the pool has `threads` of them (they start in the background). */
export function ensureWorkers(threads: number): void {
  stochasticModule();
  while (workers.length < threads) workers.push(spawn());
}

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

/** Runs one round on `threads` workers (worker k uses scratch slot k); resolves to the samples read. */
export async function runOnPool(threads: number, memory: SharedWasmMemory, job: number, gridRows: number, scratch: (slot: number) => number): Promise<number> {
  ensureWorkers(threads);
  const module = stochasticModule();
  const replies = workers.slice(0, threads).map(({ worker, pending }, slot) => new Promise<number>((resolve, reject) => {
    pending.push({ resolve, reject });
    worker.ref();
    worker.postMessage({ module, memory, counterByte: COUNTER_BYTE, gridRows, job, scratch: scratch(slot) });
  }));
  const reads = await Promise.all(replies);
  return reads.reduce((a, b) => a + b, 0);
}
