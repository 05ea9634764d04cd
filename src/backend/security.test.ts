// The backend's defences, attacked: fuzzed payloads for every method (fast-check) are refused
// with a code and a sentence and never crash the backend; HTTP bodies that are oversized, not
// JSON, tokenless or from another origin are refused; and the logs hold no patient identifier.
import { mkdtempSync, readFileSync, readdirSync, renameSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writePhantoms, type PhantomLabels } from '../core/phantom/index.js';
import { API, TOKEN_HEADER } from '../shared/api.js';
import { ApiError } from './api-error.js';
import { dispatch } from './dispatch.js';
import { startServer, type ServerHandle } from './http-server.js';
import { Log, redactPaths, safeFields } from './log.js';
import { LocalBackend } from './backend.js';

let backend: LocalBackend;
let server: ServerHandle;
let dataDir: string;
let labels: PhantomLabels;
let studies: string;

beforeAll(async () => {
  const root = mkdtempSync(path.join(tmpdir(), 'lunglens-security-'));
  studies = path.join(root, 'studies');
  labels = await writePhantoms({ out: studies, count: 1, seed: 'security', size: 96, slices: [30, 30] });
  renameSync(path.join(studies, 'labels.json'), path.join(root, 'labels.json'));
  dataDir = path.join(root, 'data');
  backend = await LocalBackend.start({ dataDir, transport: 'http', version: 'test' });
  server = await startServer(backend, { rendererDir: root });
}, 120_000);
afterAll(async () => {
  await server?.close();
  await backend?.close();
});

/** Methods whose valid calls start work with side effects (settings, jobs, sample files) are fuzzed for refusals only. */
const SIDE_EFFECTS = new Set(['setSettings', 'scan', 'openSamples', 'enhance', 'setNetwork', 'pacsRetrieve', 'sendResults']);

describe('fuzzed API payloads', () => {
  it('every method refuses malformed payloads with bad-request, or answers; nothing else escapes', async () => {
    const methods = Object.keys(API);
    await fc.assert(fc.asyncProperty(fc.constantFrom(...methods), fc.anything({ withObjectString: true, withNullPrototype: true, withBigInt: true }), async (method, payload) => {
      if (SIDE_EFFECTS.has(method) && API[method as keyof typeof API].request.safeParse(payload ?? {}).success) return;
      try {
        await dispatch(backend.services, method, payload);
      } catch (error) {
        expect(error).toBeInstanceOf(ApiError);
        expect((error as ApiError).message.length).toBeGreaterThan(10);
      }
    }), { numRuns: 600 });
  });

  it('unknown method names are refused, whatever they look like', async () => {
    await fc.assert(fc.asyncProperty(fc.string({ maxLength: 300 }), async (name) => {
      if (Object.prototype.hasOwnProperty.call(API, name)) return;
      await expect(dispatch(backend.services, name, {})).rejects.toMatchObject({ code: 'unknown-method' });
    }), { numRuns: 300 });
  });

  it('oversized strings and arrays are refused by the schemas before any work', async () => {
    await expect(dispatch(backend.services, 'open', { paths: Array.from({ length: 10_001 }, () => '/x') })).rejects.toMatchObject({ code: 'bad-request' });
    await expect(dispatch(backend.services, 'open', { paths: ['x'.repeat(5000)] })).rejects.toMatchObject({ code: 'bad-request' });
    await expect(dispatch(backend.services, 'reviewSet', { key: 'a'.repeat(16), reviewer: 'r', note: 'n'.repeat(20_001) })).rejects.toMatchObject({ code: 'bad-request' });
  });
});

function send(pathname: string, body: Buffer | string, headers: Record<string, string>): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`http://127.0.0.1:${server.port}${pathname}`, { method: 'POST', headers: { host: `127.0.0.1:${server.port}`, ...headers } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('HTTP transport under attack', () => {
  const auth = () => ({ [TOKEN_HEADER]: server.token, 'content-type': 'application/json' });

  it('random bytes as a body are refused with a code, and the server keeps serving', async () => {
    await fc.assert(fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 4096 }), fc.constantFrom('info', 'open', 'slice', 'analyze', 'reviewMark'), async (bytes, method) => {
      const r = await send(`/api/${method}`, Buffer.from(bytes), auth());
      expect([200, 400, 404, 409]).toContain(r.status);
      if (r.status !== 200) expect((JSON.parse(r.text) as { error: { code: string } }).error.code).toMatch(/^[a-z-]+$/);
    }), { numRuns: 150 });
    expect((await send('/api/info', '{}', auth())).status).toBe(200);
  });

  it('a body over 1 MB is refused', async () => {
    const r = await send('/api/open', JSON.stringify({ paths: ['x'.repeat(1_100_000)] }), auth());
    expect(r.status).toBe(413);
  });

  it('requests without the token, or from another origin, are refused', async () => {
    expect((await send('/api/info', '{}', { 'content-type': 'application/json' })).status).toBe(401);
    const foreign = await send('/api/info', '{}', { ...auth(), origin: 'https://evil.example' });
    expect(foreign.status).toBe(403);
    expect(foreign.text).toContain('bad-origin');
    expect((await send('/api/info', '{}', { ...auth(), origin: `http://127.0.0.1:${server.port}` })).status).toBe(200);
  });
});

describe('logs', () => {
  it('keep codes and numbers, drop anything that could name a patient', () => {
    expect(safeFields({ series: 2, code: 'no-lung-found', ok: true, path: '/data/DOE^JOHN/ct', description: 'DOE JOHN chest' })).toEqual({ series: 2, code: 'no-lung-found', ok: true, dropped: 'path,description' });
    const stack = 'Error: boom\n    at read (/opt/lunglens/dist/core/ingest/inspect.js:10:5)\n    at /data/patients/DOE^JOHN/ct/1.dcm';
    expect(redactPaths(stack)).toBe('Error: boom\n    at read (/opt/lunglens/dist/core/ingest/inspect.js:10:5)\n    at «path»');
    const dir = mkdtempSync(path.join(tmpdir(), 'lunglens-log-'));
    const report = new Log(dir).crash(new Error('failed on /data/DOE^JOHN/1.dcm'), { lunglens: '0.1.0' });
    expect(readFileSync(report, 'utf8')).not.toContain('DOE');
  });

  it('after opening and analysing a study, the log holds no patient name, ID or path', async () => {
    const folder = path.join(studies, labels.cases[0]!.path);
    const opened = await backend.services.studies.open([folder]);
    expect(opened.series[0]).toBeDefined();
    await backend.services.analysis.analyze(opened.series[0]!.id);
    const logs = readdirSync(path.join(dataDir, 'logs')).map((f) => readFileSync(path.join(dataDir, 'logs', f), 'utf8')).join('\n');
    expect(logs).toContain('"event":"analyze"');
    expect(logs).not.toMatch(/PHANTOM\^CASE|LL-PHANTOM/);
    expect(logs).not.toContain(folder);
  });
});
