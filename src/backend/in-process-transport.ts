/**
 * The contract called in-process on a backend (the same validating dispatcher as the two real
 * transports), with replies copied as a transport would (JSON through JSON, binary as an
 * ArrayBuffer): how the renderer's stores are tested against the real backend without a socket.
 */
import type { JobEvent, MethodName } from '../shared/api.js';
import { toProblem } from './api-error.js';
import type { Backend } from './backend.js';

/** `wrapError` makes the caller's own error from the backend's code and sentence (the renderer's ApiCallError). */
export function inProcessTransport(backend: Backend, wrapError: (code: string, message: string) => Error) {
  return {
    kind: 'http' as const,
    async call(method: MethodName, payload: unknown): Promise<unknown> {
      try {
        const reply = await backend.call(method, JSON.parse(JSON.stringify(payload ?? {})));
        if (Buffer.isBuffer(reply)) return reply.buffer.slice(reply.byteOffset, reply.byteOffset + reply.byteLength);
        return JSON.parse(JSON.stringify(reply ?? null)) as unknown;
      } catch (error) {
        const p = toProblem(error);
        throw wrapError(p.code, p.message);
      }
    },
    onEvent: (listener: (event: JobEvent) => void) => backend.onEvent(listener),
  };
}
