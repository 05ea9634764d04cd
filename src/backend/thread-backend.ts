/**
 * The backend on a thread of its own (backend-thread.ts): what the Electron main process and
 * `lunglens serve` run, so that hashing a volume, encoding PNGs, building a mesh or a SQLite
 * write never hold up the loop that answers the window's calls — that loop only routes.
 */
import { Worker } from 'node:worker_threads';
import type { JobEvent } from '../shared/api.js';
import { workerModule } from '../core/workers/worker-pool.js';
import { ApiError } from './api-error.js';
import type { Backend } from './backend.js';
import type { BackendOptions } from './services/index.js';
import type { FromBackend, ThreadProblem, ToBackend } from './thread-protocol.js';

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

export class ThreadBackend implements Backend {
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Set<(event: JobEvent) => void>();
  private readonly crashListeners = new Set<(error: Error) => void>();
  private nextId = 1;
  private stopped: ThreadProblem | null = null;
  private closing: Promise<void> | null = null;

  private constructor(private readonly worker: Worker) {}

  /** Starts the thread and resolves once its services are up (the model loaded, or why not). */
  static start(options: BackendOptions): Promise<ThreadBackend> {
    const { filename, execArgv } = workerModule(import.meta.url, './backend-thread');
    const worker = new Worker(filename, { workerData: options, ...(execArgv ? { execArgv } : {}) });
    const backend = new ThreadBackend(worker);
    return new Promise<ThreadBackend>((resolve, reject) => {
      const early = (error: Error) => reject(error);
      worker.once('error', early);
      worker.on('message', (m: FromBackend) => {
        if (m.type === 'ready') {
          worker.off('error', early);
          worker.on('error', (error) => backend.crashed(error));
          resolve(backend);
        } else if (m.type === 'failed') reject(new ApiError(m.error.code, m.error.message, m.error.status));
        else backend.receive(m);
      });
      worker.on('exit', (code) => backend.crashed(new Error(`the backend's thread ended (exit code ${code})`)));
    });
  }

  call(method: string, payload: unknown): Promise<unknown> {
    if (this.stopped) return Promise.reject(new ApiError(this.stopped.code, this.stopped.message, this.stopped.status));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ type: 'call', id, method, payload } satisfies ToBackend);
    });
  }

  onEvent(listener: (event: JobEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Told when the backend's thread fails (the caller writes a crash report); later calls are refused. */
  onCrash(listener: (error: Error) => void): () => void {
    this.crashListeners.add(listener);
    return () => this.crashListeners.delete(listener);
  }

  /** Closes the services (their threads, the model, the review database) and ends the thread. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.stopped = { code: 'backend-stopped', message: 'LungLens is closing.', status: 503 };
      // A thread that does not end by itself within 30 s is stopped.
      const stop = setTimeout(() => void this.worker.terminate(), 30_000).unref();
      this.worker.once('exit', () => {
        clearTimeout(stop);
        resolve();
      });
      this.worker.postMessage({ type: 'close' } satisfies ToBackend);
    });
    return this.closing;
  }

  private receive(m: FromBackend): void {
    if (m.type === 'event') {
      for (const listener of this.listeners) listener(m.event);
    } else if (m.type === 'reply') {
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      if (!p) return;
      if (!m.ok) p.reject(new ApiError(m.error.code, m.error.message, m.error.status));
      else if (m.binary) {
        const bytes = m.value as Uint8Array;
        p.resolve(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      } else p.resolve(m.value);
    }
  }

  private crashed(error: Error): void {
    if (this.stopped) return;
    this.stopped = { code: 'backend-stopped', message: `The LungLens backend stopped (${error.message}); restart LungLens.`, status: 500 };
    for (const p of this.pending.values()) p.reject(new ApiError(this.stopped.code, this.stopped.message, this.stopped.status));
    this.pending.clear();
    for (const listener of this.crashListeners) listener(error);
  }
}
