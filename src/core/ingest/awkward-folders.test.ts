/**
 * What real folders contain, and what a user must see when LungLens reads them: every series found
 * with the right geometry and every voxel's HU (checked by the DESIGN.md §3 checksum against the
 * volume the synthetic series was made from), and each odd file or series flagged with its code.
 */
import { execFileSync } from 'node:child_process';
import { promises as fs, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ErrorCode } from '../errors.js';
import { createUid, writePart10 } from '../dicom/write/index.js';
import {
  CONVERSIONS, convertNamed, findExecutable, slicesSha256, writeSyntheticSeries,
  type ConversionName, type SyntheticSeries, type SyntheticSeriesOptions,
} from '../samples/synthetic-series.js';
import { readSeries } from './read-series.js';
import { IngestPool } from './ingest-pool.js';
import type { InspectResult, SeriesSummary } from './types.js';

const root = mkdtempSync(path.join(tmpdir(), 'lunglens-awkward-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let caseNumber = 0;
async function caseDir(name: string): Promise<string> {
  const dir = path.join(root, `${String(caseNumber++).padStart(2, '0')}-${name.replace(/\W+/g, '-')}`);
  await fs.mkdir(dir, { recursive: true });
  return dir;
}

/** A small series, so that each case takes well under a second. */
const SMALL: SyntheticSeriesOptions = { columns: 40, rows: 32, slices: 8, pixelSpacingMm: [0.9, 0.7], sliceSpacingMm: 2.5 };

// One worker pool for the whole file: starting threads per case would dominate the run time.
const pool = new IngestPool(2);
afterAll(() => pool.close());
const inspect = (paths: string[]): Promise<InspectResult> => readSeries(paths, pool, { checksum: true });

const close = (actual: readonly number[], expected: readonly number[], digits = 4) => {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((v, i) => expect(v, `component ${i} of ${JSON.stringify(actual)}`).toBeCloseTo(expected[i]!, digits));
};

/** The one series of the result that came from `s` (same series UID and image size). */
function seriesFor(result: InspectResult, s: SyntheticSeries): SeriesSummary {
  const found = result.series.filter(
    (x) => x.seriesInstanceUid === s.seriesInstanceUid && x.dimensions[0] === s.dimensions[0] && x.dimensions[1] === s.dimensions[1]
      && Math.abs(x.direction[8]! - s.direction[8]!) < 1e-3 && Math.abs(x.spacingMm[0] - s.spacingMm[0]) < 1e-3,
  );
  expect(found, `series ${s.seriesInstanceUid} (${s.dimensions.join('×')}) found once among ${result.series.length}`).toHaveLength(1);
  return found[0]!;
}

interface Expectation {
  /** Files in slice order (default: all of the synthetic series' files). */
  files?: string[];
  /** Checksum of the expected HU (default: the synthetic series' own). */
  sha256?: string;
  /** Warning codes that must appear, and no others except `allowWarnings`. */
  warnings?: string[];
  allowWarnings?: string[];
  spacingZ?: number;
}

/** Asserts what a user would notice about one series: geometry, slice order, every voxel, warnings. */
function expectSeries(summary: SeriesSummary, s: SyntheticSeries, e: Expectation = {}): void {
  const files = e.files ?? s.files;
  expect(summary.source).toBe('dicom');
  expect(summary.units).toBe('HU');
  expect(summary.modality).toBe('CT');
  expect(summary.studyInstanceUid).toBe(s.studyInstanceUid);
  expect(summary.dimensions).toEqual([s.dimensions[0], s.dimensions[1], files.length]);
  close(summary.spacingMm, [s.spacingMm[0], s.spacingMm[1], e.spacingZ ?? s.spacingMm[2]]);
  close(summary.originLps, s.originLps);
  close(summary.direction, s.direction);
  expect(summary.files).toEqual(files);
  expect(summary.valueSha256, 'checksum of every voxel’s HU').toBe(e.sha256 ?? s.valueSha256);
  const codes = [...new Set(summary.warnings.map((w) => w.code))].sort();
  const allowed = new Set([...(e.warnings ?? []), ...(e.allowWarnings ?? [])]);
  for (const code of e.warnings ?? []) expect(codes, `warning ${code} expected`).toContain(code);
  expect(codes.filter((c) => !allowed.has(c)), 'unexpected warnings').toEqual([]);
  for (const w of summary.warnings) expect(w.message.length, `warning ${w.code} has a sentence`).toBeGreaterThan(10);
}

function expectRejected(result: InspectResult, file: string, code: ErrorCode): void {
  const r = result.rejected.filter((x) => x.path === file);
  expect(r.map((x) => x.code), `rejection of ${path.basename(file)} among ${JSON.stringify(result.rejected.map((x) => [path.basename(x.path), x.code]))}`).toEqual([code]);
  expect(r[0]!.message.length).toBeGreaterThan(10);
}

function expectNoRejections(result: InspectResult): void {
  expect(result.rejected.map((r) => `${path.basename(r.path)}: ${r.code}`)).toEqual([]);
}

describe('files that are not images of the series', () => {
  it('rejects junk as not-dicom, ignores and counts stray notes, tables and thumbnail databases, and still reads the series', async () => {
    const dir = await caseDir('junk');
    const s = await writeSyntheticSeries(dir, SMALL);
    const junk = path.join(dir, 'junk.bin');
    const noExt = path.join(dir, 'VERSION');
    await fs.writeFile(junk, Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7919 + 13) % 251)));
    await fs.writeFile(noExt, '{"version": 3}\n');
    const strays = ['README.txt', 'labels.json', 'scores.csv', 'cases.xlsx', 'Thumbs.db', 'desktop.ini', 'notes.md'];
    for (const name of strays) await fs.writeFile(path.join(dir, name), name === 'Thumbs.db' ? '' : 'Exported by some PACS viewer.\n');
    await fs.writeFile(path.join(dir, '.DS_Store'), Buffer.alloc(64, 1));
    const result = await inspect([dir]);
    expect(result.series).toHaveLength(1);
    expectSeries(seriesFor(result, s), s);
    for (const f of [junk, noExt]) expectRejected(result, f, 'not-dicom');
    expect(result.rejected).toHaveLength(2);
    expect(result.ignored.map((f) => path.basename(f)).sort()).toEqual([...strays, '.DS_Store'].sort());
  });

  it('rejects a DICOMDIR as dicomdir and reads the images beside it', async () => {
    const dir = await caseDir('dicomdir');
    const s = await writeSyntheticSeries(dir, SMALL);
    const dicomdir = path.join(dir, 'DICOMDIR');
    await fs.writeFile(dicomdir, writePart10([
      { tag: 0x00041130, vr: 'CS', value: 'LUNGLENS' },
      { tag: 0x00041200, vr: 'UL', value: 0 },
      { tag: 0x00041202, vr: 'UL', value: 0 },
      { tag: 0x00041212, vr: 'US', value: 0 },
      { tag: 0x00041220, vr: 'SQ', value: [] },
    ], { mediaStorageSopClassUid: '1.2.840.10008.1.3.10', mediaStorageSopInstanceUid: createUid() }));
    const result = await inspect([dir]);
    expectSeries(seriesFor(result, s), s);
    expectRejected(result, dicomdir, 'dicomdir');
    expect(result.rejected).toHaveLength(1);
  });

  it('ignores hidden files and folders (.DS_Store, .git/, ._ resource forks)', async () => {
    const dir = await caseDir('hidden');
    const s = await writeSyntheticSeries(dir, SMALL);
    await fs.writeFile(path.join(dir, '.DS_Store'), Buffer.from([0, 0, 0, 1, 66, 117, 100, 49]));
    await fs.writeFile(path.join(dir, '._IM0001.dcm'), Buffer.from('Mac OS X resource fork'));
    await fs.mkdir(path.join(dir, '.git', 'objects'), { recursive: true });
    await fs.copyFile(s.files[0]!, path.join(dir, '.git', 'objects', 'copy.dcm'));
    await writeSyntheticSeries(path.join(dir, '.trash'), { ...SMALL, slices: 3 });
    const result = await inspect([dir]);
    expect(result.series).toHaveLength(1);
    expectSeries(seriesFor(result, s), s);
    expectNoRejections(result);
  });

  it('localizer images are dropped with code localizer', async () => {
    const dir = await caseDir('localizer');
    const s = await writeSyntheticSeries(dir, SMALL);
    const scout = await writeSyntheticSeries(dir, {
      columns: 40, rows: 40, slices: 1, orientation: 'coronal', fileNamePrefix: 'SCOUT',
      studyInstanceUid: s.studyInstanceUid, seriesInstanceUid: s.seriesInstanceUid, frameOfReferenceUid: s.frameOfReferenceUid,
      imageType: ['ORIGINAL', 'PRIMARY', 'LOCALIZER'],
    });
    const result = await inspect([dir]);
    expect(result.series).toHaveLength(1);
    expectSeries(seriesFor(result, s), s);
    expectRejected(result, scout.files[0]!, 'localizer');
  });
});

describe('what the file system holds', () => {
  it('a symlink loop terminates and yields no duplicates', async () => {
    const dir = await caseDir('symlink-loop');
    const s = await writeSyntheticSeries(path.join(dir, 'series'), SMALL);
    await fs.symlink('..', path.join(dir, 'series', 'up'));
    await fs.symlink(path.join(dir, 'series'), path.join(dir, 'series-again'));
    const result = await inspect([dir]);
    expect(result.series).toHaveLength(1);
    expectSeries(seriesFor(result, s), s);
    expectNoRejections(result);
  });

  it('a dangling symlink and a FIFO are rejected as unreadable without blocking', async () => {
    const dir = await caseDir('unreadable');
    const s = await writeSyntheticSeries(dir, SMALL);
    const dangling = path.join(dir, 'IM9999.dcm');
    await fs.symlink(path.join(dir, 'gone.dcm'), dangling);
    const fifo = path.join(dir, 'pipe.dcm');
    const haveFifo = findExecutable('mkfifo') !== null;
    if (haveFifo) execFileSync('mkfifo', [fifo]);
    const result = await inspect([dir]);
    expectSeries(seriesFor(result, s), s);
    expectRejected(result, dangling, 'unreadable');
    if (haveFifo) expectRejected(result, fifo, 'unreadable');
  });

  it.skipIf(process.getuid?.() === 0)('a file without read permission is rejected as unreadable (skipped as root: chmod does not stop root)', async () => {
    const dir = await caseDir('chmod');
    const s = await writeSyntheticSeries(dir, SMALL);
    const locked = path.join(dir, 'locked.dcm');
    await fs.copyFile(s.files[0]!, locked);
    await fs.chmod(locked, 0o000);
    const result = await inspect([dir]);
    expectRejected(result, locked, 'unreadable');
  });

  it('a zero-byte file is rejected as empty-file', async () => {
    const dir = await caseDir('empty');
    const s = await writeSyntheticSeries(dir, SMALL);
    const empty = path.join(dir, 'IM0000.dcm');
    await fs.writeFile(empty, '');
    const result = await inspect([dir]);
    expectSeries(seriesFor(result, s), s);
    expectRejected(result, empty, 'empty-file');
  });

  it('a file cut short inside its pixel data is rejected, and the rest of its series is still read', async () => {
    const dir = await caseDir('truncated');
    const s = await writeSyntheticSeries(dir, { ...SMALL, slices: 10 });
    const cut = s.files[4]!;
    const bytes = await fs.readFile(cut);
    await fs.writeFile(cut, bytes.subarray(0, bytes.length - 700));
    const kept = [0, 1, 2, 3, 5, 6, 7, 8, 9];
    const result = await inspect([dir]);
    expectRejected(result, cut, 'corrupt-file');
    expectSeries(seriesFor(result, s), s, { files: kept.map((k) => s.files[k]!), sha256: slicesSha256(s, kept), warnings: ['slice-gap'] });
  });

  it('the same SOP instance twice keeps one slice and rejects the copy as duplicate-instance', async () => {
    const dir = await caseDir('duplicate-instance');
    const s = await writeSyntheticSeries(dir, SMALL);
    const original = s.files[3]!;
    const copy = path.join(dir, 'copy of slice 4.dcm');
    await fs.copyFile(original, copy);
    const result = await inspect([dir]);
    const summary = seriesFor(result, s);
    const dup = result.rejected.filter((r) => r.code === 'duplicate-instance');
    expect(dup, 'exactly one duplicate-instance rejection').toHaveLength(1);
    expect([original, copy]).toContain(dup[0]!.path);
    const kept = dup[0]!.path === copy ? original : copy;
    expectSeries(summary, s, { files: s.files.map((f) => (f === original ? kept : f)) });
    expect(result.rejected).toHaveLength(1);
  });
});

describe('series and folders', () => {
  it('two series in one folder are both found', async () => {
    const dir = await caseDir('two-series');
    const a = await writeSyntheticSeries(dir, { ...SMALL, fileNamePrefix: 'A', seriesNumber: 2 });
    const b = await writeSyntheticSeries(dir, { ...SMALL, columns: 36, rows: 36, slices: 6, sliceSpacingMm: 5, fileNamePrefix: 'B', seriesNumber: 3 });
    const result = await inspect([dir]);
    expect(result.series).toHaveLength(2);
    expectSeries(seriesFor(result, a), a);
    expectSeries(seriesFor(result, b), b);
    expectNoRejections(result);
  });

  it.each([
    ['given their parent folder', 'parent'],
    ['given both folders', 'both'],
  ])('one series split across two folders is one series (%s)', async (_name, how) => {
    const dir = await caseDir('split-folders');
    const s = await writeSyntheticSeries(path.join(dir, 'part1'), { ...SMALL, fileNames: 'shuffled' });
    await fs.mkdir(path.join(dir, 'part2'));
    const moved = s.files.filter((_, k) => k % 2 === 1);
    const files = s.files.map((f) => (moved.includes(f) ? path.join(dir, 'part2', path.basename(f)) : f));
    for (const f of moved) await fs.rename(f, path.join(dir, 'part2', path.basename(f)));
    const result = await inspect(how === 'parent' ? [dir] : [path.join(dir, 'part1'), path.join(dir, 'part2')]);
    expect(result.series).toHaveLength(1);
    expectSeries(seriesFor(result, s), s, { files });
    expectNoRejections(result);
  });

  it.each([
    ['image size', { columns: 40, rows: 32 }, { columns: 32, rows: 32 }, []],
    ['pixel spacing', { pixelSpacingMm: [0.9, 0.7] }, { pixelSpacingMm: [0.6, 0.6] }, []],
    ['orientation', {}, { orientation: 'coronal', slices: 6 }, ['non-axial']],
  ] as [string, SyntheticSeriesOptions, SyntheticSeriesOptions, string[]][])(
    'images of one series that disagree in %s become separate series',
    async (_name, first, second, secondWarnings) => {
      const dir = await caseDir('disagree');
      const a = await writeSyntheticSeries(dir, { ...SMALL, ...first, fileNamePrefix: 'A' });
      const b = await writeSyntheticSeries(dir, {
        ...SMALL, ...second, fileNamePrefix: 'B',
        studyInstanceUid: a.studyInstanceUid, seriesInstanceUid: a.seriesInstanceUid, frameOfReferenceUid: a.frameOfReferenceUid,
      });
      const result = await inspect([dir]);
      expect(result.series).toHaveLength(2);
      expectSeries(seriesFor(result, a), a, { allowWarnings: ['series-split'] });
      expectSeries(seriesFor(result, b), b, { warnings: secondWarnings, allowWarnings: ['series-split'] });
      expectNoRejections(result);
    },
  );
});

describe('slice order and spacing', () => {
  it('orders shuffled file names and InstanceNumbers that run against z by position', async () => {
    const dir = await caseDir('shuffled');
    const s = await writeSyntheticSeries(dir, { ...SMALL, slices: 12, fileNames: 'shuffled', instanceNumbers: 'descending' });
    const result = await inspect([dir]);
    expectSeries(seriesFor(result, s), s, { warnings: [] });
    expectNoRejections(result);
  });

  it('orders by position when InstanceNumbers are shuffled too', async () => {
    const dir = await caseDir('shuffled-instances');
    const s = await writeSyntheticSeries(dir, { ...SMALL, slices: 12, fileNames: 'shuffled', instanceNumbers: 'shuffled', seed: 7 });
    const result = await inspect([dir]);
    expectSeries(seriesFor(result, s), s, { warnings: [] });
  });

  it('a missing slice gives slice-gap and keeps the others in place', async () => {
    const dir = await caseDir('gap');
    const s = await writeSyntheticSeries(dir, { ...SMALL, slices: 10 });
    await fs.rm(s.files[4]!);
    const kept = [0, 1, 2, 3, 5, 6, 7, 8, 9];
    const result = await inspect([dir]);
    expectSeries(seriesFor(result, s), s, { files: kept.map((k) => s.files[k]!), sha256: slicesSha256(s, kept), warnings: ['slice-gap'] });
  });

  it('irregular spacing gives irregular-spacing', async () => {
    const dir = await caseDir('irregular');
    const s = await writeSyntheticSeries(dir, { ...SMALL, positionsMm: [0, 2.5, 5.4, 7.5, 10, 12.1, 15, 17.5] });
    const result = await inspect([dir]);
    expectSeries(seriesFor(result, s), s, { warnings: ['irregular-spacing'], spacingZ: 2.5 });
  });

  it('duplicated positions give duplicate-position and one slice per position', async () => {
    const dir = await caseDir('duplicate-position');
    const s = await writeSyntheticSeries(dir, { ...SMALL, positionsMm: [0, 2.5, 5, 5, 7.5, 10, 12.5, 15] });
    const result = await inspect([dir]);
    const summary = seriesFor(result, s);
    const kept = [0, 1, 2, 4, 5, 6, 7];
    // Slices 2 and 3 share a position (and are identical); either file may be the one kept.
    const files = kept.map((k) => s.files[k]!);
    if (summary.files[2] === s.files[3]) files[2] = s.files[3]!;
    expectSeries(summary, s, { files, sha256: slicesSha256(s, kept), warnings: ['duplicate-position'], spacingZ: 2.5 });
  });

  it('a gantry tilt gives gantry-tilt, with spacing along the tilted normal', async () => {
    const dir = await caseDir('gantry-tilt');
    const s = await writeSyntheticSeries(dir, { ...SMALL, gantryTiltDeg: 15 });
    const result = await inspect([dir]);
    expectSeries(seriesFor(result, s), s, { warnings: ['gantry-tilt'] });
  });

  it.each([
    ['coronal', { orientation: 'coronal' }],
    ['sagittal', { orientation: 'sagittal' }],
  ] as [string, SyntheticSeriesOptions][])('a %s series gives non-axial', async (_name, opts) => {
    const dir = await caseDir('non-axial');
    const s = await writeSyntheticSeries(dir, { ...SMALL, ...opts });
    const result = await inspect([dir]);
    expectSeries(seriesFor(result, s), s, { warnings: ['non-axial'] });
  });
});

describe('stored representations give identical HU', () => {
  const base: SyntheticSeriesOptions = { ...SMALL, fileNames: 'shuffled' };
  it.each([
    ['signed 16-bit (intercept 0)', {}, []],
    ['unsigned 16-bit (intercept −1024)', { signed: false }, []],
    ['signed BitsStored 12', { bitsStored: 12 }, []],
    ['unsigned BitsStored 12', { signed: false, bitsStored: 12 }, []],
    ['unsigned BitsStored 12 with junk in the unused high bits', { signed: false, bitsStored: 12, unusedBits: 'noise' }, []],
    ['signed BitsStored 12 with junk in the unused high bits', { bitsStored: 12, unusedBits: 'noise' }, []],
    ['signed with PixelPaddingValue −2000', { pixelPaddingValue: -2000 }, ['pixel-padding']],
    ['unsigned BitsStored 12 with PixelPaddingValue 0', { signed: false, bitsStored: 12, pixelPaddingValue: 0 }, ['pixel-padding']],
    ['signed BitsStored 12, junk bits and padding −2000', { bitsStored: 12, unusedBits: 'noise', pixelPaddingValue: -2000 }, ['pixel-padding']],
  ] as [string, SyntheticSeriesOptions, string[]][])('%s', async (_name, opts, allow) => {
    const dir = await caseDir('representation');
    const s = await writeSyntheticSeries(dir, { ...base, ...opts });
    const reference = await writeSyntheticSeries(await caseDir('reference'), base);
    expect(s.valueSha256).toBe(reference.valueSha256);
    const result = await inspect([dir]);
    expectSeries(seriesFor(result, s), s, { allowWarnings: allow });
    expectNoRejections(result);
  });

  it('a rescale slope of 2 scales the stored values', async () => {
    const dir = await caseDir('slope');
    const s = await writeSyntheticSeries(dir, { ...base, signed: false, rescaleSlope: 2, rescaleIntercept: -1024 });
    const result = await inspect([dir]);
    expectSeries(seriesFor(result, s), s);
  });
});

describe('transfer syntaxes give identical HU', () => {
  const base: SyntheticSeriesOptions = { ...SMALL, bitsStored: 12, pixelPaddingValue: -2000, fileNames: 'shuffled' };
  let reference: SyntheticSeries | undefined;
  const referenceSeries = async () => (reference ??= await writeSyntheticSeries(await caseDir('ts-reference'), base));

  it.each([
    ['explicit VR little endian', {}, '1.2.840.10008.1.2.1'],
    ['implicit VR little endian', { transferSyntax: 'implicit-little' }, '1.2.840.10008.1.2'],
    ['deflated (LungLens writer)', { transferSyntax: 'deflated-explicit-little' }, '1.2.840.10008.1.2.1.99'],
    ['file meta without preamble', { preamble: false }, '1.2.840.10008.1.2.1'],
    ['no preamble and no file meta (implicit VR)', { fileMeta: false, transferSyntax: 'implicit-little' }, '1.2.840.10008.1.2'],
  ] as [string, SyntheticSeriesOptions, string][])('%s', async (_name, opts, uid) => {
    const ref = await referenceSeries();
    const dir = await caseDir('ts');
    const s = await writeSyntheticSeries(dir, { ...base, ...opts });
    expect(s.valueSha256).toBe(ref.valueSha256);
    const result = await inspect([dir]);
    const summary = seriesFor(result, s);
    expectSeries(summary, s, { allowWarnings: ['pixel-padding'] });
    expect(summary.transferSyntaxUids).toEqual([uid]);
    expectNoRejections(result);
  });

  const conversions = Object.keys(CONVERSIONS) as ConversionName[];
  it.each(conversions.map((name) => {
    const tool = CONVERSIONS[name].tool;
    const missing = findExecutable(tool) === null;
    return [`${name} (${tool} ${CONVERSIONS[name].args.join(' ')})${missing ? ` — skipped: ${tool} is not installed` : ''}`, name, missing] as const;
  }))('%s', async (_label, name, missing) => {
    if (missing) return;
    const ref = await referenceSeries();
    const dir = await caseDir(name);
    const written = await convertNamed(name, ref.dir, dir, { concurrency: 2 });
    const byName = new Map(written!.map((f) => [path.basename(f), f]));
    const files = ref.files.map((f) => byName.get(path.basename(f))!);
    const result = await inspect([dir]);
    const summary = seriesFor(result, ref);
    expectSeries(summary, ref, { files, allowWarnings: ['pixel-padding'] });
    expect(summary.transferSyntaxUids).toEqual([CONVERSIONS[name].transferSyntaxUid]);
    expectNoRejections(result);
  });
});
