/**
 * The backend's own thread (thread-backend.ts starts it): the services, the dispatcher and
 * nothing else. Calls arrive as messages and are answered in kind; job events are forwarded.
 * Binary replies on shared memory (slices, lung mask slices) travel without a copy; others are
 * copied once into a buffer of their own and transferred.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { toProblem } from './api-error.js';
import { dispatch } from './dispatch.js';
import { Services, type BackendOptions } from './services/index.js';
import type { FromBackend, ToBackend } from './thread-protocol.js';

const port = parentPort!;
const post = (message: FromBackend, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);

let services: Services;
try {
  services = await Services.start(workerData as BackendOptions);
} catch (error) {
  post({ type: 'failed', error: toProblem(error) });
  throw error;
}
services.ctx.jobs.onEvent((event) => post({ type: 'event', event }));

port.on('message', (m: ToBackend) => {
  if (m.type === 'close') {
    // The thread ends by itself once its services are closed (its threads ended, its files shut).
    void services.close().finally(() => {
      post({ type: 'closed' });
      port.close();
    });
    return;
  }
  dispatch(services, m.method, m.payload).then(
    (value) => {
      if (!(value instanceof Uint8Array)) return post({ type: 'reply', id: m.id, ok: true, value });
      if (value.buffer instanceof SharedArrayBuffer) return post({ type: 'reply', id: m.id, ok: true, value, binary: true });
      const copy = new Uint8Array(value);
      post({ type: 'reply', id: m.id, ok: true, value: copy, binary: true }, [copy.buffer]);
    },
    (error: unknown) => post({ type: 'reply', id: m.id, ok: false, error: toProblem(error) }),
  );
});
post({ type: 'ready' });
