/**
 * The renderer's only way to the backend (DESIGN.md §1): the contract's methods, typed from
 * src/shared/api.ts, over whichever transport this page runs on — the preload bridge in the
 * desktop app, HTTP + server-sent events against `lunglens serve` in a browser.
 */
import { API, type ApiProblem, type JobEvent, type MethodName, type ReplyOf, type RequestOf } from '../../shared/api.js';
import type { LungLensBridge } from '../../shared/bridge.js';
import { httpTransport } from './http.js';
import { ipcTransport } from './ipc.js';

export interface Transport {
  readonly kind: 'electron' | 'http';
  call(method: MethodName, payload: unknown): Promise<unknown>;
  onEvent(listener: (event: JobEvent) => void): () => void;
  /** A native folder dialog (desktop only; the browser asks for a typed path instead). */
  chooseFolder?: () => Promise<string[]>;
  /** The path of a dropped file (desktop only: browsers do not reveal paths). */
  pathForFile?: (file: File) => string;
}

/** A failed call: the backend's code and sentence. */
export class ApiCallError extends Error implements ApiProblem {
  override readonly name = 'ApiCallError';
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

export class ApiClient {
  /** `checkReplies`: every JSON reply is checked against its schema (development and tests; the backend checks them there too). */
  constructor(readonly transport: Transport, private readonly checkReplies = import.meta.env.DEV) {}

  async call<M extends MethodName>(method: M, request: RequestOf<M>): Promise<ReplyOf<M>> {
    const reply = await this.transport.call(method, request);
    const schema = API[method].reply;
    if (this.checkReplies && schema !== null) {
      const checked = schema.safeParse(reply);
      if (!checked.success) throw new ApiCallError('bad-reply', `The reply to ${method} does not match the contract (${checked.error.issues[0]?.path.join('.') ?? ''}: ${checked.error.issues[0]?.message ?? ''}).`);
    }
    return reply as ReplyOf<M>;
  }

  onEvent(listener: (event: JobEvent) => void): () => void {
    return this.transport.onEvent(listener);
  }
}

let client: ApiClient | null = null;

/** The page's client: the bridge when the preload put one there, else HTTP with the URL's token. */
export function api(): ApiClient {
  if (!client) {
    const bridge = (globalThis as { lunglens?: LungLensBridge }).lunglens;
    client = new ApiClient(bridge ? ipcTransport(bridge) : httpTransport(location.origin, tokenFromLocation()));
  }
  return client;
}

/** For tests and for a page that wants another backend. */
export function setApi(next: ApiClient): void {
  client = next;
}

function tokenFromLocation(): string {
  const fromHash = new URLSearchParams(location.hash.slice(1)).get('token');
  if (fromHash) {
    sessionStorage.setItem('lunglens-token', fromHash);
    history.replaceState(null, '', location.pathname + location.search); // keep it out of screenshots and history
    return fromHash;
  }
  return sessionStorage.getItem('lunglens-token') ?? '';
}
