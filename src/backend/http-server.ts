/**
 * The loopback transport of the API (`lunglens serve`): the reading room's files, and the
 * contract at POST /api/<method> (JSON in; JSON or application/octet-stream out), job events as
 * server-sent events at GET /api/events. Listens on 127.0.0.1 only; every API request must carry
 * the per-session token (header, or `token` query parameter for the event stream), a loopback
 * Host header (no DNS rebinding) and, when the browser sends one, our own Origin; bodies over
 * 1 MB are refused; files are served with a strict Content-Security-Policy.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TOKEN_HEADER } from '../shared/api.js';
import { ApiError, toProblem } from './api-error.js';
import type { Backend } from './backend.js';

/** The built renderer (vite writes it beside the compiled backend). */
export const RENDERER_DIR = fileURLToPath(new URL('../renderer/', import.meta.url));

const MAX_BODY = 1024 * 1024;
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.json': 'application/json', '.woff2': 'font/woff2', '.ico': 'image/x-icon',
};
export const CONTENT_SECURITY_POLICY = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

export interface ServerHandle {
  url: string;
  token: string;
  port: number;
  close(): Promise<void>;
}

export async function startServer(backend: Backend, options: { port?: number; rendererDir?: string } = {}): Promise<ServerHandle> {
  const token = randomBytes(24).toString('base64url');
  const rendererDir = options.rendererDir ?? RENDERER_DIR;
  const streams = new Set<http.ServerResponse>();
  const unsubscribe = backend.onEvent((event) => {
    const data = `data: ${JSON.stringify(event)}\n\n`;
    for (const res of streams) res.write(data);
  });

  const server = http.createServer((req, res) => {
    handle(req, res).catch((error: unknown) => sendProblem(res, error));
  });
  let port = 0;
  const loopbackHosts = () => new Set([`127.0.0.1:${port}`, `localhost:${port}`]);

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (!loopbackHosts().has(req.headers.host ?? '')) throw new ApiError('bad-host', 'LungLens serves its own loopback address only.', 421);
    // A page of another origin (a website open in the same browser) may not call the API.
    const origin = req.headers.origin;
    if (origin !== undefined && !loopbackHosts().has(origin.replace(/^http:\/\//, ''))) throw new ApiError('bad-origin', 'Requests from other web pages are refused.', 403);
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    if (!url.pathname.startsWith('/api/')) return serveFile(url.pathname, res);
    const given = String(req.headers[TOKEN_HEADER] ?? url.searchParams.get('token') ?? '');
    if (!sameToken(given, token)) throw new ApiError('bad-token', 'This page does not carry the session token: open the URL that `lunglens serve` printed.', 401);
    if (url.pathname === '/api/events' && req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
      res.write(': lunglens events\n\n');
      streams.add(res);
      req.on('close', () => streams.delete(res));
      return;
    }
    if (req.method !== 'POST') throw new ApiError('bad-request', 'API methods are called with POST.', 405);
    const reply = await backend.call(url.pathname.slice('/api/'.length), await readJson(req));
    if (Buffer.isBuffer(reply)) {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': reply.length, 'cache-control': 'no-store' });
      res.end(reply);
    } else {
      const body = JSON.stringify(reply ?? null);
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
      res.end(body);
    }
  }

  function serveFile(pathname: string, res: http.ServerResponse): void {
    let relative: string;
    try {
      relative = decodeURIComponent(pathname).replace(/^\/+/, '') || 'index.html';
    } catch {
      throw new ApiError('bad-request', 'The address is not valid.', 400);
    }
    const file = path.resolve(rendererDir, relative);
    if (!file.startsWith(path.resolve(rendererDir) + path.sep) || !existsSync(file) || !statSync(file).isFile()) {
      if (!existsSync(path.join(rendererDir, 'index.html'))) throw new ApiError('no-renderer', 'The reading room is not built: run `npm run build` in the project folder.', 500);
      throw new ApiError('not-found', `There is no file ${pathname}.`, 404);
    }
    res.writeHead(200, {
      'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream',
      'content-security-policy': CONTENT_SECURITY_POLICY,
      'x-content-type-options': 'nosniff',
      'cache-control': 'no-cache',
    });
    createReadStream(file).pipe(res);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/#token=${token}`,
    token,
    port,
    close: async () => {
      unsubscribe();
      for (const res of streams) res.end();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function sameToken(given: string, token: string): boolean {
  const a = Buffer.from(given), b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

async function readJson(req: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new ApiError('bad-request', 'The request body is larger than 1 MB.', 413);
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return {};
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    throw new ApiError('bad-request', 'The request body is not JSON.');
  }
}

function sendProblem(res: http.ServerResponse, error: unknown): void {
  const p = toProblem(error);
  if (res.headersSent) return void res.end();
  res.writeHead(p.status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify({ error: { code: p.code, message: p.message } }));
}
