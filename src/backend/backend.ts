/**
 * A running backend as the two transports see it (Electron IPC in src/main, HTTP in
 * `lunglens serve`): calls in, replies and job events out. `LocalBackend` runs the services on the
 * calling thread (tests, tools); `ThreadBackend` (thread-backend.ts) on a thread of their own, so
 * that the transport's event loop only routes.
 */
import type { JobEvent } from '../shared/api.js';
import { dispatch } from './dispatch.js';
import { Services, type BackendOptions } from './services/index.js';

export interface Backend {
  /** The reply (JSON-able, or a Buffer for the binary methods); rejects with an ApiError. */
  call(method: string, payload: unknown): Promise<unknown>;
  onEvent(listener: (event: JobEvent) => void): () => void;
  close(): Promise<void>;
}

export class LocalBackend implements Backend {
  private constructor(readonly services: Services) {}

  static async start(options: BackendOptions): Promise<LocalBackend> {
    return new LocalBackend(await Services.start(options));
  }

  call(method: string, payload: unknown): Promise<unknown> {
    return dispatch(this.services, method, payload);
  }

  onEvent(listener: (event: JobEvent) => void): () => void {
    return this.services.ctx.jobs.onEvent(listener);
  }

  close(): Promise<void> {
    return this.services.close();
  }
}
