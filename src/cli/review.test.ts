// `lunglens review export|import|stats` on the review database of LUNGLENS_DATA_DIR.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ReviewStore } from '../core/review/review-store.js';
import { runCli } from './test-support.js';

let dataDir: string;
const previous = process.env['LUNGLENS_DATA_DIR'];

beforeEach(() => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'lunglens-review-cli-'));
  process.env['LUNGLENS_DATA_DIR'] = dataDir;
  const store = ReviewStore.open(path.join(dataDir, 'review.sqlite'));
  store.addStudy({
    key: 'a1b2c3d4e5f60718', seriesInstanceUid: '1.2.3', studyInstanceUid: '1.2', description: 'Chest', path: '/data/SMITH^ANNA/ct', patient: { name: 'SMITH^ANNA', id: 'MRN-77' }, slices: 3,
    ai: { probability: 0.8, verdict: 'covid', threshold: 0.5, attention: [0.2, 0.5, 0.3], slicePositive: [false, true, true], modelSha256: 'm' },
  }, 'scan', 'batch scan');
  store.setMark('a1b2c3d4e5f60718', 'dr.a', 1, 'lesion');
  store.setReview('a1b2c3d4e5f60718', 'dr.a', { reviewer: 'dr.a', verdict: 'covid', status: 'done' });
  store.close();
});
afterEach(() => {
  if (previous === undefined) delete process.env['LUNGLENS_DATA_DIR'];
  else process.env['LUNGLENS_DATA_DIR'] = previous;
});

describe('lunglens review', () => {
  it('exports pseudonymised by default and with identifiers only when asked', async () => {
    const out = path.join(dataDir, 'r.csv');
    expect((await runCli('review', 'export', '--format', 'csv', '--out', out)).code).toBe(0);
    expect(readFileSync(out, 'utf8')).not.toMatch(/SMITH|MRN-77|\/data\//);
    expect((await runCli('review', 'export', '--format', 'csv', '--identifiers', '--out', out)).code).toBe(0);
    expect(readFileSync(out, 'utf8')).toMatch(/SMITH\^ANNA,MRN-77,\/data\/SMITH\^ANNA\/ct/);
  });

  it('stats as JSON', async () => {
    const { code, stdout } = await runCli('review', 'stats', '--json');
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ studies: 1, status: { done: 1 }, agreement: { compared: 1, agree: 1 }, marks: { lesion: 1 }, reviewers: ['dr.a'] });
  });

  it('refuses a bad import with exit 2 and the line-numbered report, changing nothing', async () => {
    const bad = path.join(dataDir, 'bad.csv');
    writeFileSync(bad, 'key,reviewer,verdict,status,note,lesion_slices,clear_slices\na1b2c3d4e5f60718,dr.b,covid,done,,5,\n');
    const { code, stderr } = await runCli('review', 'import', bad);
    expect(code).toBe(2);
    expect(stderr).toMatch(/line 2: lesion_slices: "5" is not a slice of this study \(0 to 2\)/);
    const store = ReviewStore.open(path.join(dataDir, 'review.sqlite'));
    expect(store.get('a1b2c3d4e5f60718')!.review.reviewer).toBe('dr.a');
    store.close();
  });
});
