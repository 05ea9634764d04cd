import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { defaultThreads } from '../ingest/worker-pool.js';
import type { InputPreprocessing } from '../model/preprocess.js';
import type { MaskInputsResult, MaskInputsTask, PrepareCaseResult, PrepareCaseTask, SliceInputsTask } from './prepare-worker.js';

/** Worker threads that make the model inputs of volumes (prepare-worker.ts), one volume per thread at a time. */
export class PreparePool {
  private readonly piscina: Piscina;
  readonly threads: number;

  constructor(threads = defaultThreads()) {
    this.threads = Math.max(1, Math.floor(threads));
    const self = import.meta.url;
    // Under the test runner the sources are TypeScript: a shim loads them through tsx.
    const filename = fileURLToPath(new URL(self.endsWith('.ts') ? './prepare-worker.source.mjs' : './prepare-worker.js', self));
    this.piscina = new Piscina({ filename, minThreads: this.threads, maxThreads: this.threads, idleTimeout: 30_000 });
  }

  prepareCase(task: PrepareCaseTask): Promise<PrepareCaseResult> {
    return this.piscina.run(task, { name: 'prepareCase' }) as Promise<PrepareCaseResult>;
  }

  sliceInputs(task: SliceInputsTask): Promise<{ ms: number }> {
    return this.piscina.run(task, { name: 'sliceInputs' }) as Promise<{ ms: number }>;
  }

  maskInputs(task: MaskInputsTask): Promise<MaskInputsResult> {
    return this.piscina.run(task, { name: 'maskInputs' }) as Promise<MaskInputsResult>;
  }

  /**
   * Compiles the workers' hot loops on a generated chest, one task per thread (prepare-worker.ts
   * `warmUp`): for a process that will analyse studies later (the app). Never fails.
   */
  async warmUp(preprocessing: InputPreprocessing): Promise<void> {
    const one = () => this.piscina.run({ preprocessing }, { name: 'warmUp' }).catch(() => undefined);
    await Promise.all(Array.from({ length: this.threads }, one));
  }

  async close(): Promise<void> {
    await this.piscina.destroy();
  }
}
