import type { LungLensBridge } from '../../shared/bridge.js';
import { ApiCallError, type Transport } from './client.js';

/** The contract over Electron IPC through the preload bridge (src/preload/index.cts). */
export function ipcTransport(bridge: LungLensBridge): Transport {
  return {
    kind: 'electron',
    async call(method, payload) {
      const reply = await bridge.call(method, payload);
      if (!reply.ok) throw new ApiCallError(reply.error.code, reply.error.message);
      const v = reply.value;
      // Binary replies arrive as Uint8Array views; hand out an ArrayBuffer as the HTTP side does.
      return v instanceof Uint8Array ? v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength) : v;
    },
    onEvent: (listener) => bridge.onEvent(listener),
    chooseFolder: () => bridge.chooseFolder(),
    pathForFile: (file) => bridge.pathForFile(file),
  };
}
