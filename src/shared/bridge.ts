/**
 * What the Electron preload exposes as `window.lunglens` (src/preload/index.cts): the contract's
 * calls and events over IPC, plus the two things only a desktop shell can do — a native folder
 * dialog and the path of a dropped file.
 */
import type { ApiProblem, JobEvent } from './api.js';

export type BridgeReply = { ok: true; value: unknown } | { ok: false; error: ApiProblem };

export interface LungLensBridge {
  call(method: string, payload: unknown): Promise<BridgeReply>;
  onEvent(listener: (event: JobEvent) => void): () => void;
  chooseFolder(): Promise<string[]>;
  pathForFile(file: File): string;
}
