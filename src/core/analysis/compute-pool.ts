import type { InputPreprocessing } from '../model/preprocess.js';
import { maskOnThreads, PRE_MASKED_WARNING } from '../lung/index.js';
import { WorkerPool } from '../workers/worker-pool.js';
import { lungsMissing, maskFailed, type MaskInputsResult, type MaskInputsTask, type SliceInputsTask } from './compute-worker.js';
import type * as ComputeWorker from './compute-worker.js';

/** The threads that make a volume's model inputs (compute-worker.ts) while the reader goes on. */
export class ComputePool extends WorkerPool<typeof ComputeWorker> {
  constructor(threads?: number) {
    super(import.meta.url, './compute-worker', threads !== undefined ? { threads } : {});
  }

  sliceInputs(task: SliceInputsTask): Promise<{ ms: number }> {
    return this.call('sliceInputs', task);
  }

  /**
   * The lung mask of one volume and its `masks` input (compute-worker.ts `maskInputs`). With two
   * threads or more it runs in parts (lung/thread-split.ts), the same result to the byte; in an
   * analysis the second thread is free by then (the slices' input is done).
   */
  async maskInputs(task: MaskInputsTask): Promise<MaskInputsResult> {
    // A sparse set is masked slice by slice (lung/sparse-slices.ts), on one thread.
    if (this.threads < 2 || task.volume.contiguous === false) return this.call('maskInputs', task);
    const timingsMs = { mask: 0, tensors: 0 };
    try {
      const { size, masks, lungMask } = task;
      const r = await maskOnThreads({
        lungsOf: (t) => this.call('lungsOf', t),
        lungHull: (t) => this.call('lungHull', t),
        slab: (t) => this.call('maskSlab', { ...t, size, masks, ...(lungMask ? { lungMask } : {}) }),
      }, task.volume);
      timingsMs.mask = r.maskMs;
      if (r.status !== 'ok') return lungsMissing(r, timingsMs);
      timingsMs.tensors = Math.max(...r.slabs.map((s) => s.timingsMs.tensors));
      return { ok: true, lungVolumeMl: r.lungVolumeMl, lungStatus: 'ok', slicesWithLung: r.slicesWithLung, timingsMs, ...(r.preMasked ? { warnings: [PRE_MASKED_WARNING] } : {}) };
    } catch (error) {
      return maskFailed(error, timingsMs);
    }
  }

  /**
   * Compiles the threads' hot loops on a generated chest, one task per thread (compute-worker.ts
   * `warmUp`): for a process that will analyse studies later (the app). Never fails.
   */
  async warmUp(preprocessing: InputPreprocessing): Promise<void> {
    const one = () => this.call('warmUp', { preprocessing }).catch(() => undefined);
    await Promise.all(Array.from({ length: this.threads }, one));
  }
}
