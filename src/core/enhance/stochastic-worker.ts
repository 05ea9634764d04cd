/**
 * A worker thread of the stochastic enhancement (stochastic-pool.ts): each round it instantiates
 * the compiled kernel on the enhancer's shared memory and runs the rows it claims off the round's
 * counter. Both the module and the memory arrive shared; nothing is copied. It imports no more
 * than this, so that a new thread is ready at once (the calling thread runs `runRows` too).
 */
import { wasmApi } from '../wasm/wasm-api.js';
import type { SharedWasmMemory } from './stochastic-kernel.js';

export type RowFn = (job: number, scratch: number, gridRow: number) => number;

/** Claims grid rows off `counter[0]` until none are left and runs them; returns the samples read. */
export function runRows(row: RowFn, counter: Int32Array, gridRows: number, job: number, scratch: number): number {
  let reads = 0;
  for (let yi = Atomics.add(counter, 0, 1); yi < gridRows; yi = Atomics.add(counter, 0, 1)) reads += row(job, scratch, yi);
  return reads;
}

export interface RoundTask {
  /** The compiled kernel (stochastic-kernel.ts `stochasticModule`). */
  module: object;
  memory: SharedWasmMemory;
  counterByte: number;
  gridRows: number;
  job: number;
  /** This task's scratch area in the memory. */
  scratch: number;
}

/** Runs rows of the round until none are left; returns the samples read. */
export function runRound(task: RoundTask): number {
  const { row } = new (wasmApi()!.Instance)(task.module, { env: { memory: task.memory } }).exports as { row: RowFn };
  const counter = new Int32Array(task.memory.buffer, task.counterByte, 1);
  return runRows(row, counter, task.gridRows, task.job, task.scratch);
}
