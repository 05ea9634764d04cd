/**
 * LungLens' reader against an independent one (pydicom + GDCM, cross-checked with dcmtk).
 *
 * The expected values are in `__fixtures__/reference.json`, written by
 * `scripts/reference/dump_reference.py` (run `npm run fixtures:reference`, i.e.
 * `/usr/bin/python3 scripts/reference/dump_reference.py`, from the project root) — never typed by
 * hand. Every file of ../shared/data/dicom-corpus and every DICOM series of ../shared/data/chest-ct
 * has an entry: it is either read, with the same geometry and (for lossless transfer syntaxes) the
 * very same HU values as the reference, or rejected with a code and a sentence. Nothing throws.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hasSharedData, projectRoot, sharedData, sharedDataRoot, sharedDataSkipReason } from '../testing/shared-data.js';
import { isStrayFile } from './discover.js';
import { readSeries } from './read-series.js';
import { IngestPool } from './ingest-pool.js';
import type { InspectResult, SeriesSummary } from './types.js';

// One worker pool for every entry: starting threads per entry would dominate the run time.
const pool = new IngestPool(2);
afterAll(() => pool.close());

type Vec3 = [number, number, number];

interface Values {
  valueRange: [number, number];
  valueMean: number;
  valueSha256: string;
}

interface Geometry extends Values {
  dimensions: Vec3;
  /** z is null for a single slice. */
  spacingMm: [number, number, number | null];
  originLps: Vec3;
  direction: number[];
}

/** A second reader's result where pydicom+GDCM failed; geometry the file lacks is absent, not invented. */
interface Secondary extends Partial<Omit<Geometry, 'spacingMm'>> {
  reader: string | null;
  pixelExact?: boolean;
  spacingMm?: [number, number, number | null] | null;
  assumed?: string[];
  errors?: string[];
}

interface ReferenceEntry extends Partial<Geometry> {
  path: string;
  kind: 'file' | 'folder' | 'fileset';
  inputs?: string[];
  dicom: boolean;
  part10?: boolean;
  decodable: boolean;
  error?: string;
  errorKind?: string;
  missing?: string[];
  localizer?: boolean;
  transferSyntaxUid?: string;
  pixelExact?: boolean;
  files?: string[];
  alternatives?: Record<string, Values>;
  acceptAlternatives?: string[];
  secondary?: Secondary;
  notes?: string[];
}

interface Reference {
  generator: {
    script: string;
    command: string;
    scriptSha256: string;
    helperSha256: Record<string, string>;
    pydicom: string;
    gdcm: string;
    dcmtk: string;
  };
  dataRoot: string;
  conventions: string[];
  entries: ReferenceEntry[];
}

const SCRIPT = 'scripts/reference/dump_reference.py';
const reference = JSON.parse(
  readFileSync(new URL('./__fixtures__/reference.json', import.meta.url), 'utf8'),
) as Reference;

/** Tolerances: in-plane spacing, slice spacing, origin (mm); direction cosines; HU mean of lossy data. */
const TOL = { spacingXY: 1e-4, spacingZ: 1e-3, origin: 1e-3, direction: 1e-4, lossyMeanHu: 1 };
const SLOW_CASE_MS = 180_000;

/** Cases where LungLens reads what the reference could not: for a human to look at. */
const flagged: string[] = [];

const toPosix = (p: string) => p.split(path.sep).join('/');
const relativeToData = (p: string) => toPosix(path.relative(sharedDataRoot, path.resolve(p)));

function inputsOf(entry: ReferenceEntry): string[] {
  return entry.kind === 'fileset' ? entry.inputs!.map((p) => sharedData(p)) : [sharedData(entry.path)];
}

function isSentence(text: string): boolean {
  return /^[A-Z]/.test(text) && /[.!?]["')\]]?$/.test(text.trim()) && text.trim().split(/\s+/).length >= 3;
}

function expectClose(actual: readonly number[], expected: readonly (number | null)[], tolerance: number, what: string) {
  expect(actual, `${what}: length`).toHaveLength(expected.length);
  expected.forEach((e, i) => {
    if (e === null) return;
    const a = actual[i]!;
    expect(Math.abs(a - e), `${what}[${i}]: got ${a}, reference ${e} (tolerance ${tolerance})`).toBeLessThanOrEqual(tolerance);
  });
}

/** Compares what the reference knows; a field it lacks (a file without that attribute) is not compared. */
function expectGeometry(s: SeriesSummary, ref: Secondary | Partial<Geometry>) {
  expect(s.dimensions, 'dimensions [columns, rows, slices]').toEqual(ref.dimensions);
  if (ref.spacingMm) {
    const [x, y, z] = ref.spacingMm;
    expectClose(s.spacingMm.slice(0, 2), [x, y], TOL.spacingXY, 'spacingMm x,y');
    if (z !== null) expectClose([s.spacingMm[2]], [z], TOL.spacingZ, 'spacingMm z');
  }
  if (ref.originLps) expectClose(s.originLps, ref.originLps, TOL.origin, 'originLps');
  if (ref.direction) expectClose(s.direction, ref.direction, TOL.direction, 'direction');
}

/** Exact HU values (the hash), or one of the alternatives the reference names as acceptable. */
function expectSameValues(s: SeriesSummary, entry: ReferenceEntry, ref: Values) {
  const accepted: [string, Values][] = [['reference', ref]];
  for (const name of entry.acceptAlternatives ?? []) accepted.push([name, entry.alternatives![name]!]);
  const match = accepted.find(([, v]) => v.valueSha256 === s.valueSha256);
  expect(
    match,
    `valueSha256 ${s.valueSha256} (range ${JSON.stringify(s.valueRange)}, mean ${s.valueMean}) matches none of: ` +
      accepted.map(([n, v]) => `${n} ${v.valueSha256} (range ${JSON.stringify(v.valueRange)}, mean ${v.valueMean})`).join('; '),
  ).toBeDefined();
  expect(s.valueRange).toEqual(match![1].valueRange);
  expect(Math.abs(s.valueMean - match![1].valueMean)).toBeLessThan(1e-6);
  if (match![0] !== 'reference') {
    flagged.push(`${entry.path}: read as '${match![0]}', not the reference's reading (${entry.notes?.join(' ')})`);
  }
}

function expectLossyValues(s: SeriesSummary, ref: Values) {
  expect(
    Math.abs(s.valueMean - ref.valueMean),
    `valueMean ${s.valueMean} vs reference ${ref.valueMean} (lossy: tolerance ${TOL.lossyMeanHu} HU)`,
  ).toBeLessThanOrEqual(TOL.lossyMeanHu);
}

function expectRejected(result: InspectResult, why: string) {
  expect(result.series, `${why}: no series expected, got ${result.series.map((s) => s.path).join(', ')}`).toHaveLength(0);
  expect(result.rejected.length, `${why}: a rejection expected`).toBeGreaterThan(0);
  for (const r of result.rejected) {
    expect(typeof r.code === 'string' && r.code.length > 0, `rejection code of ${r.path}: ${JSON.stringify(r.code)}`).toBe(true);
    expect(isSentence(r.message), `rejection message of ${r.path} is not a sentence: ${JSON.stringify(r.message)}`).toBe(true);
  }
}

async function inspectEntry(entry: ReferenceEntry): Promise<InspectResult> {
  try {
    return await readSeries(inputsOf(entry), pool, { checksum: true });
  } catch (error) {
    throw new Error(`inspectPaths threw on ${entry.path} (it must reject, not throw): ${String(error)}`, { cause: error });
  }
}

/** The one helper every case goes through. */
async function checkEntry(entry: ReferenceEntry): Promise<void> {
  const result = await inspectEntry(entry);

  if (!entry.dicom) {
    // Notes, licences and scripts beside the images are stray files: skipped and counted, not rejected.
    if (isStrayFile(path.basename(entry.path))) {
      expect(result.series).toHaveLength(0);
      expect(result.rejected).toEqual([]);
      expect(result.ignored).toHaveLength(1);
      return;
    }
    expectRejected(result, 'not a DICOM file');
    return;
  }

  if (!entry.decodable) {
    if (result.series.length === 0) {
      expectRejected(result, `the reference could not read it (${entry.error})`);
      return;
    }
    // LungLens reads what pydicom+GDCM could not: compare with the second reader where there is one.
    expect(result.series, 'at most one series from one file').toHaveLength(1);
    const s = result.series[0]!;
    const sec = entry.secondary;
    if (sec?.reader && sec.valueSha256) {
      expectGeometry(s, sec);
      if (sec.pixelExact) expectSameValues(s, { ...entry, acceptAlternatives: [] }, sec as Values);
      else expectLossyValues(s, sec as Values);
      const lacking = entry.missing?.length ? `; the file lacks ${entry.missing.join(', ')}, LungLens warned: ${s.warnings.map((w) => w.code).join(', ') || 'nothing'}` : '';
      flagged.push(`${entry.path}: read by LungLens, not by pydicom+GDCM (${entry.errorKind}); values agree with ${sec.reader}${lacking}`);
    } else {
      flagged.push(`${entry.path}: read by LungLens but by no reference reader (${entry.error}); look at it`);
    }
    return;
  }

  if (entry.localizer) {
    expectRejected(result, 'a localizer');
    expect(result.rejected.map((r) => r.code)).toContain('localizer');
    return;
  }

  expect(result.rejected, `nothing of ${entry.path} should be rejected`).toEqual([]);
  expect(result.series, 'exactly one series').toHaveLength(1);
  const s = result.series[0]!;
  expect(s.source).toBe('dicom');
  expect(s.units).toBe('HU');
  expectGeometry(s, entry);
  expect(s.files.map(relativeToData), 'files in slice order').toEqual(entry.files);
  expect(s.transferSyntaxUids).toContain(entry.transferSyntaxUid);
  if (entry.pixelExact) expectSameValues(s, entry, entry as Values);
  else expectLossyValues(s, entry as Values);
}

function caseTitle(e: ReferenceEntry): string {
  if (!e.dicom) return `not DICOM, ${isStrayFile(path.basename(e.path)) ? 'ignored as a stray file' : 'rejected'}: ${e.path}`;
  if (!e.decodable) return `unreadable by the reference (${e.errorKind}), rejected or checked: ${e.path}`;
  if (e.localizer) return `localizer, rejected: ${e.path}`;
  return `${e.pixelExact ? 'lossless, identical HU' : 'lossy, geometry + mean'} (${e.kind}): ${e.path}`;
}

describe('reference fixture provenance', () => {
  it('was written by the kept script, from the script as it is now', () => {
    expect(reference.generator.script).toBe(SCRIPT);
    expect(reference.generator.command).toBe(`/usr/bin/python3 ${SCRIPT}`);
    expect(reference.generator.pydicom).toMatch(/^\d+\.\d+/);
    expect(reference.generator.gdcm).toMatch(/^\d+\.\d+/);
    const script = readFileSync(path.join(projectRoot, SCRIPT));
    expect(
      createHash('sha256').update(script).digest('hex'),
      `${SCRIPT} changed since reference.json was written: run \`npm run fixtures:reference\``,
    ).toBe(reference.generator.scriptSha256);
    for (const [helper, sha] of Object.entries(reference.generator.helperSha256)) {
      expect(
        createHash('sha256').update(readFileSync(path.join(projectRoot, helper))).digest('hex'),
        `${helper} changed since reference.json was written: run \`npm run fixtures:reference\``,
      ).toBe(sha);
    }
  });

  it('holds no voxel data and every decodable entry has the fields the test needs', () => {
    for (const e of reference.entries) {
      if (!e.decodable) continue;
      expect(e.dimensions, e.path).toHaveLength(3);
      expect(e.valueSha256, e.path).toMatch(/^[0-9a-f]{64}$/);
      expect(typeof e.pixelExact, e.path).toBe('boolean');
    }
  });
});

describe.skipIf(!hasSharedData)(`reader vs pydicom+GDCM reference${hasSharedData ? '' : ` (skipped: ${sharedDataSkipReason})`}`, () => {
  afterAll(() => {
    if (flagged.length > 0) console.warn(`reference.test: for a human look:\n  ${flagged.join('\n  ')}`);
  });

  it('covers every file of the corpus and every chest-ct series', () => {
    const walk = (dir: string): string[] =>
      readdirSync(dir).flatMap((name) => {
        const p = path.join(dir, name);
        return statSync(p).isDirectory() ? walk(p) : [relativeToData(p)];
      });
    const corpus = walk(sharedData('dicom-corpus')).sort();
    const fileEntries = reference.entries.filter((e) => e.kind === 'file').map((e) => e.path).sort();
    expect(fileEntries).toEqual(corpus);
    const folders = reference.entries.filter((e) => e.kind === 'folder').map((e) => e.path);
    expect(folders).toEqual(expect.arrayContaining([
      'chest-ct/lung_fused_ct_pathology_series/data',
      'chest-ct/acrin_flt_breast/axial_root',
      'chest-ct/acrin_flt_breast/CView',
      'chest-ct/totalsegmentator/tests/reference_files/example_ct_dicom',
    ]));
  });

  it('has the coronal reformat coronal, with its non-square pixels', () => {
    const cview = reference.entries.find((e) => e.path === 'chest-ct/acrin_flt_breast/CView')!;
    expect(cview.direction!.slice(3, 6)).toEqual([0, 0, -1]); // columns run head to feet
    expect(cview.direction!.slice(6, 9)).toEqual([0, 1, 0]); // slices run anterior to posterior
    expect(cview.spacingMm![0]).not.toBeCloseTo(cview.spacingMm![1]!, 2);
  });

  it.each(reference.entries.map((e) => [caseTitle(e), e] as const))('%s', async (_title, entry) => {
    await checkEntry(entry);
  }, SLOW_CASE_MS);
});
