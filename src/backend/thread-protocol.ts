import type { JobEvent } from '../shared/api.js';

/** A failed call as it crosses the thread: the ApiError's code, sentence and HTTP status. */
export interface ThreadProblem {
  code: string;
  message: string;
  status: number;
}

export type ToBackend =
  | { type: 'call'; id: number; method: string; payload: unknown }
  | { type: 'close' };

export type FromBackend =
  | { type: 'ready' }
  | { type: 'failed'; error: ThreadProblem }
  | { type: 'reply'; id: number; ok: true; value: unknown; binary?: true }
  | { type: 'reply'; id: number; ok: false; error: ThreadProblem }
  | { type: 'event'; event: JobEvent }
  | { type: 'closed' };
