// The review database on a real SQLite file: edits and their audit trail, migrations from the
// first schema, two processes writing at once, a writer killed mid-burst, exports that round-trip,
// imports that refuse bad files whole, and a review export used as labels by `lunglens evaluate`.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { parseLabels } from '../dataset/labels.js';
import { evaluate, parseResults } from '../evaluate/evaluate.js';
import { applyImport, exportCsv, exportJson, planImport } from './exchange.js';
import { replayAudit, ReviewStore, type StudyRecord } from './review-store.js';
import { migrate, SCHEMA_VERSION } from './schema.js';

const dir = () => mkdtempSync(path.join(tmpdir(), 'lunglens-review-'));
const WRITER = path.resolve(import.meta.dirname, '../testing/review-writer.ts');

function study(key: string, slices = 10, overrides: Partial<StudyRecord> = {}): StudyRecord {
  const attention = Array.from({ length: slices }, (_, k) => (k + 1) / ((slices * (slices + 1)) / 2));
  return {
    key, seriesInstanceUid: `1.2.840.${[...key].map((c) => c.charCodeAt(0)).join('')}`, studyInstanceUid: '1.2.3', description: `Chest ${key}`, path: `/data/DOE^JANE/${key}`,
    patient: { name: 'DOE^JANE', id: 'MRN-0042' }, slices,
    ai: { probability: 0.91, verdict: 'covid', threshold: 0.5, attention, slicePositive: attention.map((a) => a > 1 / slices), modelSha256: 'abc' },
    ...overrides,
  };
}

function runWriter(file: string, who: string, key: string, first: number, count: number, mark: string) {
  const child = spawn(process.execPath, ['--import', 'tsx', WRITER, file, who, key, String(first), String(count), mark], { stdio: ['ignore', 'pipe', 'pipe'] });
  const confirmed: number[] = [];
  let err = '';
  let buffer = '';
  child.stdout.on('data', (d: Buffer) => {
    buffer += d.toString();
    const lines = buffer.split('\n');
    buffer = lines.pop()!;
    for (const l of lines) if (l.startsWith('ok ')) confirmed.push(Number(l.slice(3)));
  });
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, confirmed, exited, stderr: () => err };
}

describe('review store', () => {
  it('saves every edit at once, audits it, and the audit trail replays to the current state', () => {
    const file = path.join(dir(), 'review.sqlite');
    const store = ReviewStore.open(file);
    store.addStudy(study('a'), 'opened', 'app');
    store.addStudy(study('b', 6), 'scan', 'scan');
    store.setMark('a', 'dr.x', 3, 'lesion');
    store.setMark('a', 'dr.x', 4, 'clear');
    store.setMark('a', 'dr.x', 3, null);
    store.setMark('a', 'dr.x', 5, 'lesion');
    store.setReview('a', 'dr.x', { reviewer: 'dr.x', verdict: 'covid', note: 'GGO in the right lower lobe' });
    store.setReview('b', 'dr.y', { verdict: 'indeterminate', status: 'done' });
    expect(() => store.setMark('a', 'dr.x', 10, 'lesion')).toThrow(/slices 0 to 9/);
    store.close();

    const again = ReviewStore.open(file); // what another process (or a restart) sees
    const a = again.get('a')!;
    expect(a.marks).toEqual([null, null, null, null, 'clear', 'lesion', null, null, null, null]);
    expect(a.review).toMatchObject({ reviewer: 'dr.x', verdict: 'covid', note: 'GGO in the right lower lobe', status: 'in-progress' });
    expect(again.get('b')!.review.status).toBe('done');
    expect(again.queue({ status: 'done' }).map((r) => r.key)).toEqual(['b']);
    const trail = again.auditTrail('a');
    expect(trail.find((r) => r.field === 'mark' && r.slice === 3 && r.new === null)).toMatchObject({ who: 'dr.x', old: 'lesion' });
    const replayed = replayAudit(again.auditTrail());
    for (const key of ['a', 'b']) {
      const s = again.get(key)!;
      const r = replayed.get(key)!;
      expect({ reviewer: r.reviewer, verdict: r.verdict, note: r.note, status: r.status }).toEqual({ reviewer: s.review.reviewer, verdict: s.review.verdict, note: s.review.note, status: s.review.status });
      expect(Object.fromEntries(r.marks)).toEqual(Object.fromEntries(s.marks.flatMap((m, k) => (m ? [[k, m]] : []))));
    }
    expect(again.integrityCheck()).toBe('ok');
    expect(new Database(file, { readonly: true }).pragma('journal_mode', { simple: true })).toBe('wal');
    again.close();
  });

  it('migrates a database of the first schema version without losing a review', () => {
    const file = path.join(dir(), 'v1.sqlite');
    const db = new Database(file);
    expect(migrate(db, 1)).toBe(1);
    db.prepare(`INSERT INTO studies (key, series_uid, study_uid, description, path, patient_name, patient_id, slices, ai_probability, ai_verdict, ai_threshold, ai_attention, ai_positive, model_sha256, added_at)
      VALUES ('old', '1.2', '1.2.0', 'Chest', '/x', 'ROE^RICHARD', '7', 3, 0.2, 'non-covid', 0.5, '[0.2,0.3,0.5]', '[false,false,true]', 'f00', '2026-01-01T00:00:00Z')`).run();
    db.prepare("INSERT INTO reviews (key, reviewer, verdict, note, status, updated_at) VALUES ('old', 'dr.z', 'non-covid', 'clear', 'done', '2026-01-02T00:00:00Z')").run();
    db.prepare("INSERT INTO marks (key, slice, mark) VALUES ('old', 2, 'clear')").run();
    db.close();
    const store = ReviewStore.open(file);
    expect(store.schemaVersion).toBe(SCHEMA_VERSION);
    const s = store.get('old')!;
    expect(s.review).toMatchObject({ reviewer: 'dr.z', verdict: 'non-covid', status: 'done' });
    expect(s.marks).toEqual([null, null, 'clear']);
    expect(s.source).toBe('opened');
    expect(store.pseudonymSecret).toMatch(/^[0-9a-f]{64}$/);
    store.close();
  });

  it('two processes writing at once lose nothing', async () => {
    const file = path.join(dir(), 'review.sqlite');
    const store = ReviewStore.open(file);
    store.addStudy(study('shared', 400), 'opened', 'app');
    store.close();
    const [a, b] = [runWriter(file, 'app', 'shared', 0, 200, 'lesion'), runWriter(file, 'scan', 'shared', 200, 200, 'clear')];
    expect(await a.exited, a.stderr()).toBe(0);
    expect(await b.exited, b.stderr()).toBe(0);
    const after = ReviewStore.open(file);
    const marks = after.get('shared')!.marks;
    expect(marks.slice(0, 200).every((m) => m === 'lesion')).toBe(true);
    expect(marks.slice(200).every((m) => m === 'clear')).toBe(true);
    expect(after.auditTrail('shared').filter((r) => r.field === 'mark')).toHaveLength(400);
    expect(after.integrityCheck()).toBe('ok');
    after.close();
  });

  it('a writer killed with SIGKILL mid-burst leaves every confirmed edit and an intact database', async () => {
    const file = path.join(dir(), 'review.sqlite');
    const store = ReviewStore.open(file);
    store.addStudy(study('burst', 100_000), 'opened', 'app');
    store.close();
    const w = runWriter(file, 'app', 'burst', 0, 100_000, 'lesion');
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        if (w.confirmed.length >= 300) {
          clearInterval(timer);
          w.child.kill('SIGKILL');
          resolve();
        }
      }, 5);
      void w.exited.then(() => reject(new Error(`the writer ended before it was killed: ${w.stderr()}`)));
    });
    expect(await w.exited).toBeNull(); // killed
    const after = ReviewStore.open(file);
    expect(after.integrityCheck()).toBe('ok');
    const marks = after.get('burst')!.marks;
    for (const k of w.confirmed) expect(marks[k]).toBe('lesion');
    expect(marks.filter((m) => m === 'lesion').length).toBeGreaterThanOrEqual(w.confirmed.length);
    after.close();
  });
});

describe('review export and import', () => {
  function reviewed(file: string): ReviewStore {
    const store = ReviewStore.open(file);
    store.addStudy(study('s1'), 'scan', 'scan');
    store.addStudy(study('s2', 5, { ai: { ...study('s2', 5).ai, verdict: 'non-covid', probability: 0.1 } }), 'scan', 'scan');
    store.addStudy(study('s3', 4), 'opened', 'app');
    store.setMark('s1', 'dr.x', 9, 'lesion');
    store.setMark('s1', 'dr.x', 8, 'lesion');
    store.setMark('s1', 'dr.x', 0, 'clear');
    store.setReview('s1', 'dr.x', { reviewer: 'dr.x', verdict: 'covid', note: '=HYPERLINK("x") and, "quotes"', status: 'done' });
    store.setReview('s2', 'dr.x', { reviewer: 'dr.x', verdict: 'non-covid', status: 'done' });
    return store;
  }

  it('JSON: pseudonymised by default, re-imported into an empty database it exports the same data', () => {
    const store = reviewed(path.join(dir(), 'a.sqlite'));
    const text = exportJson(store, {}, new Date('2026-11-27T00:00:00Z'));
    expect(text).not.toMatch(/DOE|JANE|MRN-0042|\/data\//);
    expect(exportJson(store, { identifiers: true })).toMatch(/DOE\^JANE/);
    const empty = ReviewStore.open(path.join(dir(), 'b.sqlite'));
    expect(applyImport(empty, planImport(empty, text, 'reviews.json'), 'import')).toEqual({ studies: 3, added: 3 });
    expect(exportJson(empty, {}, new Date('2026-11-27T00:00:00Z'))).toBe(text);
    store.close();
    empty.close();
  });

  it('CSV: one row per study, formula-safe, and it round-trips into a database holding the studies', () => {
    const store = reviewed(path.join(dir(), 'a.sqlite'));
    const csv = exportCsv(store);
    expect(csv.split('\r\n')[0]).toBe('key,series_instance_uid,study_instance_uid,description,patient,slices,ai_verdict,ai_probability,ai_reasons,reviewer,verdict,status,note,lesion_slices,clear_slices,updated_at');
    expect(csv).toContain(`"'=HYPERLINK(""x"") and, ""quotes"""`);
    expect(csv).not.toMatch(/DOE|MRN/);
    const other = ReviewStore.open(path.join(dir(), 'b.sqlite'));
    for (const k of ['s1', 's2', 's3']) other.addStudy(store.get(k)!, 'scan', 'scan');
    applyImport(other, planImport(other, csv, 'reviews.csv'), 'import');
    expect(other.get('s1')!.review.note).toBe('=HYPERLINK("x") and, "quotes"');
    expect(other.get('s1')!.marks).toEqual(store.get('s1')!.marks);
    // the same rows but for the pseudonym (each database has its own secret) and updated_at
    const rows = (text: string) => (parse(text, { columns: true }) as Array<Record<string, string>>).map(({ patient: _p, updated_at: _u, ...rest }) => rest);
    expect(rows(exportCsv(other))).toEqual(rows(csv));
    store.close();
    other.close();
  });

  it('an indeterminate AI verdict keeps its reasons through the queue, a reader\'s override, and both exports', () => {
    const reasons = ['The slices are 8.0 mm apart, more than the 5.0 mm the model was trained on.'];
    const store = ReviewStore.open(path.join(dir(), 'a.sqlite'));
    const base = study('u1');
    store.addStudy({ ...base, ai: { ...base.ai, probability: 0.93, verdict: 'indeterminate', slicePositive: base.ai.slicePositive.map(() => false), reasons } }, 'scan', 'scan');
    store.addStudy(study('u2'), 'scan', 'scan');
    expect(store.queue({ aiVerdict: 'indeterminate' }).map((r) => [r.key, r.aiVerdict])).toEqual([['u1', 'indeterminate']]);
    expect(store.queue({ aiVerdict: 'covid' }).map((r) => r.key)).toEqual(['u2']);
    expect(store.get('u1')!.ai).toMatchObject({ verdict: 'indeterminate', probability: 0.93, reasons });
    expect(store.get('u2')!.ai).not.toHaveProperty('reasons');
    // the reader decides where the AI gave no answer
    store.setReview('u1', 'dr.x', { reviewer: 'dr.x', verdict: 'covid', status: 'done' });
    expect(store.stats().reviewerVerdicts.covid).toBe(1);
    // the abstention is counted apart: it is not an agreement or a disagreement with the AI
    expect(store.stats().aiAbstained).toEqual({ studies: 1, readerCovid: 1, readerNonCovid: 0, readerIndeterminate: 0 });
    expect(store.stats().agreement).toEqual({ compared: 0, agree: 0 });
    const csv = parse(exportCsv(store), { columns: true }) as Array<Record<string, string>>;
    expect(csv.find((r) => r['key'] === 'u1')).toMatchObject({ ai_verdict: 'indeterminate', ai_reasons: reasons[0], verdict: 'covid' });
    expect(csv.find((r) => r['key'] === 'u2')).toMatchObject({ ai_verdict: 'covid', ai_reasons: '' });
    const text = exportJson(store, {}, new Date('2026-11-27T00:00:00Z'));
    const empty = ReviewStore.open(path.join(dir(), 'b.sqlite'));
    applyImport(empty, planImport(empty, text, 'reviews.json'), 'import');
    expect(empty.get('u1')!.ai).toMatchObject({ verdict: 'indeterminate', reasons });
    expect(exportJson(empty, {}, new Date('2026-11-27T00:00:00Z'))).toBe(text);
    store.close();
    empty.close();
  });

  it('a bad file is refused whole with a line-numbered report and changes nothing', () => {
    const store = reviewed(path.join(dir(), 'a.sqlite'));
    const before = store.auditTrail().length;
    const header = 'key,reviewer,verdict,status,note,lesion_slices,clear_slices';
    const bad = [header, 's1,dr.x,covid,done,ok,1 2,', 'nope,dr.x,covid,done,,,', 's2,dr.x,maybe,done,,,', 's1,dr.x,covid,done,,,', 's3,dr.x,covid,finished,,7 1,1'].join('\n');
    let report = '';
    try {
      planImport(store, bad, 'bad.csv');
    } catch (error) {
      report = (error as Error).message;
    }
    expect(report).toMatch(/nothing was changed/);
    expect(report).toMatch(/line 3: unknown study nope/);
    expect(report).toMatch(/line 4: verdict "maybe"/);
    expect(report).toMatch(/line 5: study s1 appears twice/);
    expect(report).toMatch(/line 6: status "finished"/);
    expect(report).toMatch(/line 6: lesion_slices: "7" is not a slice/);
    expect(report).toMatch(/line 6: slice 1 is in both/);
    expect(() => planImport(store, 'key,reviewer\ns1,dr.x\n', 'short.csv')).toThrow(/line 1: missing columns verdict, status, note, lesion_slices, clear_slices/);
    const json = exportJson(store).replace('"slices":10', '"slices":"ten"');
    expect(() => planImport(store, json, 'bad.json')).toThrow(/line 2: slices: Expected number/);
    expect(store.auditTrail().length).toBe(before);
    store.close();
  });

  it('lunglens evaluate takes a review export as slice labels: only marked slices count', () => {
    const store = reviewed(path.join(dir(), 'a.sqlite'));
    const labels = parseLabels(exportJson(store), '/tmp', 'reviews.json');
    expect(labels.cases.map((c) => c.id).sort()).toEqual(['s1', 's2']); // s3 has no reviewer verdict
    const item = (s: StudyRecord) => ({ id: s.key, seriesInstanceUid: s.seriesInstanceUid, path: s.path, status: 'ok', probability: s.ai.probability, verdict: s.ai.verdict, threshold: 0.5, sliceAttention: s.ai.attention, slicePositive: s.ai.slicePositive });
    const results = { model: { name: 'm', version: '1', sha256: 'abc', executionProvider: 'cpu' }, items: [item(store.get('s1')!), item(store.get('s2')!)] };
    const report = evaluate(parseResults(JSON.stringify(results)), labels, '/tmp');
    expect(report.volume.count).toBe(2);
    expect(report.slice.count).toBe(3); // s1's three marked slices; s2 has none
    store.close();
  });
});
