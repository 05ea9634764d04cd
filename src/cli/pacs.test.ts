import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeSyntheticSeries, type SyntheticSeries } from '../core/samples/synthetic-series.js';
import { freePort, hasDcmtk, hasOrthanc, hasOrthancDicomWeb, startOrthanc, uploadToOrthanc, type OrthancPeer } from '../core/testing/dicom-peers.js';
import { runCli } from './test-support.js';

const work = await fs.mkdtemp(path.join(tmpdir(), 'lunglens-cli-pacs-'));
const dataDir = path.join(work, 'data');
const skip = !hasOrthanc || !hasDcmtk;

describe('lunglens pacs: the node configuration', () => {
  const previous = process.env['LUNGLENS_DATA_DIR'];
  beforeAll(() => { process.env['LUNGLENS_DATA_DIR'] = path.join(work, 'config-only'); });
  afterAll(() => { process.env['LUNGLENS_DATA_DIR'] = previous; });

  it('is stored as validated JSON: a bad peer or a damaged file is refused, naming the field', async () => {
    expect((await runCli('pacs', 'add', 'main', 'PACS@pacs.example:104')).code).toBe(0);
    expect((await runCli('pacs', 'node', '--aet', 'LUNGLENS_1', '--port', '11113', '--allow', 'CT_SCANNER, MODALITY2')).code).toBe(0);
    const shown = JSON.parse((await runCli('pacs', 'show', '--json')).stdout) as { listener: { aeTitle: string; port: number; allowedCallingAeTitles: string[]; enabled: boolean }; pacs: { name: string }[] };
    expect(shown.listener).toMatchObject({ aeTitle: 'LUNGLENS_1', port: 11113, allowedCallingAeTitles: ['CT_SCANNER', 'MODALITY2'], enabled: false });
    expect(shown.pacs.map((p) => p.name)).toEqual(['main']);
    const bad = await runCli('pacs', 'add', 'other', 'A_TITLE_LONGER_THAN_16@host:104');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/not AET@HOST:PORT|1 to 16 characters/);
    await fs.writeFile(path.join(work, 'config-only', 'network.json'), JSON.stringify({ version: 1, listener: { port: 'eleven' } }));
    const damaged = await runCli('pacs', 'show');
    expect(damaged.code).toBe(1);
    expect(damaged.stderr).toMatch(/network\.json: listener\.port: Expected number/);
  });
});

describe.skipIf(skip)(`lunglens pacs against a real PACS (Orthanc)${skip ? ' — skipped: Debian orthanc and dcmtk are needed' : ''}`, () => {
  let orthanc: OrthancPeer;
  let series: SyntheticSeries;
  const previous = process.env['LUNGLENS_DATA_DIR'];

  beforeAll(async () => {
    process.env['LUNGLENS_DATA_DIR'] = dataDir;
    series = await writeSyntheticSeries(path.join(work, 'ct'), { columns: 64, rows: 48, slices: 12, seed: 'cli-pacs', attributes: () => ({ PatientID: 'CLI-1', PatientName: 'Command^Line' }) });
    const port = await freePort();
    orthanc = await startOrthanc(path.join(work, 'orthanc'), { lunglens: { aeTitle: 'LUNGLENS', port } });
    await uploadToOrthanc(orthanc, series.files);
    expect((await runCli('pacs', 'node', '--aet', 'LUNGLENS', '--port', String(port), '--stable-seconds', '1')).code).toBe(0);
    expect((await runCli('pacs', 'add', 'orthanc', `ORTHANC@127.0.0.1:${orthanc.dicomPort}`, '--dicomweb', orthanc.dicomweb)).code).toBe(0);
  }, 120_000);

  afterAll(async () => {
    process.env['LUNGLENS_DATA_DIR'] = previous;
    await orthanc?.stop();
    await fs.rm(work, { recursive: true, force: true });
  });

  it('echo', async () => {
    const r = await runCli('pacs', 'echo', 'orthanc');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/answers C-ECHO/);
  });

  it('find shows studies without patient identifiers unless asked, and exits 2 when nothing matches', async () => {
    const r = await runCli('pacs', 'find', 'orthanc', '--patient-id', 'CLI-1', '--series', '--json');
    expect(r.code, r.stderr).toBe(0);
    const found = JSON.parse(r.stdout) as { studies: { studyInstanceUid: string; patientName?: string; series: { seriesInstanceUid: string }[] }[] };
    expect(found.studies).toHaveLength(1);
    expect(found.studies[0]!.patientName).toBeUndefined();
    expect(found.studies[0]!.series.map((s) => s.seriesInstanceUid)).toEqual([series.seriesInstanceUid]);
    const table = await runCli('pacs', 'find', 'orthanc', '--patient-id', 'CLI-1');
    expect(table.stdout).toContain(series.studyInstanceUid);
    expect(table.stdout).not.toContain('Command^Line');
    expect((await runCli('pacs', 'find', 'orthanc', '--patient-id', 'CLI-1', '--identifiers')).stdout).toContain('Command^Line');
    expect((await runCli('pacs', 'find', 'orthanc', '--patient-id', 'NOBODY')).code).toBe(2);
    if (hasOrthancDicomWeb) {
      const web = JSON.parse((await runCli('pacs', 'find', 'orthanc', '--patient-id', 'CLI-1', '--dicomweb', '--json')).stdout) as { studies: { studyInstanceUid: string }[] };
      expect(web.studies.map((s) => s.studyInstanceUid)).toEqual([series.studyInstanceUid]);
    }
  });

  it('get retrieves the study into the data folder by C-MOVE (and by WADO-RS)', async () => {
    const r = await runCli('pacs', 'get', 'orthanc', series.studyInstanceUid, '--json');
    expect(r.code, r.stderr).toBe(0);
    const got = JSON.parse(r.stdout) as { series: { seriesInstanceUid: string; instances: number; folder: string }[] };
    expect(got.series).toEqual([{ seriesInstanceUid: series.seriesInstanceUid, instances: 12, folder: path.join(dataDir, 'received', 'studies', series.studyInstanceUid, series.seriesInstanceUid) }]);
    expect((await fs.readdir(got.series[0]!.folder)).filter((f) => f.endsWith('.dcm'))).toHaveLength(12);
    if (hasOrthancDicomWeb) {
      const web = await runCli('pacs', 'get', 'orthanc', series.studyInstanceUid, '--dicomweb', '--json');
      expect(web.code, web.stderr).toBe(0);
      expect((JSON.parse(web.stdout) as { series: { instances: number }[] }).series[0]!.instances).toBe(12);
    }
  }, 60_000);
});
