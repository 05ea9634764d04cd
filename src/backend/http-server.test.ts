// `lunglens serve`'s transport with the real backend on its own thread, as the command runs it: the token and the loopback host are
// required, payloads are validated before any work, binary replies carry the voxels, the page
// is served with its CSP and nothing outside the renderer folder is reachable.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSeries } from '../core/ingest/read-series.js';
import { IngestPool } from '../core/ingest/ingest-pool.js';
import { writePhantoms } from '../core/phantom/index.js';
import { TOKEN_HEADER } from '../shared/api.js';
import { CONTENT_SECURITY_POLICY, startServer, type ServerHandle } from './http-server.js';
import { ThreadBackend } from './thread-backend.js';

let backend: ThreadBackend;
let server: ServerHandle;
let study: string;
let base: string;

beforeAll(async () => {
  const root = mkdtempSync(path.join(tmpdir(), 'lunglens-serve-'));
  const rendererDir = path.join(root, 'renderer');
  mkdirSync(rendererDir);
  writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>LungLens</title>');
  writeFileSync(path.join(root, 'secret.txt'), 'not for the browser');
  const labels = await writePhantoms({ out: path.join(root, 'studies'), count: 1, seed: 'serve-test', size: 96, slices: [30, 30] });
  study = path.join(root, 'studies', labels.cases[0]!.path);
  backend = await ThreadBackend.start({ dataDir: path.join(root, 'data'), transport: 'http', version: 'test' });
  server = await startServer(backend, { rendererDir });
  base = `http://127.0.0.1:${server.port}`;
}, 120_000);
afterAll(async () => {
  await server?.close();
  await backend?.close();
});

interface Reply { status: number; headers: http.IncomingHttpHeaders; body: Buffer }

function request(pathname: string, options: { method?: string; token?: string | null; host?: string; body?: unknown } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { host: options.host ?? `127.0.0.1:${server.port}`, 'content-type': 'application/json' };
    if (options.token !== null) headers[TOKEN_HEADER] = options.token ?? server.token;
    const req = http.request(`${base}${pathname}`, { method: options.method ?? 'POST', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    if (options.body !== undefined) req.write(typeof options.body === 'string' ? options.body : JSON.stringify(options.body));
    req.end();
  });
}
const json = (r: Reply) => JSON.parse(r.body.toString()) as { error?: { code: string; message: string } } & Record<string, unknown>;

describe('lunglens serve transport', () => {
  it('prints a loopback URL with the session token', () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/#token=${server.token}`);
    expect(server.token.length).toBeGreaterThanOrEqual(32);
  });

  it('refuses API calls without the token, or with another one', async () => {
    expect((await request('/api/info', { token: null })).status).toBe(401);
    const wrong = await request('/api/info', { token: 'x'.repeat(server.token.length) });
    expect(wrong.status).toBe(401);
    expect(json(wrong).error!.code).toBe('bad-token');
  });

  it('refuses a foreign Host header (DNS rebinding)', async () => {
    const r = await request('/api/info', { host: `evil.example:${server.port}` });
    expect(r.status).toBe(421);
  });

  it('validates payloads before any work, with a code and a sentence', async () => {
    const r = await request('/api/slice', { body: { seriesId: '../etc', index: -1 } });
    expect(r.status).toBe(400);
    expect(json(r).error!.code).toBe('bad-request');
    expect(json(r).error!.message).toMatch(/slice is not valid/);
    expect(json(await request('/api/nope', { body: {} })).error!.code).toBe('unknown-method');
    expect(json(await request('/api/info', { body: '{not json' })).error!.code).toBe('bad-request');
  });

  it('opens a study and returns a slice as the Int16 HU voxels the reader decoded', async () => {
    const opened = json(await request('/api/open', { body: { paths: [study] } })) as unknown as { series: Array<{ id: string; dimensions: number[] }> };
    expect(opened.series).toHaveLength(1);
    const s = opened.series[0]!;
    const r = await request('/api/slice', { body: { seriesId: s.id, index: 12 } });
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/octet-stream');
    const expected = Buffer.from((await sliceOf(study, 12)).buffer);
    expect(r.body.equals(expected)).toBe(true);
    const out = await request('/api/slice', { body: { seriesId: s.id, index: 30 } });
    expect(json(out).error!.code).toBe('out-of-range');
    // the mask comes with the analysis, which starts as soon as the study's first series is read
    const mask = await request('/api/mask', { body: { seriesId: s.id, index: 0 } });
    expect(mask.status).toBe(200);
    expect(mask.body.length).toBe(s.dimensions[0]! * s.dimensions[1]!);
  });

  it('a study opened again keeps its analysis (no second lung mask and model run)', async () => {
    const open = async () => (json(await request('/api/open', { body: { paths: [study] } })) as unknown as { series: Array<{ id: string }> }).series[0]!.id;
    const id = await open();
    const first = json(await request('/api/analyze', { body: { seriesId: id } }));
    expect(await open()).toBe(id);
    const again = json(await request('/api/analyze', { body: { seriesId: id } }));
    expect(again).toEqual(first); // the same analysis, timings included
  });

  it('serves the page with its Content-Security-Policy, and nothing outside the renderer folder', async () => {
    const page = await request('/', { method: 'GET', token: null });
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
    expect(page.body.toString()).toContain('<title>LungLens</title>');
    expect((await request('/..%2Fsecret.txt', { method: 'GET', token: null })).status).toBe(404);
    expect((await request('/%2e%2e/secret.txt', { method: 'GET', token: null })).status).toBe(404);
  });
});

/** Slice k of the study as read by the reader directly. */
async function sliceOf(folder: string, k: number): Promise<Int16Array> {
  let slice: Int16Array | null = null;
  const pool = new IngestPool(1);
  try {
    await readSeries([folder], pool, { onVolume: (_s, v) => void (slice = Int16Array.from(v.slice(k))) });
  } finally {
    await pool.close();
  }
  return slice!;
}
