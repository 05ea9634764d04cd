import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { valueSha256 } from '../ingest/checksum.js';
import { readSeries } from '../ingest/read-series.js';
import { IngestPool } from '../ingest/ingest-pool.js';
import { readNifti } from '../formats/index.js';
import { findExecutable } from '../samples/synthetic-series.js';
import { generateCase } from './index.js';
import { SCANNER_HU_RANGE, writePhantoms, type PhantomLabels } from './write-phantoms.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'lunglens-phantom-'));
const pool = new IngestPool(2);
afterAll(async () => {
  await pool.close();
  rmSync(root, { recursive: true, force: true });
});

const RUN = { count: 3, seed: 7, positiveRate: 0.67, size: 96, slices: [24, 36] as [number, number] };

/** The HU the files must hold: the generator's volume, cut to what a scanner stores. */
async function expectedSha(spec: PhantomLabels['cases'][number]['spec']): Promise<string> {
  const c = generateCase(spec);
  const [low, high] = SCANNER_HU_RANGE;
  return valueSha256(c.volume.voxels.map((v) => Math.min(high, Math.max(low, v))));
}

function filesDigest(dir: string): string {
  const hash = createHash('sha256');
  for (const name of readdirSync(dir, { recursive: true }).map(String).sort()) {
    const file = path.join(dir, name);
    if (name.endsWith('.dcm') || name.endsWith('.json') || name.endsWith('.gz')) hash.update(name).update(readFileSync(file));
  }
  return hash.digest('hex');
}

describe('lunglens phantom (DICOM)', () => {
  const out = path.join(root, 'dicom');
  let labels: PhantomLabels;
  beforeAll(async () => {
    labels = await writePhantoms({ out, ...RUN });
  });

  it('writes labels.json as DESIGN.md §3 defines, with per-slice lesion counts', () => {
    const onDisk = JSON.parse(readFileSync(path.join(out, 'labels.json'), 'utf8')) as PhantomLabels;
    expect(onDisk).toEqual(labels);
    expect(onDisk.cases).toHaveLength(3);
    for (const c of onDisk.cases) {
      expect(c).toMatchObject({ id: expect.any(String), seriesInstanceUid: expect.stringMatching(/^2\.25\.\d+$/), label: expect.stringMatching(/^(covid|non-covid)$/) });
      expect(c.slicePositive).toHaveLength(c.spec.slices);
      expect(c.lesionVoxelsPerSlice).toHaveLength(c.spec.slices);
      // Lesion truth is exact: a slice is positive exactly when it holds lesion voxels.
      expect(c.slicePositive).toEqual(c.lesionVoxelsPerSlice.map((n) => n > 0));
      if (c.label === 'non-covid') expect(c.lesionVoxelsPerSlice.every((n) => n === 0)).toBe(true);
      else expect(c.slicePositive.some(Boolean)).toBe(true);
    }
    expect(onDisk.cases.map((c) => c.label)).toContain('covid');
  });

  it('reads back with lunglens inspect: exact geometry and every HU value the generator intended', async () => {
    for (const c of labels.cases) {
      const dir = path.join(out, c.path);
      const { series, rejected } = await readSeries([dir], pool, { checksum: true });
      expect(rejected).toEqual([]);
      expect(series).toHaveLength(1);
      const s = series[0]!;
      const generated = generateCase(c.spec).volume;
      expect(s.seriesInstanceUid).toBe(c.seriesInstanceUid);
      expect(s.dimensions).toEqual(generated.dimensions);
      s.spacingMm.forEach((v, i) => expect(v).toBeCloseTo(generated.spacingMm[i]!, 4));
      s.originLps.forEach((v, i) => expect(v).toBeCloseTo(generated.originLps[i]!, 3));
      expect(s.direction).toEqual(generated.direction);
      expect(s.warnings).toEqual([]);
      expect(s.valueSha256).toBe(await expectedSha(c.spec));
    }
  });

  it('is deterministic for a seed, and another seed gives other studies', async () => {
    const again = path.join(root, 'again');
    await writePhantoms({ out: again, ...RUN });
    expect(filesDigest(again)).toBe(filesDigest(out));
    const other = await writePhantoms({ out: path.join(root, 'other'), ...RUN, seed: 8 });
    expect(other.cases.map((c) => c.seriesInstanceUid)).not.toEqual(labels.cases.map((c) => c.seriesInstanceUid));
  });

  it.skipIf(!findExecutable('dcmdump'))('passes dcmdump without a warning (dcmtk)', () => {
    const dir = path.join(out, labels.cases[0]!.path);
    for (const name of readdirSync(dir).slice(0, 5)) {
      const r = spawnSync('dcmdump', ['-q', path.join(dir, name)], { encoding: 'utf8' });
      expect(r.status).toBe(0);
      expect(r.stderr).toBe('');
    }
  });

  const pydicom = spawnSync('/usr/bin/python3', ['-c', 'import pydicom, numpy'], { encoding: 'utf8' }).status === 0;
  it.skipIf(!pydicom)('passes pydicom without a warning, values validated strictly, pixels decoded', () => {
    const dir = path.join(out, labels.cases[1]!.path);
    const script = [
      'import sys, warnings, pydicom',
      'from pydicom import config',
      'warnings.simplefilter("error")',
      'config.settings.reading_validation_mode = config.RAISE',
      'for f in sys.argv[1:]:',
      '    ds = pydicom.dcmread(f)',
      '    for elem in ds.iterall(): elem.value',
      '    assert ds.pixel_array.shape == (ds.Rows, ds.Columns)',
      'print("ok")',
    ].join('\n');
    const files = readdirSync(dir).slice(0, 5).map((n) => path.join(dir, n));
    expect(execFileSync('/usr/bin/python3', ['-c', script, ...files], { encoding: 'utf8' }).trim()).toBe('ok');
  });
});

describe('lunglens phantom (NIfTI)', () => {
  it('writes one .nii.gz per case holding the same volume', async () => {
    const out = path.join(root, 'nifti');
    const labels = await writePhantoms({ out, ...RUN, count: 1, format: 'nifti' });
    const c = labels.cases[0]!;
    expect(c.path).toMatch(/\.nii\.gz$/);
    const back = (await readNifti(path.join(out, c.path))).volume;
    expect(back.dimensions).toEqual([RUN.size, RUN.size, c.spec.slices]);
    expect(await valueSha256(back.voxels)).toBe(await expectedSha(c.spec));
  });
});
