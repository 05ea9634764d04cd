/**
 * The sandboxed bridge: exposes the contract's calls and events (src/shared/bridge.ts) and
 * nothing else — no Node, no ipcRenderer. Sandboxed preloads cannot load our modules, so the
 * channel names are repeated here; the types make sure they equal src/shared/api.ts's IPC.
 */
import { contextBridge, ipcRenderer, webUtils } from 'electron';
import type { IPC } from '../shared/api.js';
import type { BridgeReply, LungLensBridge } from '../shared/bridge.js';

const CALL: typeof IPC.call = 'lunglens:call';
const EVENT: typeof IPC.event = 'lunglens:event';
const CHOOSE_FOLDER: typeof IPC.chooseFolder = 'lunglens:choose-folder';

const bridge: LungLensBridge = {
  call: (method, payload) => ipcRenderer.invoke(CALL, method, payload) as Promise<BridgeReply>,
  onEvent: (listener) => {
    const handler = (_event: unknown, payload: Parameters<typeof listener>[0]) => listener(payload);
    ipcRenderer.on(EVENT, handler);
    return () => void ipcRenderer.removeListener(EVENT, handler);
  },
  chooseFolder: () => ipcRenderer.invoke(CHOOSE_FOLDER) as Promise<string[]>,
  pathForFile: (file) => webUtils.getPathForFile(file),
};

contextBridge.exposeInMainWorld('lunglens', bridge);
