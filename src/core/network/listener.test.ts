import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { IngestPool } from '../ingest/ingest-pool.js';
import { readSeries } from '../ingest/read-series.js';
import { writeSyntheticSeries, type SyntheticSeries } from '../samples/synthetic-series.js';
import { networkConfigSchema, type NetworkConfig } from './config.js';
import { dcmjsDimse } from './dcmjs-dimse.js';
import { dataSetOffset } from './instance-store.js';
import { startListener, type Listener } from './listener.js';
import type { StableSeries } from './stable-series.js';
import { hasDcmtk, runTool } from '../testing/dicom-peers.js';

const work = await fs.mkdtemp(path.join(tmpdir(), 'lunglens-listener-'));
afterAll(() => fs.rm(work, { recursive: true, force: true }));

const PATIENT = { name: 'Odd^Patient^Name', id: 'PID-7731' };

let series: SyntheticSeries;
let badSeries: { corrupt: SyntheticSeries; mr: SyntheticSeries; notCt: SyntheticSeries };

beforeAll(async () => {
  const patient = () => ({ PatientName: PATIENT.name, PatientID: PATIENT.id });
  series = await writeSyntheticSeries(path.join(work, 'ct'), { columns: 64, rows: 48, slices: 12, seed: 'listener', attributes: patient });
  badSeries = {
    // Rows says 96 but the pixel data holds 48 rows: a truncated image.
    corrupt: await writeSyntheticSeries(path.join(work, 'corrupt'), { columns: 64, rows: 48, slices: 1, seed: 'corrupt', attributes: () => ({ Rows: 96 }) }),
    mr: await writeSyntheticSeries(path.join(work, 'mr'), { columns: 64, rows: 48, slices: 1, seed: 'mr', attributes: () => ({ SOPClassUID: '1.2.840.10008.5.1.4.1.1.4', Modality: 'MR' }) }),
    notCt: await writeSyntheticSeries(path.join(work, 'not-ct'), { columns: 64, rows: 48, slices: 1, seed: 'not-ct', attributes: () => ({ Modality: 'MR' }) }),
  };
});

const logLines: string[] = [];
const stable: StableSeries[] = [];
let listener: Listener | null = null;
let run = 0;

function config(overrides: Partial<NetworkConfig['listener']> = {}): NetworkConfig {
  return networkConfigSchema.parse({ listener: { enabled: true, aeTitle: 'LUNGLENS', port: 0, allowedCallingAeTitles: ['STORESCU'], stableSeconds: 1, ...overrides } });
}

async function start(storeDir = path.join(work, `store-${++run}`), handler?: (s: StableSeries) => Promise<void> | void): Promise<Listener> {
  listener = await startListener({
    config: config(), storeDir, implementation: dcmjsDimse, quietMs: 400,
    onStableSeries: handler ?? ((s) => { stable.push(s); }),
    log: (event, fields) => logLines.push(JSON.stringify({ event, ...fields })),
  });
  return listener;
}

afterEach(async () => {
  await listener?.close();
  listener = null;
  stable.length = 0;
});

const storescu = (port: number, files: readonly string[], aet = 'STORESCU', extra: string[] = []) =>
  runTool('storescu', ['-R', '-nh', '-v', '-aet', aet, '-aec', 'LUNGLENS', ...extra, '127.0.0.1', String(port), ...files]);

const waitFor = async (check: () => boolean, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
};

describe.skipIf(!hasDcmtk)('the listener receives a study from DCMTK storescu', () => {
  it('stores every instance as sent, and the series reads back as the same volume', async () => {
    const l = await start();
    const r = await storescu(l.port, series.files);
    expect(r.code, r.stderr).toBe(0);
    const folder = l.store.seriesFolder(series.studyInstanceUid, series.seriesInstanceUid);
    const stored = (await fs.readdir(folder)).filter((f) => f.endsWith('.dcm')).sort();
    expect(stored).toEqual([...series.sopInstanceUids].map((u) => `${u}.dcm`).sort());
    // The data set is byte for byte the one sent (explicit VR little endian both sides).
    const sent = await fs.readFile(series.files[0]!);
    const kept = await fs.readFile(path.join(folder, `${series.sopInstanceUids[0]}.dcm`));
    expect(Buffer.compare(kept.subarray(dataSetOffset(kept)), sent.subarray(dataSetOffset(sent)))).toBe(0);
    const pool = new IngestPool(1);
    try {
      const read = await readSeries([folder], pool, { checksum: true });
      expect(read.series.map((s) => s.valueSha256)).toEqual([series.valueSha256]);
    } finally {
      await pool.close();
    }
    await fs.access(path.join(l.store.root, 'incoming')); // only temporary files live there, none left
    expect(await fs.readdir(path.join(l.store.root, 'incoming'))).toEqual([]);
  });

  it('hands the series on once it is quiet, and not again when the same study is sent twice', async () => {
    const l = await start();
    await storescu(l.port, series.files);
    await waitFor(() => stable.length === 1);
    expect(stable[0]).toMatchObject({ seriesInstanceUid: series.seriesInstanceUid, instances: 12, kind: 'ct' });
    const r = await storescu(l.port, series.files);
    expect(r.code).toBe(0);
    await new Promise((res) => setTimeout(res, 1500));
    expect(stable).toHaveLength(1);
    expect(logLines.filter((x) => x.includes('store-duplicate')).length).toBeGreaterThanOrEqual(12);
  });

  it('hands a series on again after a restart when its handling never finished', async () => {
    const dir = path.join(work, 'store-restart');
    await start(dir, () => { throw Object.assign(new Error('analysis failed'), { code: 'inference-failed' }); });
    await storescu(listener!.port, series.files);
    await waitFor(() => logLines.some((x) => x.includes('series-handler-failed')));
    await listener!.close();
    await start(dir);
    await waitFor(() => stable.length === 1);
    expect(stable[0]!.instances).toBe(12);
  });

  it('answers C-ECHO, and rejects a calling AE title it does not know (with a log line)', async () => {
    const l = await start();
    expect((await runTool('echoscu', ['-aet', 'STORESCU', '-aec', 'LUNGLENS', '127.0.0.1', String(l.port)])).code).toBe(0);
    const stranger = await runTool('echoscu', ['-aet', 'STRANGER', '-aec', 'LUNGLENS', '127.0.0.1', String(l.port)]);
    expect(stranger.code).not.toBe(0);
    expect(stranger.stderr).toMatch(/Calling AE Title Not Recognized/);
    const wrongCalled = await runTool('echoscu', ['-aet', 'STORESCU', '-aec', 'SOMEONE', '127.0.0.1', String(l.port)]);
    expect(wrongCalled.stderr).toMatch(/Called AE Title Not Recognized/);
    expect(logLines).toContain(JSON.stringify({ event: 'association-rejected', reason: 'calling-ae-not-recognized', from: 'STRANGER' }));
    expect((await storescu(l.port, series.files.slice(0, 1), 'STRANGER')).code).not.toBe(0);
  });

  it('refuses a corrupt or non-CT instance with a DICOM status and a log line, and goes on', async () => {
    const l = await start();
    const r = await storescu(l.port, [badSeries.corrupt.files[0]!, badSeries.mr.files[0]!, badSeries.notCt.files[0]!, ...series.files.slice(0, 2)]);
    const statuses = [...r.stderr.matchAll(/Received Store Response \(([^)]*)\)/g)].map((m) => m[1]);
    expect(statuses.slice(0, 3)).toEqual([expect.stringMatching(/C000|Error/i), expect.stringMatching(/0122|Refused|SOP Class/i), expect.stringMatching(/A900|Error/i)]);
    expect(statuses.slice(3)).toEqual(['Success', 'Success']);
    const refusals = logLines.map((x) => JSON.parse(x) as Record<string, unknown>).filter((x) => x['event'] === 'store-refused');
    expect(refusals.map((x) => x['status'])).toEqual([0xc000, 0x0122, 0xa900]);
    const folder = l.store.seriesFolder(series.studyInstanceUid, series.seriesInstanceUid);
    expect((await fs.readdir(folder)).filter((f) => f.endsWith('.dcm'))).toHaveLength(2);
  });

  it('keeps every completed instance of an association that breaks off mid-study', async () => {
    const l = await start();
    const big = await writeSyntheticSeries(path.join(work, 'big'), { columns: 256, rows: 256, slices: 120, seed: 'abort' });
    let stored = 0;
    l.store.onStored(() => { stored++; });
    const child = (await import('node:child_process')).spawn('storescu', ['-R', '-aet', 'STORESCU', '-aec', 'LUNGLENS', '127.0.0.1', String(l.port), ...big.files]);
    await waitFor(() => stored >= 30, 30_000);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    await new Promise((r) => setTimeout(r, 300));
    const folder = l.store.seriesFolder(big.studyInstanceUid, big.seriesInstanceUid);
    const files = (await fs.readdir(folder)).filter((f) => f.endsWith('.dcm'));
    expect(files.length).toBeGreaterThanOrEqual(30);
    expect(files.length).toBeLessThan(120);
    const pool = new IngestPool(1);
    try {
      const read = await readSeries([folder], pool);
      expect(read.rejected).toEqual([]);
      expect(read.series[0]!.dimensions[2]).toBe(files.length);
    } finally {
      await pool.close();
    }
    await waitFor(() => logLines.some((x) => x.includes('association-')));
    expect(await fs.readdir(path.join(l.store.root, 'incoming'))).toEqual([]);
  });

  it('writes no patient identifier or UID into its log', () => {
    const all = logLines.join('\n');
    for (const secret of [PATIENT.name, PATIENT.id, series.studyInstanceUid, series.seriesInstanceUid, ...series.sopInstanceUids]) {
      expect(all).not.toContain(secret);
    }
    expect(logLines.length).toBeGreaterThan(20);
  });
});

describe.skipIf(!hasDcmtk)('a listener killed with SIGKILL mid-study', () => {
  it('keeps every instance it acknowledged, each whole', async () => {
    const { spawn } = await import('node:child_process');
    const storeDir = path.join(work, 'store-killed');
    const big = await writeSyntheticSeries(path.join(work, 'big-kill'), { columns: 256, rows: 256, slices: 150, seed: 'kill' });
    const proc = spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'test-listener-process.ts'), storeDir], { stdio: ['ignore', 'pipe', 'inherit'] });
    const port = await new Promise<number>((resolve, reject) => {
      proc.stdout!.on('data', (d: Buffer) => {
        const m = /port (\d+)/.exec(d.toString());
        if (m) resolve(Number(m[1]));
      });
      proc.once('exit', () => reject(new Error('the listener process exited')));
    });
    // storescu -v says which file it sends and each response it gets, in order.
    const sender = spawn('storescu', ['-R', '-v', '-aet', 'STORESCU', '-aec', 'LUNGLENS', '127.0.0.1', String(port), ...big.files]);
    let out = '';
    sender.stderr.on('data', (d: Buffer) => { out += d.toString(); });
    await waitFor(() => (out.match(/Received Store Response \(Success\)/g) ?? []).length >= 40, 60_000);
    proc.kill('SIGKILL');
    await new Promise((r) => sender.once('exit', r));
    const acknowledged: string[] = [];
    let sending = '';
    for (const line of out.split('\n')) {
      const sent = /Sending file: (.*)$/.exec(line);
      if (sent) sending = sent[1]!.trim();
      if (/Received Store Response \(Success\)/.test(line)) acknowledged.push(sending);
    }
    expect(acknowledged.length).toBeGreaterThanOrEqual(40);
    expect(acknowledged.length).toBeLessThan(150);
    const folder = path.join(storeDir, 'studies', big.studyInstanceUid, big.seriesInstanceUid);
    for (const file of acknowledged) {
      const sop = big.sopInstanceUids[big.files.indexOf(file)]!;
      const sent = await fs.readFile(file);
      const kept = await fs.readFile(path.join(folder, `${sop}.dcm`));
      expect(Buffer.compare(kept.subarray(dataSetOffset(kept)), sent.subarray(dataSetOffset(sent))), file).toBe(0);
    }
  }, 120_000);
});

describe.skipIf(!hasDcmtk)('the DCMTK fallback listener (storescp behind our association front)', () => {
  it('stores what an allowed peer sends, and rejects a calling AE title it does not know', async () => {
    const { dcmtk } = await import('./dcmtk.js');
    const l = await startListener({
      config: config(), storeDir: path.join(work, 'store-dcmtk'), implementation: dcmtk, quietMs: 400,
      onStableSeries: (s) => { stable.push(s); }, log: (event, fields) => logLines.push(JSON.stringify({ event, ...fields })),
    });
    listener = l;
    expect((await storescu(l.port, series.files)).code).toBe(0);
    await waitFor(() => stable.length === 1);
    expect(stable[0]!.instances).toBe(12);
    const stranger = await runTool('echoscu', ['-aet', 'STRANGER', '-aec', 'LUNGLENS', '127.0.0.1', String(l.port)]);
    expect(stranger.stderr).toMatch(/Calling AE Title Not Recognized/);
  });
});
