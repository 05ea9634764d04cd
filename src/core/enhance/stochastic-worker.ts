/**
 * A worker thread of the stochastic enhancement (stochastic-pool.ts): each round it instantiates
 * the compiled kernel on the enhancer's shared memory and runs the rows it claims off the round's
 * counter. Both the module and the memory arrive shared; nothing is copied.
 */
import { wasmApi } from '../wasm/wasm-api.js';
import { runRows, type RowFn, type SharedWasmMemory } from './stochastic-kernel.js';

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
