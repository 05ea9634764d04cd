/**
 * Round trips with a real PACS: Debian's Orthanc (+ its DICOMweb plugin) on a temporary
 * configuration with LungLens registered as a modality. Both DIMSE implementations run the same
 * checks: C-ECHO, C-FIND of studies and series, C-MOVE into our listener, C-STORE of the four
 * result objects, found again by QIDO-RS; and STOW-RS, WADO-RS.
 */
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readLungMask, readReport, resultObjects, writeResultFiles, type ResultObject } from '../dicom-results/index.js';
import { fixtureAnalysis, fixtureInput, readSource, syntheticLungMask } from '../testing/result-fixtures.js';
import { writeSyntheticSeries, type SyntheticSeries } from '../samples/synthetic-series.js';
import { networkConfigSchema } from './config.js';
import { dcmjsDimse } from './dcmjs-dimse.js';
import { dcmtk } from './dcmtk.js';
import { retrieveSeries, searchInstances, searchSeries, searchStudies, storeInstances } from './dicomweb.js';
import type { DimseImplementation } from './dimse.js';
import { dataSetOffset } from './instance-store.js';
import { startListener, type Listener } from './listener.js';
import type { StableSeries } from './stable-series.js';
import { freePort, hasDcmtk, hasOrthanc, hasOrthancDicomWeb, startOrthanc, uploadToOrthanc, type OrthancPeer } from '../testing/dicom-peers.js';

/** The Part 10 file Orthanc keeps for a SOP Instance UID. */
async function orthancFile(orthanc: OrthancPeer, sopInstanceUid: string): Promise<Buffer> {
  const ids = await (await fetch(`${orthanc.url}/tools/lookup`, { method: 'POST', body: sopInstanceUid })).json() as { ID: string }[];
  return Buffer.from(await (await fetch(`${orthanc.url}/instances/${ids[0]!.ID}/file`)).arrayBuffer());
}

const work = await fs.mkdtemp(path.join(tmpdir(), 'lunglens-pacs-'));
const skip = !hasOrthanc || !hasDcmtk;
const why = skip ? ' — skipped: Debian orthanc and dcmtk are needed' : '';

describe.skipIf(skip).each([['dcmjs-dimse', dcmjsDimse], ['dcmtk', dcmtk]] as [string, DimseImplementation][])(`a real PACS (Orthanc), through %s${why}`, (name, impl) => {
  let orthanc: OrthancPeer;
  let listener: Listener;
  let series: SyntheticSeries;
  const stable: StableSeries[] = [];
  const caller = { aeTitle: 'LUNGLENS', timeoutMs: 20_000 };
  let peer: { aeTitle: string; host: string; port: number };
  const dir = path.join(work, name);

  beforeAll(async () => {
    series = await writeSyntheticSeries(path.join(dir, 'ct'), {
      columns: 64, rows: 48, slices: 12, seed: `pacs-${name}`,
      attributes: () => ({ PatientName: 'Round^Trip', PatientID: `RT-${name}`, AccessionNumber: 'ACC-RT' }),
    });
    const port = await freePort();
    orthanc = await startOrthanc(path.join(dir, 'orthanc'), { lunglens: { aeTitle: 'LUNGLENS', port } });
    peer = { aeTitle: orthanc.aeTitle, host: '127.0.0.1', port: orthanc.dicomPort };
    const config = networkConfigSchema.parse({
      listener: { enabled: true, aeTitle: 'LUNGLENS', port, stableSeconds: 1 },
      pacs: [{ name: 'orthanc', peer }],
    });
    listener = await startListener({ config, storeDir: path.join(dir, 'received'), implementation: impl, quietMs: 500, onStableSeries: (s) => { stable.push(s); } });
    await uploadToOrthanc(orthanc, series.files);
  }, 120_000);

  afterAll(async () => {
    await listener?.close();
    await orthanc?.stop();
  });

  it('C-ECHO', async () => {
    await expect(impl.client.echo(peer, caller)).resolves.toBeUndefined();
  });

  it('C-FIND finds the study by patient ID, and its CT series', async () => {
    const studies = await impl.client.findStudies(peer, caller, { patientId: `RT-${name}` });
    expect(studies).toHaveLength(1);
    expect(studies[0]).toMatchObject({ studyInstanceUid: series.studyInstanceUid, patientName: 'Round^Trip', accessionNumber: 'ACC-RT' });
    const list = await impl.client.findSeries(peer, caller, series.studyInstanceUid);
    expect(list).toEqual([expect.objectContaining({ seriesInstanceUid: series.seriesInstanceUid, modality: 'CT', numberOfInstances: 12 })]);
    expect(await impl.client.findStudies(peer, caller, { patientId: 'NOBODY' })).toEqual([]);
  });

  it('C-MOVE sends the study into our listener, which hands the series on once it is complete', async () => {
    const outcome = await impl.client.move(peer, caller, { studyInstanceUid: series.studyInstanceUid }, 'LUNGLENS');
    expect(outcome).toMatchObject({ status: 0, completed: 12, failed: 0 });
    const end = Date.now() + 15_000;
    while (stable.length === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
    expect(stable).toHaveLength(1);
    expect(stable[0]).toMatchObject({ seriesInstanceUid: series.seriesInstanceUid, instances: 12 });
    const first = await fs.readFile(path.join(stable[0]!.folder, `${series.sopInstanceUids[0]}.dcm`));
    const sent = await fs.readFile(series.files[0]!);
    expect(Buffer.compare(first.subarray(dataSetOffset(first)), sent.subarray(dataSetOffset(sent)))).toBe(0);
  }, 60_000);

  let objects: ResultObject[] = [];
  it('C-STORE of the four result objects; QIDO-RS finds them in the study, and they read back unchanged', async () => {
    expect(stable).toHaveLength(1);
    const source = await readSource([stable[0]!.folder]);
    objects = resultObjects(fixtureInput(source, fixtureAnalysis(12, syntheticLungMask(source.volume))), source.volume);
    const files = await writeResultFiles(objects, path.join(dir, 'results'));
    const outcomes = await impl.client.store(peer, caller, files);
    expect(outcomes.map((o) => o.ok), JSON.stringify(outcomes)).toEqual([true, true, true, true]);
    if (!hasOrthancDicomWeb) return;
    const found = await searchSeries({ url: orthanc.dicomweb }, series.studyInstanceUid);
    expect(found.map((s) => s.modality).sort()).toEqual(['CT', 'KO', 'OT', 'SEG', 'SR']);
    const instances = await searchInstances({ url: orthanc.dicomweb }, series.studyInstanceUid);
    for (const o of objects) expect(instances.map((i) => i.sopInstanceUid)).toContain(o.sopInstanceUid);
    // What the archive keeps is what we wrote: the data set, byte for byte.
    for (const o of objects) {
      const kept = await orthancFile(orthanc, o.sopInstanceUid);
      expect(Buffer.compare(kept.subarray(dataSetOffset(kept)), o.bytes.subarray(dataSetOffset(o.bytes))), o.kind).toBe(0);
    }
    expect(readReport(await orthancFile(orthanc, objects[0]!.sopInstanceUid)).verdict).toBe('covid');
  }, 60_000);
});

describe.skipIf(skip || !hasOrthancDicomWeb)(`DICOMweb with a real PACS (Orthanc's plugin)${skip || !hasOrthancDicomWeb ? ' — skipped: orthanc-dicomweb is needed' : ''}`, () => {
  let orthanc: OrthancPeer;
  let series: SyntheticSeries;
  const dir = path.join(work, 'dicomweb');

  beforeAll(async () => {
    series = await writeSyntheticSeries(path.join(dir, 'ct'), { columns: 64, rows: 48, slices: 10, seed: 'dicomweb', attributes: () => ({ PatientID: 'DW-1', PatientName: 'Web^Dicom' }) });
    orthanc = await startOrthanc(path.join(dir, 'orthanc'), {});
    await uploadToOrthanc(orthanc, series.files);
  }, 120_000);
  afterAll(async () => {
    await orthanc?.stop();
    await fs.rm(work, { recursive: true, force: true });
  });

  it('QIDO-RS finds the study and its series', async () => {
    const studies = await searchStudies({ url: orthanc.dicomweb }, { patientId: 'DW-1' });
    expect(studies).toEqual([expect.objectContaining({ studyInstanceUid: series.studyInstanceUid, patientName: 'Web^Dicom', numberOfSeries: 1, numberOfInstances: 10 })]);
    expect(await searchSeries({ url: orthanc.dicomweb }, series.studyInstanceUid)).toEqual([expect.objectContaining({ seriesInstanceUid: series.seriesInstanceUid, modality: 'CT' })]);
  });

  it('WADO-RS retrieves the series instance by instance, each file whole', async () => {
    const files = await retrieveSeries({ url: orthanc.dicomweb }, series.studyInstanceUid, series.seriesInstanceUid, path.join(dir, 'wado'));
    expect(files).toHaveLength(10);
    const source = await readSource([path.join(dir, 'wado')]);
    expect(source.dicom.slices.map((s) => s.sopInstanceUid)).toEqual(series.sopInstanceUids);
  });

  it('STOW-RS stores the four result objects; QIDO-RS finds them', async () => {
    const source = await readSource([path.dirname(series.files[0]!)]);
    const objects = resultObjects(fixtureInput(source, fixtureAnalysis(10, syntheticLungMask(source.volume))), source.volume);
    const files = await writeResultFiles(objects, path.join(dir, 'results'));
    const outcome = await storeInstances({ url: orthanc.dicomweb }, files);
    expect(outcome.failed).toEqual([]);
    expect(outcome.stored.sort()).toEqual(objects.map((o) => o.sopInstanceUid).sort());
    const instances = await searchInstances({ url: orthanc.dicomweb }, series.studyInstanceUid);
    expect(instances.filter((i) => objects.some((o) => o.sopInstanceUid === i.sopInstanceUid))).toHaveLength(4);
    const seg = objects.find((o) => o.kind === 'seg')!;
    const back = readLungMask(seg.bytes, { frameOfReferenceUid: source.dicom.frameOfReferenceUid, slices: source.dicom.slices, geometry: { columns: 64, rows: 48, spacingMm: source.volume.spacingMm, originLps: source.volume.originLps, direction: [...source.volume.direction] } });
    expect(back.framesPlaced).toBeGreaterThan(0);
  });
});
