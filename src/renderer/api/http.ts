import { TOKEN_HEADER, API, JobEventSchema, type JobEvent, type MethodName } from '../../shared/api.js';
import { ApiCallError, type Transport } from './client.js';

/** The contract over HTTP on the loopback server (src/backend/http-server.ts). */
export function httpTransport(origin: string, token: string): Transport {
  const listeners = new Set<(event: JobEvent) => void>();
  let source: EventSource | null = null;
  const connect = () => {
    source = new EventSource(`${origin}/api/events?token=${encodeURIComponent(token)}`);
    source.onmessage = (message: MessageEvent<string>) => {
      const parsed = JobEventSchema.safeParse(JSON.parse(message.data));
      if (parsed.success) for (const l of listeners) l(parsed.data);
    };
  };
  return {
    kind: 'http',
    async call(method: MethodName, payload: unknown) {
      let res: Response;
      try {
        res = await fetch(`${origin}/api/${method}`, { method: 'POST', headers: { 'content-type': 'application/json', [TOKEN_HEADER]: token }, body: JSON.stringify(payload ?? {}) });
      } catch {
        throw new ApiCallError('backend-unreachable', 'The LungLens backend does not answer: is `lunglens serve` still running?');
      }
      if (!res.ok) {
        const body = (await res.json().catch(() => null)) as { error?: { code: string; message: string } } | null;
        throw new ApiCallError(body?.error?.code ?? `http-${res.status}`, body?.error?.message ?? `The backend answered ${res.status}.`);
      }
      return 'binary' in API[method] && API[method].binary ? res.arrayBuffer() : res.json();
    },
    onEvent(listener) {
      listeners.add(listener);
      if (!source) connect();
      return () => listeners.delete(listener);
    },
  };
}
