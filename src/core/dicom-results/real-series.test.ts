import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { computeLungMask } from '../lung/index.js';
import { writePhantoms } from '../phantom/index.js';
import { hasSharedData, sharedData, sharedDataSkipReason } from '../testing/shared-data.js';
import { dciodvfy, dicomSrValidator, dsrdump, pydicomJson, tools } from '../testing/dicom-validators.js';
import { readLungMask, readReport, resultObjects } from './index.js';
import { fixtureAnalysis, fixtureInput, readSource, type ReadSource } from '../testing/result-fixtures.js';

const work = mkdtempSync(path.join(tmpdir(), 'lunglens-results-real-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Writes the objects of a series with its real lung mask and checks each with every reader we have. */
async function checkSeries(source: ReadSource, name: string): Promise<void> {
  const lungs = computeLungMask(source.volume);
  expect(lungs.status, lungs.reason).toBe('ok');
  const n = source.volume.dimensions[2];
  const input = fixtureInput(source, fixtureAnalysis(n, lungs.mask, { lungVolumeMl: lungs.lungVolumeMl }));
  const objects = resultObjects(input, source.volume);
  expect(objects.map((o) => o.kind)).toEqual(['sr', 'seg', 'kos', 'sc']);
  const files = objects.map((o) => {
    const file = path.join(work, `${name}-${o.kind}.dcm`);
    writeFileSync(file, o.bytes);
    return file;
  });
  if (tools.dciodvfy) {
    for (const file of files) {
      const r = dciodvfy(file);
      expect(r.errors, `${file}\n${r.output}`).toEqual([]);
    }
  }
  if (tools.srValidator) {
    const r = dicomSrValidator(files[0]!);
    expect(r.errors, r.output).toEqual([]);
  }
  if (tools.dsrdump) expect(dsrdump(files[0]!).status).toBe(0);
  if (tools.pydicom) {
    const frames = pydicomJson<number>('import sys, json, pydicom\nprint(json.dumps(int(pydicom.dcmread(sys.argv[1]).pixel_array.sum())))', [files[1]!]);
    expect(frames).toBe(lungs.mask.reduce((s, v) => s + (v ? 1 : 0), 0));
  }
  expect(readReport(objects[0]!.bytes).topSlices.map((t) => t.sopInstanceUid)).toEqual(input.analysis.topSlices.map((k) => source.dicom.slices[k]!.sopInstanceUid));
  const back = readLungMask(objects[1]!.bytes, { frameOfReferenceUid: input.series.frameOfReferenceUid, slices: input.series.slices, geometry: input.geometry });
  expect(Buffer.compare(Buffer.from(back.mask), Buffer.from(lungs.mask.map((v) => (v ? 1 : 0))))).toBe(0);
}

describe('result objects of a phantom written by `lunglens phantom`', () => {
  it('pass the validators and read back with its lung mask', async () => {
    const out = path.join(work, 'phantom');
    await writePhantoms({ out, count: 1, seed: 'results-7', size: 160, slices: [48, 48] });
    await checkSeries(await readSource([out]), 'phantom');
  }, 600_000);
});

const skipped = hasSharedData ? '' : ` — skipped: ${sharedDataSkipReason}`;
describe.skipIf(!hasSharedData)(`result objects of real chest CT${skipped}`, () => {
  it.each([
    ['lung_fused_ct_pathology_series/data'],
    ['more/popi_4dct_phase00_lungtumor'],
  ])('%s: the objects pass the validators and the SEG reads back as its lung mask', async (folder) => {
    await checkSeries(await readSource([sharedData('chest-ct', folder)]), folder.replace(/\W+/g, '-'));
  }, 600_000);
});
