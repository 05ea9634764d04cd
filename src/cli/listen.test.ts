/**
 * The DICOM node end to end against a real PACS: DCMTK storescu → `lunglens listen` → analysis
 * with the bundled model → SR, SEG, KOS and SC C-STOREd into Orthanc → found there by QIDO-RS;
 * the same study sent again is not analysed again. And `lunglens send` of a folder.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { searchInstances, searchSeries } from '../core/network/index.js';
import { freePort, hasDcmtk, hasOrthanc, hasOrthancDicomWeb, runTool, startOrthanc, type OrthancPeer } from '../core/testing/dicom-peers.js';
import { writePhantoms } from '../core/phantom/index.js';
import { readReport } from '../core/dicom-results/index.js';
import { runCli } from './test-support.js';

const skip = !hasOrthanc || !hasDcmtk || !hasOrthancDicomWeb;
const work = await fs.mkdtemp(path.join(tmpdir(), 'lunglens-listen-'));

describe.skipIf(skip)(`lunglens listen and send with a real PACS (Orthanc)${skip ? ' — skipped: Debian orthanc, orthanc-dicomweb and dcmtk are needed' : ''}`, () => {
  let orthanc: OrthancPeer;
  let listen: ChildProcess;
  let port: number;
  let stdout = '';
  let study: { studyInstanceUid: string; files: string[]; dir: string };
  const previous = process.env['LUNGLENS_DATA_DIR'];

  beforeAll(async () => {
    const phantoms = path.join(work, 'phantom');
    const labels = await writePhantoms({ out: phantoms, count: 1, seed: 'listen-1', size: 160, slices: [48, 48] });
    const dir = path.join(phantoms, labels.cases[0]!.id);
    const files = (await fs.readdir(dir)).filter((f) => f.endsWith('.dcm')).map((f) => path.join(dir, f)).sort();
    const header = await runTool('dcmdump', ['-q', '+P', '0020,000d', files[0]!]);
    study = { studyInstanceUid: /\[([0-9.]+)\]/.exec(header.stdout)![1]!, files, dir };
    port = await freePort();
    orthanc = await startOrthanc(path.join(work, 'orthanc'), { lunglens: { aeTitle: 'LUNGLENS', port } });
    process.env['LUNGLENS_DATA_DIR'] = path.join(work, 'data');
    listen = spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'run.ts'), 'listen', '--aet', 'LUNGLENS', '--port', String(port),
      '--allow', 'STORESCU', '--stable-seconds', '1', '--send-to', `ORTHANC@127.0.0.1:${orthanc.dicomPort}`, '--provider', 'cpu'],
    { env: { ...process.env, LUNGLENS_DATA_DIR: path.join(work, 'data') }, stdio: ['ignore', 'pipe', 'pipe'] });
    listen.stdout!.on('data', (d: Buffer) => { stdout += d.toString(); });
    await new Promise<void>((resolve, reject) => {
      let err = '';
      listen.stderr!.on('data', (d: Buffer) => {
        err += d.toString();
        if (/listening as LUNGLENS/.test(err)) resolve();
      });
      listen.once('exit', (code) => reject(new Error(`lunglens listen exited (${code}): ${err}`)));
    });
  }, 300_000);

  afterAll(async () => {
    process.env['LUNGLENS_DATA_DIR'] = previous;
    if (listen && listen.exitCode === null) {
      listen.kill('SIGTERM');
      await new Promise((r) => listen.once('exit', r));
    }
    await orthanc?.stop();
    await fs.rm(work, { recursive: true, force: true });
  });

  const waitFor = async (check: () => boolean | Promise<boolean>, ms: number) => {
    const end = Date.now() + ms;
    while (!(await check())) {
      if (Date.now() > end) throw new Error(`timed out; listen printed:\n${stdout}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };

  it('storescu → listen → analysis → the four result objects in Orthanc, found by QIDO-RS', async () => {
    const sent = await runTool('storescu', ['-R', '-aet', 'STORESCU', '-aec', 'LUNGLENS', '127.0.0.1', String(port), ...study.files]);
    expect(sent.code, sent.stderr).toBe(0);
    const web = { url: orthanc.dicomweb };
    await waitFor(async () => (await searchSeries(web, study.studyInstanceUid)).some((s) => s.modality === 'SR') && /sent series/.test(stdout), 120_000);
    // The archive holds the result series only: the CT went from storescu to LungLens, not to Orthanc.
    await waitFor(async () => (await searchSeries(web, study.studyInstanceUid)).length === 4, 30_000);
    expect((await searchSeries(web, study.studyInstanceUid)).map((s) => s.modality).sort()).toEqual(['KO', 'OT', 'SEG', 'SR']);
    expect(stdout).toMatch(/received series \w+: 48 CT images/);
    expect(stdout).toMatch(/analysed series \w+: (covid|non-covid|indeterminate) p=[01]\.\d{3}, 4 result objects/);
    expect(stdout).toMatch(/sent series \w+: 4 of 4 result objects to command line \(ORTHANC@127\.0\.0\.1:\d+\)/);
    const sr = (await searchInstances(web, study.studyInstanceUid)).find((i) => i.sopClassUid === '1.2.840.10008.5.1.4.1.1.88.34')!;
    const ids = await (await fetch(`${orthanc.url}/tools/lookup`, { method: 'POST', body: sr.sopInstanceUid })).json() as { ID: string }[];
    const report = readReport(Buffer.from(await (await fetch(`${orthanc.url}/instances/${ids[0]!.ID}/file`)).arrayBuffer()));
    expect(report.topSlices.length).toBeGreaterThan(0);
  }, 240_000);

  it('the same study sent again is not analysed again', async () => {
    const before = (stdout.match(/analysed series/g) ?? []).length;
    expect((await runTool('storescu', ['-R', '-aet', 'STORESCU', '-aec', 'LUNGLENS', '127.0.0.1', String(port), ...study.files])).code).toBe(0);
    await new Promise((r) => setTimeout(r, 4000));
    expect((stdout.match(/analysed series/g) ?? []).length).toBe(before);
  }, 60_000);

  it('lunglens send analyses a folder and sends its objects; Orthanc keeps one copy of each', async () => {
    const r = await runCli('send', study.dir, '--to', `ORTHANC@127.0.0.1:${orthanc.dicomPort}`, '--provider', 'cpu');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/sent 4 of 4 result objects/);
    // Same series, same model, same analysis: the same UIDs, so the archive still holds four series of four objects.
    expect((await searchSeries({ url: orthanc.dicomweb }, study.studyInstanceUid))).toHaveLength(4);
    expect((await searchInstances({ url: orthanc.dicomweb }, study.studyInstanceUid))).toHaveLength(4);
  }, 240_000);
});
