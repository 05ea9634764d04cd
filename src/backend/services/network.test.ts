/**
 * The DICOM node as the app runs it, through the contract's dispatcher, with a real PACS (Orthanc)
 * and DCMTK's storescu as a modality: a received study joins the study list and the review queue
 * with its analysis and its results go to the PACS by themselves; a clinician's sign-off sends the
 * VERIFIED report, whose predecessor is the algorithm's.
 */
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readReport } from '../../core/dicom-results/index.js';
import { freePort, hasDcmtk, hasOrthanc, runTool, startOrthanc, type OrthancPeer } from '../../core/testing/dicom-peers.js';
import { writePhantoms } from '../../core/phantom/index.js';
import type { QueueRow } from '../../shared/api.js';
import { LocalBackend } from '../backend.js';
import { dispatch } from '../dispatch.js';

const skip = !hasOrthanc || !hasDcmtk;
const work = await fs.mkdtemp(path.join(tmpdir(), 'lunglens-node-service-'));

describe.skipIf(skip)(`the DICOM node in the app${skip ? ' — skipped: Debian orthanc and dcmtk are needed' : ''}`, () => {
  let backend: LocalBackend;
  let orthanc: OrthancPeer;
  let port: number;
  let files: string[];
  const call = (method: string, payload: unknown = {}) => dispatch(backend.services, method, payload, true);

  beforeAll(async () => {
    const labels = await writePhantoms({ out: path.join(work, 'phantom'), count: 1, seed: 'node-service', size: 128, slices: [40, 40] });
    const dir = path.join(work, 'phantom', labels.cases[0]!.id);
    files = (await fs.readdir(dir)).filter((f) => f.endsWith('.dcm')).map((f) => path.join(dir, f));
    port = await freePort();
    orthanc = await startOrthanc(path.join(work, 'orthanc'), { lunglens: { aeTitle: 'LUNGLENS', port } });
    backend = await LocalBackend.start({ dataDir: path.join(work, 'data'), transport: 'http', version: 'test' });
  }, 180_000);

  afterAll(async () => {
    await backend?.close();
    await orthanc?.stop();
    await fs.rm(work, { recursive: true, force: true });
  });

  it('is off until it is turned on; bad settings are refused with the field named', async () => {
    expect(await call('network')).toMatchObject({ status: { listening: false, port: null } });
    await expect(call('setNetwork', { listener: { enabled: true, aeTitle: 'NAME_LONGER_THAN_16', port, bindAddress: '127.0.0.1', allowedCallingAeTitles: [], stableSeconds: 1 }, pacs: [], destinations: [], autoSend: { enabled: false, destinations: [] } }))
      .rejects.toMatchObject({ code: 'bad-request', message: expect.stringMatching(/listener\.aeTitle: an AE title has at most 16 characters/) });
  });

  it('receives a study: it joins the review queue analysed, and its four objects reach the PACS by themselves', async () => {
    const peer = { aeTitle: 'ORTHANC', host: '127.0.0.1', port: orthanc.dicomPort };
    const view = await call('setNetwork', {
      listener: { enabled: true, aeTitle: 'LUNGLENS', port, bindAddress: '127.0.0.1', allowedCallingAeTitles: ['STORESCU'], stableSeconds: 1 },
      pacs: [{ name: 'orthanc', peer }], destinations: [{ kind: 'dimse', name: 'archive', peer }], autoSend: { enabled: true, destinations: ['archive'] },
    }) as { status: { listening: boolean; port: number } };
    expect(view.status).toMatchObject({ listening: true, port });
    expect((await runTool('storescu', ['-R', '-aet', 'STORESCU', '-aec', 'LUNGLENS', '127.0.0.1', String(port), ...files])).code).toBe(0);
    const end = Date.now() + 120_000;
    let rows: QueueRow[] = [];
    let sr: string[] = [];
    while (Date.now() < end) {
      rows = ((await call('reviewQueue', {})) as { rows: QueueRow[] }).rows;
      sr = await (await fetch(`${orthanc.url}/tools/find`, { method: 'POST', body: JSON.stringify({ Level: 'Instance', Query: { Modality: 'SR' } }) })).json() as string[];
      if (rows.length === 1 && sr.length === 1) break;
      await new Promise((r) => setTimeout(r, 300));
    }
    expect(rows).toHaveLength(1);
    expect(rows[0]!.aiProbability).not.toBeNull();
    expect(sr).toHaveLength(1);
    const info = await call('info') as { recent: { path: string }[] };
    expect(info.recent[0]!.path).toContain(path.join('data', 'received', 'studies'));
  }, 180_000);

  it('a sign-off sends the VERIFIED report: the reviewer, their verdict and marks, the algorithm\'s report as predecessor', async () => {
    const [row] = ((await call('reviewQueue', {})) as { rows: QueueRow[] }).rows;
    await call('reviewMark', { key: row!.key, reviewer: 'Dr Node', slice: 20, mark: 'lesion' });
    await call('reviewSet', { key: row!.key, reviewer: 'Dr Node', verdict: 'covid', note: 'Bilateral ground glass.', status: 'done' });
    const end = Date.now() + 60_000;
    let ids: string[] = [];
    while (Date.now() < end && ids.length < 2) {
      ids = await (await fetch(`${orthanc.url}/tools/find`, { method: 'POST', body: JSON.stringify({ Level: 'Instance', Query: { Modality: 'SR' } }) })).json() as string[];
      await new Promise((r) => setTimeout(r, 300));
    }
    expect(ids).toHaveLength(2);
    const reports = await Promise.all(ids.map(async (id) => readReport(Buffer.from(await (await fetch(`${orthanc.url}/instances/${id}/file`)).arrayBuffer()))));
    const verified = reports.find((r) => r.verificationFlag === 'VERIFIED')!;
    expect(verified.review).toMatchObject({ reviewer: 'Dr Node', verdict: 'covid', note: 'Bilateral ground glass.' });
    expect(verified.review!.marks).toEqual([expect.objectContaining({ mark: 'lesion' })]);
    const algorithm = reports.find((r) => r.verificationFlag === 'UNVERIFIED')!;
    const tags = await (await fetch(`${orthanc.url}/instances/${ids.find((_, i) => reports[i] === verified)}/simplified-tags`)).json() as { PredecessorDocumentsSequence: { ReferencedSeriesSequence: { ReferencedSOPSequence: { ReferencedSOPInstanceUID: string }[] }[] }[] };
    expect(tags.PredecessorDocumentsSequence[0]!.ReferencedSeriesSequence[0]!.ReferencedSOPSequence[0]!.ReferencedSOPInstanceUID).toBe(algorithm.sopInstanceUid);
  }, 120_000);

  it('turned off, it stops listening', async () => {
    const current = await call('network') as { settings: { listener: Record<string, unknown> } & Record<string, unknown> };
    const view = await call('setNetwork', { ...current.settings, listener: { ...current.settings.listener, enabled: false } }) as { status: { listening: boolean } };
    expect(view.status.listening).toBe(false);
    expect((await runTool('echoscu', ['-aet', 'STORESCU', '-aec', 'LUNGLENS', '127.0.0.1', String(port)])).code).not.toBe(0);
  });
});
