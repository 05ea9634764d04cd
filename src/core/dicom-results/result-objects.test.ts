import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LungLensError } from '../errors.js';
import { writeSyntheticSeries } from '../samples/synthetic-series.js';
import { dciodvfy, dcmdump, dicomSrValidator, dsrdump, missingToolReason, pydicomJson, tools } from '../testing/dicom-validators.js';
import { decodeSourceText } from './modules.js';
import {
  keyObjectSelection, lungSegmentation, measurementReport, readLungMask, readReport, resultObjects, summaryImage, verifiedReport,
  writeResultFiles, type ResultInput, type ResultObject, type SignOff,
} from './index.js';
import { fixtureAnalysis, fixtureInput, readSource, syntheticLungMask, type ReadSource } from '../testing/result-fixtures.js';

const work = mkdtempSync(path.join(tmpdir(), 'lunglens-results-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

let source: ReadSource;
let input: ResultInput;
let objects: ResultObject[];
let files: Record<string, string>;
let signOff: SignOff;
let verified: ResultObject;

beforeAll(async () => {
  const dir = path.join(work, 'ct');
  // A UTF-8 patient name, so the objects must carry the decoded text, not the bytes read as Latin-1.
  await writeSyntheticSeries(dir, {
    columns: 64, rows: 48, slices: 14, seed: 21,
    attributes: () => ({ SpecificCharacterSet: 'ISO_IR 192', PatientName: 'Müller^Jürgen', PatientID: 'PID-21', AccessionNumber: 'ACC21' }),
  });
  source = await readSource([dir]);
  input = fixtureInput(source, fixtureAnalysis(14, syntheticLungMask(source.volume)));
  objects = resultObjects(input, source.volume);
  signOff = {
    reviewer: 'Doe^Jane', organization: 'Test Hospital', verdict: 'covid', note: 'Ground glass in both lower lobes.',
    marks: Array.from({ length: 14 }, (_, k) => (k === 13 ? 'lesion' : k === 3 ? 'clear' : null)), signedAt: new Date(2026, 11, 6, 11, 0, 0),
  };
  verified = verifiedReport(input, signOff, objects[0]!);
  files = {};
  for (const o of [...objects, verified]) {
    files[o.kind] = path.join(work, `${o.kind}.dcm`);
    writeFileSync(files[o.kind]!, o.bytes);
  }
});

describe('result objects: what a PACS and its viewers receive', () => {
  it('are the four objects, each in its own new series of the source study', () => {
    expect(objects.map((o) => o.kind)).toEqual(['sr', 'seg', 'kos', 'sc']);
    const series = new Set([...objects, verified].map((o) => o.seriesInstanceUid));
    expect(series.size).toBe(5);
    expect(series.has(source.dicom.seriesInstanceUid)).toBe(false);
    const meta = pydicomJson<Array<Record<string, unknown>>>(`
import json, sys, pydicom
out = []
for f in sys.argv[1:]:
    d = pydicom.dcmread(f)
    ce = d.ContributingEquipmentSequence[0]
    out.append({'study': d.StudyInstanceUID, 'desc': d.SeriesDescription, 'name': str(d.PatientName), 'id': d.PatientID,
      'acc': d.AccessionNumber, 'flag': d.get('VerificationFlag'), 'purpose': ce.PurposeOfReferenceCodeSequence[0].CodeValue,
      'maker': ce.Manufacturer, 'model': ce.ManufacturerModelName, 'charset': d.SpecificCharacterSet})
print(json.dumps(out))`, [files.sr!, files.seg!, files.kos!, files.sc!, files['verified-sr']!]);
    for (const m of meta) {
      expect(m['study']).toBe(source.dicom.studyInstanceUid);
      expect(String(m['desc'])).toMatch(/not for diagnostic use$/);
      expect(m['name']).toBe('Müller^Jürgen');
      expect(m['id']).toBe('PID-21');
      expect(m['acc']).toBe('ACC21');
      expect(m).toMatchObject({ purpose: '109102', maker: 'LungLens', model: 'lunglens-compact', charset: 'ISO_IR 192' });
    }
    expect(meta.map((m) => m['flag'])).toEqual(['UNVERIFIED', null, null, null, 'VERIFIED']);
  });

  it('keep their UIDs when the same analysis is written again, and change them when it differs', () => {
    const again = resultObjects(fixtureInput(source, fixtureAnalysis(14, syntheticLungMask(source.volume))), source.volume);
    expect(again.map((o) => o.sopInstanceUid)).toEqual(objects.map((o) => o.sopInstanceUid));
    const other = resultObjects(fixtureInput(source, fixtureAnalysis(14, syntheticLungMask(source.volume), { probability: 0.2, verdict: 'non-covid' })), source.volume);
    expect(other.map((o) => o.sopInstanceUid).some((u, i) => u === objects[i]!.sopInstanceUid)).toBe(false);
  });

  it('refuse an analysis that does not fit the series, naming what is wrong', () => {
    expect(() => fixtureInput(source, fixtureAnalysis(13, null))).toThrowError(LungLensError);
    expect(() => fixtureInput(source, fixtureAnalysis(14, new Uint8Array(10)))).toThrowError(/lung mask has 10 voxels/);
  });

  it('write to a folder as whole files', async () => {
    const written = await writeResultFiles(objects, path.join(work, 'written'));
    expect(written.map((f) => path.basename(f).split('-')[0])).toEqual(['sr', 'seg', 'kos', 'sc']);
  });
});

/** dciodvfy's warnings we accept, each with the reason (reported with the tests). */
const ACCEPTED_DCIODVFY = [
  // Our private coding scheme: dciodvfy knows only the standard designators; it is declared in the Coding Scheme Identification Sequence.
  /Unrecognized defined term = <99LUNGLENS>/,
  /CodingSchemeUID\(0008,010c\)\[1\]> - Unrecognized defined term/,
];
/** PixelMed's TID 1501 predates rows 11–12 (qualitative evaluations in a measurement group), which PS3.16 has now. */
const ACCEPTED_SR = [/CODE \(840539006,SCT,"COVID-19"\): Content Item not in template/];

describe.skipIf(!tools.dciodvfy)(`dciodvfy (dicom3tools)${tools.dciodvfy ? '' : ` — skipped: ${missingToolReason('dciodvfy')}`}`, () => {
  it.each(['sr', 'seg', 'kos', 'sc', 'verified-sr'])('%s has no errors and only the known warnings', (kind) => {
    const r = dciodvfy(files[kind]!);
    expect(r.errors, r.output).toEqual([]);
    expect(r.warnings.filter((w) => !ACCEPTED_DCIODVFY.some((a) => a.test(w))), r.output).toEqual([]);
  });
});

describe.skipIf(!tools.srValidator)(`DicomSRValidator (PixelMed)${tools.srValidator ? '' : ` — skipped: ${missingToolReason('srValidator')}`}`, () => {
  it.each(['sr', 'verified-sr', 'kos'])('%s has no errors and only the known warnings', (kind) => {
    const r = dicomSrValidator(files[kind]!);
    expect(r.output).toMatch(/Found Root Template TID_(1500|2010)/);
    expect(r.errors, r.output).toEqual([]);
    expect(r.warnings.filter((w) => !ACCEPTED_SR.some((a) => a.test(w))), r.output).toEqual([]);
  }, 240_000);
});

describe.skipIf(!tools.dsrdump || !tools.dcmdump)('DCMTK reads them back', () => {
  it('dsrdump shows the report a radiologist would read', () => {
    const r = dsrdump(files.sr!, ['+Pc']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Imaging Measurement Report');
    expect(r.stdout).toContain('(121007,DCM,"Device")');
    expect(r.stdout).toMatch(/NUM:\(LL0001,99LUNGLENS,"Probability of COVID-19"\)="0.8734" \(1,UCUM,"no units"\)/);
    expect(r.stdout).toContain('CODE:(840539006,SCT,"COVID-19")=(52101004,SCT,"Present")');
    const v = dsrdump(files['verified-sr']!);
    expect(v.stdout).toMatch(/Verification Flag\s*:\s*VERIFIED|VERIFIED/);
    expect(v.stdout).toContain('Doe^Jane');
  });

  it.each(['sr', 'seg', 'kos', 'sc', 'verified-sr'])('dcmdump parses %s without complaint', (kind) => {
    const r = dcmdump(files[kind]!);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
  });
});

describe.skipIf(!tools.pydicom)('pydicom reads them back', () => {
  it('the SEG frames are the lung mask of the slices that hold lung, and the SC is the summary picture', () => {
    const r = pydicomJson<{ frames: number; sums: number[]; sources: string[]; sc: number[] }>(`
import json, sys, pydicom
seg = pydicom.dcmread(sys.argv[1]); sc = pydicom.dcmread(sys.argv[2])
a = seg.pixel_array
print(json.dumps({'frames': int(seg.NumberOfFrames), 'sums': [int(f.sum()) for f in a],
  'sources': [f.DerivationImageSequence[0].SourceImageSequence[0].ReferencedSOPInstanceUID for f in seg.PerFrameFunctionalGroupsSequence],
  'sc': list(sc.pixel_array.shape)}))`, [files.seg!, files.sc!]);
    const [columns, rows] = source.volume.dimensions;
    const mask = input.analysis.lungMask!;
    const perSlice = Array.from({ length: 14 }, (_, k) => mask.subarray(k * columns * rows, (k + 1) * columns * rows).reduce((s, v) => s + v, 0));
    const withLung = perSlice.map((s, k) => [s, k] as const).filter(([s]) => s > 0);
    expect(r.frames).toBe(withLung.length);
    expect(r.sums).toEqual(withLung.map(([s]) => s));
    expect(r.sources).toEqual(withLung.map(([, k]) => source.dicom.slices[k]!.sopInstanceUid));
    expect(r.sc).toEqual([768, 1024, 3]);
  });
});

describe('LungLens reads its own objects back', () => {
  it('the report gives the verdict, probability and top slices as images of the series', () => {
    const r = readReport(objects[0]!.bytes);
    expect(r).toMatchObject({ verdict: 'covid', probability: 0.8734, threshold: 0.5, verificationFlag: 'UNVERIFIED', review: null });
    expect(r.model).toEqual({ name: 'lunglens-compact', version: '1.2.0' });
    expect(r.topSlices.map((t) => t.sopInstanceUid)).toEqual(input.analysis.topSlices.map((k) => source.dicom.slices[k]!.sopInstanceUid));
    expect(r.topSlices[0]!.attention).toBeCloseTo(input.analysis.sliceAttention[13]!, 8);
  });

  it('the verified report gives the reviewer, their verdict, note and slice marks', () => {
    const r = readReport(verified.bytes);
    expect(r.verificationFlag).toBe('VERIFIED');
    expect(r.review).toEqual({
      reviewer: 'Doe^Jane', verdict: 'covid', note: 'Ground glass in both lower lobes.',
      marks: [{ sopInstanceUid: source.dicom.slices[3]!.sopInstanceUid, mark: 'clear' }, { sopInstanceUid: source.dicom.slices[13]!.sopInstanceUid, mark: 'lesion' }],
    });
  });

  it('an indeterminate result keeps its reasons; a negative one says absent', () => {
    const indeterminate = readReport(measurementReport(fixtureInput(source, fixtureAnalysis(14, null, { verdict: 'indeterminate', probability: 0.51, reasons: ['The scan covers only part of the lungs.'] }))).bytes);
    expect(indeterminate).toMatchObject({ verdict: 'indeterminate', probability: 0.51, reasons: ['The scan covers only part of the lungs.'] });
    expect(readReport(measurementReport(fixtureInput(source, fixtureAnalysis(14, null, { verdict: 'non-covid', probability: 0.03 }))).bytes).verdict).toBe('non-covid');
  });

  it('refuses another SR or image as a report', () => {
    expect(() => readReport(objects[2]!.bytes)).toThrowError(/not a LungLens COVID-19 report/);
  });

  it('a SEG becomes the lung mask on the series grid, voxel for voxel', () => {
    const r = readLungMask(lungSegmentation(input)!.bytes, { frameOfReferenceUid: input.series.frameOfReferenceUid, slices: input.series.slices, geometry: input.geometry });
    expect(r.segments).toEqual(['Lungs']);
    expect(Buffer.compare(Buffer.from(r.mask), Buffer.from(input.analysis.lungMask!))).toBe(0);
  });

  it('a SEG placed by position alone (no source references) lands on the same slices', () => {
    const target = { frameOfReferenceUid: input.series.frameOfReferenceUid, slices: input.series.slices.map((s) => ({ ...s, sopInstanceUid: `${s.sopInstanceUid}9` })), geometry: input.geometry };
    const r = readLungMask(lungSegmentation(input)!.bytes, target);
    expect(Buffer.compare(Buffer.from(r.mask), Buffer.from(input.analysis.lungMask!))).toBe(0);
  });

  it('refuses a SEG of another frame of reference', () => {
    expect(() => readLungMask(lungSegmentation(input)!.bytes, { frameOfReferenceUid: '1.2.3', slices: input.series.slices, geometry: input.geometry }))
      .toThrowError(/another frame of reference/);
  });

  it('no SEG without a mask, no KOS without top slices', () => {
    const bare = fixtureInput(source, fixtureAnalysis(14, null, { topSlices: [] }));
    expect(lungSegmentation(bare)).toBeNull();
    expect(keyObjectSelection(bare)).toBeNull();
    expect(summaryImage(bare, source.volume).kind).toBe('sc');
  });
});

describe('text from the source is decoded with its character set', () => {
  it.each([
    ['M\u00fcller', 'ISO_IR 100', 'Müller'],
    [Buffer.from('Müller', 'utf8').toString('latin1'), 'ISO_IR 192', 'Müller'],
    [Buffer.from([0xb4, 0xd5, 0xd6]).toString('latin1'), 'ISO_IR 144', 'Деж'],
    ['PLAIN^ASCII', '', 'PLAIN^ASCII'],
  ])('%j in %s', (raw, charset, expected) => {
    expect(decodeSourceText(raw, charset)).toBe(expected);
  });
});

describe('SEG bit packing', () => {
  it('packs frames LSB first and back to back, aligned or not', async () => {
    const { packBits } = await import('./segmentation.js');
    const reference = (mask: Uint8Array, len: number, slices: number[]) => {
      const out = new Uint8Array(Math.ceil((len * slices.length) / 8) + (Math.ceil((len * slices.length) / 8) % 2));
      let bit = 0;
      for (const k of slices) for (let i = 0; i < len; i++, bit++) if (mask[k * len + i]) out[bit >> 3]! |= 1 << (bit & 7);
      return out;
    };
    for (const len of [64, 13, 9]) {
      const mask = Uint8Array.from({ length: len * 5 }, (_, i) => ((i * 7919) % 5 < 2 ? 1 : 0));
      expect(packBits(mask, len, [0, 2, 3, 4])).toEqual(reference(mask, len, [0, 2, 3, 4]));
    }
  });
});
