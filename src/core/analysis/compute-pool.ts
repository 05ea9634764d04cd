import type { InputPreprocessing } from '../model/preprocess.js';
import { maskOnThreads, PRE_MASKED_WARNING } from '../lung/index.js';
import { WorkerPool } from '../workers/worker-pool.js';
import { lungsMissing, maskFailed, type CroppedInputsTask, type MaskInputsResult, type MaskInputsTask, type SliceInputsTask } from './compute-worker.js';
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
      const { size, masks, lungMask, dilatedMask } = task;
      const r = await maskOnThreads({
        lungsOf: (t) => this.call('lungsOf', t),
        lungHull: (t) => this.call('lungHull', t),
        slab: (t) => this.call('maskSlab', { ...t, size, ...(masks ? { masks } : {}), ...(lungMask ? { lungMask } : {}), ...(dilatedMask ? { dilatedMask } : {}) }),
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
   * Both inputs of a model that crops to the lungs (compute-worker.ts `croppedInputs`), the slices
   * shared out between the threads. Resolves with the wall time.
   */
  async croppedInputs(task: Omit<CroppedInputsTask, 'part'>): Promise<{ ms: number }> {
    const t = performance.now();
    const n = task.volume.dimensions[2];
    const parts = Math.max(1, Math.min(this.threads, n));
    await Promise.all(Array.from({ length: parts }, (_, i) => this.call('croppedInputs', { ...task, part: [Math.floor((i * n) / parts), Math.floor(((i + 1) * n) / parts)] as const })));
    return { ms: performance.now() - t };
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
