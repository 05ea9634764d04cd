/**
 * The review database: a real SQLite file in the user data folder (better-sqlite3), WAL mode,
 * synchronous = FULL (a confirmed edit survives a crash of the process or the machine), a busy
 * timeout so the app and a batch scan can write at once. Every change is one transaction that
 * also appends to the audit table (who, when, what, old and new value) — there is no unsaved work,
 * and the audit trail replays to the current state (`replayAudit`).
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { LungLensError } from '../errors.js';
import { migrate } from './schema.js';

export type ReviewVerdict = 'covid' | 'non-covid' | 'indeterminate';
/** The model's verdict: indeterminate where it abstained (a card with abstention). */
export type AiVerdict = 'covid' | 'non-covid' | 'indeterminate';
export type ReviewStatus = 'unreviewed' | 'in-progress' | 'done';
export type SliceMark = 'lesion' | 'clear';
export type StudySource = 'opened' | 'scan' | 'import';

export interface StudyRecord {
  /** Content identity of the series (geometry + voxels): the same study whatever its path. */
  key: string;
  seriesInstanceUid: string;
  studyInstanceUid: string;
  description: string;
  path: string;
  patient: { name: string; id: string };
  slices: number;
  ai: {
    probability: number | null; verdict: AiVerdict | null; threshold: number | null; attention: number[]; slicePositive: boolean[]; modelSha256: string;
    /** Why the model gave no answer (indeterminate), one sentence each; absent when it answered. */
    reasons?: string[];
  };
}

export interface ReviewRecord {
  reviewer: string;
  verdict: ReviewVerdict | null;
  note: string;
  status: ReviewStatus;
  updatedAt: string | null;
}

export interface ReviewedStudy extends StudyRecord {
  source: StudySource;
  addedAt: string;
  review: ReviewRecord;
  /** One entry per slice: the reviewer's mark, or null (not marked). */
  marks: Array<SliceMark | null>;
}

export interface QueueRow {
  key: string;
  description: string;
  path: string;
  slices: number;
  aiVerdict: AiVerdict | null;
  aiProbability: number | null;
  verdict: ReviewVerdict | null;
  status: ReviewStatus;
  reviewer: string;
  marked: number;
  updatedAt: string | null;
}

export interface AuditRow { seq: number; at: string; who: string; key: string; field: string; slice: number | null; old: string | null; new: string | null }

export interface ReviewChanges { verdict?: ReviewVerdict | null; note?: string; status?: ReviewStatus; reviewer?: string }

const REVIEW_FIELDS = ['reviewer', 'verdict', 'note', 'status'] as const;

interface StudyRow {
  key: string; series_uid: string; study_uid: string; description: string; path: string; patient_name: string; patient_id: string; slices: number;
  ai_probability: number | null; ai_verdict: 'covid' | 'non-covid' | null; ai_threshold: number | null; ai_attention: string; ai_positive: string; model_sha256: string;
  ai_abstained: 0 | 1; ai_reasons: string;
  added_at: string; source: StudySource;
}

export class ReviewStore {
  private constructor(readonly file: string, private readonly db: Database.Database) {}

  /** Opens (creating and migrating as needed) the database file. */
  static open(file: string): ReviewStore {
    mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    let db: Database.Database;
    try {
      db = new Database(file);
      db.pragma('busy_timeout = 10000');
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.pragma('foreign_keys = ON');
      migrate(db);
    } catch (error) {
      const e = error as Error & { code?: string };
      throw new LungLensError('review-db', `The review database ${file} cannot be opened: ${e.message}`);
    }
    return new ReviewStore(file, db);
  }

  close(): void {
    this.db.close();
  }

  /** The secret behind the pseudonyms of this site's exports (never exported itself). */
  get pseudonymSecret(): string {
    return (this.db.prepare("SELECT value FROM meta WHERE name = 'pseudonym-secret'").get() as { value: string }).value;
  }

  /** Adds a study to the queue, or refreshes its AI result (a review already made is kept). */
  addStudy(s: StudyRecord, source: StudySource, who: string, at = new Date().toISOString()): void {
    if (!(s.slices > 0) || s.ai.attention.length !== s.slices && s.ai.attention.length !== 0) {
      throw new LungLensError('review-bad-study', `Study ${s.key}: ${s.ai.attention.length} attention weights for ${s.slices} slices.`);
    }
    this.write(() => {
      const existed = this.db.prepare('SELECT 1 FROM studies WHERE key = ?').get(s.key) !== undefined;
      const abstained = s.ai.verdict === 'indeterminate';
      this.db.prepare(`INSERT INTO studies (key, series_uid, study_uid, description, path, patient_name, patient_id, slices, ai_probability, ai_verdict, ai_threshold, ai_attention, ai_positive, model_sha256, added_at, source, ai_abstained, ai_reasons)
        VALUES (@key, @series_uid, @study_uid, @description, @path, @patient_name, @patient_id, @slices, @ai_probability, @ai_verdict, @ai_threshold, @ai_attention, @ai_positive, @model_sha256, @added_at, @source, @ai_abstained, @ai_reasons)
        ON CONFLICT (key) DO UPDATE SET path = excluded.path, ai_probability = excluded.ai_probability, ai_verdict = excluded.ai_verdict,
          ai_threshold = excluded.ai_threshold, ai_attention = excluded.ai_attention, ai_positive = excluded.ai_positive, model_sha256 = excluded.model_sha256,
          ai_abstained = excluded.ai_abstained, ai_reasons = excluded.ai_reasons`).run({
        key: s.key, series_uid: s.seriesInstanceUid, study_uid: s.studyInstanceUid, description: s.description, path: s.path,
        patient_name: s.patient.name, patient_id: s.patient.id, slices: s.slices, ai_probability: s.ai.probability, ai_verdict: abstained ? null : s.ai.verdict,
        ai_abstained: abstained ? 1 : 0, ai_reasons: JSON.stringify(abstained ? s.ai.reasons ?? [] : []),
        ai_threshold: s.ai.threshold, ai_attention: JSON.stringify(s.ai.attention), ai_positive: JSON.stringify(s.ai.slicePositive), model_sha256: s.ai.modelSha256,
        added_at: at, source,
      });
      if (!existed) {
        this.db.prepare('INSERT INTO reviews (key) VALUES (?)').run(s.key);
        this.audit(at, who, s.key, 'study', null, null, source);
      }
    });
  }

  /** The pseudonym an imported study came with (null for studies read here). */
  pseudonymOf(key: string): string | null {
    return (this.db.prepare('SELECT patient_pseudonym AS p FROM studies WHERE key = ?').get(key) as { p: string | null } | undefined)?.p ?? null;
  }

  setPseudonym(key: string, pseudonym: string): void {
    this.db.prepare('UPDATE studies SET patient_pseudonym = ? WHERE key = ?').run(pseudonym, key);
  }

  has(key: string): boolean {
    return this.db.prepare('SELECT 1 FROM studies WHERE key = ?').get(key) !== undefined;
  }

  queue(filter: { aiVerdict?: AiVerdict; status?: ReviewStatus } = {}): QueueRow[] {
    const where: string[] = [];
    const args: Record<string, string> = {};
    if (filter.aiVerdict === 'indeterminate') where.push('s.ai_abstained = 1');
    else if (filter.aiVerdict) {
      where.push('s.ai_verdict = @verdict');
      args['verdict'] = filter.aiVerdict;
    }
    if (filter.status) {
      where.push('r.status = @status');
      args['status'] = filter.status;
    }
    const rows = this.db.prepare(`SELECT s.key, s.description, s.path, s.slices, s.ai_verdict, s.ai_abstained, s.ai_probability, r.verdict, r.status, r.reviewer, r.updated_at,
        (SELECT COUNT(*) FROM marks m WHERE m.key = s.key) AS marked
      FROM studies s JOIN reviews r ON r.key = s.key ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY CASE r.status WHEN 'in-progress' THEN 0 WHEN 'unreviewed' THEN 1 ELSE 2 END, s.ai_probability DESC, s.key`).all(args) as Array<Record<string, unknown>>;
    return rows.map((r) => ({
      key: r['key'] as string, description: r['description'] as string, path: r['path'] as string, slices: r['slices'] as number,
      aiVerdict: r['ai_abstained'] === 1 ? 'indeterminate' : r['ai_verdict'] as QueueRow['aiVerdict'], aiProbability: r['ai_probability'] as number | null, verdict: r['verdict'] as ReviewVerdict | null,
      status: r['status'] as ReviewStatus, reviewer: r['reviewer'] as string, marked: r['marked'] as number, updatedAt: r['updated_at'] as string | null,
    }));
  }

  get(key: string): ReviewedStudy | null {
    const s = this.db.prepare('SELECT * FROM studies WHERE key = ?').get(key) as StudyRow | undefined;
    if (!s) return null;
    const r = this.db.prepare('SELECT reviewer, verdict, note, status, updated_at FROM reviews WHERE key = ?').get(key) as { reviewer: string; verdict: ReviewVerdict | null; note: string; status: ReviewStatus; updated_at: string | null };
    const marks: Array<SliceMark | null> = new Array<SliceMark | null>(s.slices).fill(null);
    for (const m of this.db.prepare('SELECT slice, mark FROM marks WHERE key = ?').all(key) as Array<{ slice: number; mark: SliceMark }>) marks[m.slice] = m.mark;
    return {
      key: s.key, seriesInstanceUid: s.series_uid, studyInstanceUid: s.study_uid, description: s.description, path: s.path,
      patient: { name: s.patient_name, id: s.patient_id }, slices: s.slices,
      ai: {
        probability: s.ai_probability, verdict: s.ai_abstained === 1 ? 'indeterminate' : s.ai_verdict, threshold: s.ai_threshold,
        attention: JSON.parse(s.ai_attention) as number[], slicePositive: JSON.parse(s.ai_positive) as boolean[], modelSha256: s.model_sha256,
        ...(s.ai_abstained === 1 ? { reasons: JSON.parse(s.ai_reasons) as string[] } : {}),
      },
      source: s.source, addedAt: s.added_at,
      review: { reviewer: r.reviewer, verdict: r.verdict, note: r.note, status: r.status, updatedAt: r.updated_at },
      marks,
    };
  }

  keys(): string[] {
    return (this.db.prepare('SELECT key FROM studies ORDER BY key').all() as Array<{ key: string }>).map((r) => r.key);
  }

  /**
   * Changes a study's review (the fields given); a first edit moves it from unreviewed to in
   * progress unless a status is given. One transaction, one audit row per changed field.
   */
  setReview(key: string, who: string, changes: ReviewChanges, at = new Date().toISOString()): ReviewRecord {
    return this.write(() => {
      const current = this.db.prepare('SELECT reviewer, verdict, note, status FROM reviews WHERE key = ?').get(key) as Record<string, string | null> | undefined;
      if (!current) throw new LungLensError('review-unknown-study', `There is no study ${key} in the review queue.`);
      const next: Record<string, string | null> = { ...current };
      for (const f of REVIEW_FIELDS) if (changes[f] !== undefined) next[f] = changes[f];
      if (changes.status === undefined && current['status'] === 'unreviewed') next['status'] = 'in-progress';
      let changed = false;
      for (const f of REVIEW_FIELDS) {
        if (next[f] === current[f]) continue;
        changed = true;
        this.audit(at, who, key, f, null, current[f] ?? null, next[f] ?? null);
      }
      if (changed) {
        this.db.prepare('UPDATE reviews SET reviewer = @reviewer, verdict = @verdict, note = @note, status = @status, updated_at = @at WHERE key = @key')
          .run({ reviewer: next['reviewer'], verdict: next['verdict'], note: next['note'], status: next['status'], at, key });
      }
      return this.get(key)!.review;
    });
  }

  /** Marks slice `slice` (or clears its mark with null); moves an unreviewed study to in progress. */
  setMark(key: string, who: string, slice: number, mark: SliceMark | null, at = new Date().toISOString()): void {
    this.write(() => {
      const s = this.db.prepare('SELECT slices FROM studies WHERE key = ?').get(key) as { slices: number } | undefined;
      if (!s) throw new LungLensError('review-unknown-study', `There is no study ${key} in the review queue.`);
      if (!Number.isInteger(slice) || slice < 0 || slice >= s.slices) throw new LungLensError('review-bad-slice', `Slice ${slice} does not exist: the study has slices 0 to ${s.slices - 1}.`);
      const old = (this.db.prepare('SELECT mark FROM marks WHERE key = ? AND slice = ?').get(key, slice) as { mark: SliceMark } | undefined)?.mark ?? null;
      if (old === mark) return;
      if (mark === null) this.db.prepare('DELETE FROM marks WHERE key = ? AND slice = ?').run(key, slice);
      else this.db.prepare('INSERT INTO marks (key, slice, mark) VALUES (?, ?, ?) ON CONFLICT (key, slice) DO UPDATE SET mark = excluded.mark').run(key, slice, mark);
      this.audit(at, who, key, 'mark', slice, old, mark);
      const status = (this.db.prepare('SELECT status FROM reviews WHERE key = ?').get(key) as { status: ReviewStatus }).status;
      if (status === 'unreviewed') {
        this.db.prepare("UPDATE reviews SET status = 'in-progress', updated_at = ? WHERE key = ?").run(at, key);
        this.audit(at, who, key, 'status', null, 'unreviewed', 'in-progress');
      } else {
        this.db.prepare('UPDATE reviews SET updated_at = ? WHERE key = ?').run(at, key);
      }
    });
  }

  /** Runs `work` in one transaction (an import: all or nothing). */
  transaction<T>(work: () => T): T {
    return this.write(work);
  }

  /**
   * A write transaction that takes the write lock first (BEGIN IMMEDIATE): another process
   * writing at the same time makes it wait (busy timeout) instead of failing mid-transaction.
   * Nested calls join the outer transaction.
   */
  private write<T>(work: () => T): T {
    return this.db.transaction(work).immediate();
  }

  auditTrail(key?: string): AuditRow[] {
    return (key ? this.db.prepare('SELECT * FROM audit WHERE key = ? ORDER BY seq').all(key) : this.db.prepare('SELECT * FROM audit ORDER BY seq').all()) as AuditRow[];
  }

  integrityCheck(): string {
    return this.db.pragma('integrity_check', { simple: true }) as string;
  }

  get schemaVersion(): number {
    return this.db.pragma('user_version', { simple: true }) as number;
  }

  stats() {
    const count = (sql: string) => (this.db.prepare(sql).get() as { n: number }).n;
    const decided = this.db.prepare("SELECT s.ai_verdict AS ai, r.verdict AS reviewer FROM studies s JOIN reviews r ON r.key = s.key WHERE r.verdict IN ('covid', 'non-covid') AND s.ai_verdict IS NOT NULL").all() as Array<{ ai: string; reviewer: string }>;
    return {
      studies: count('SELECT COUNT(*) AS n FROM studies'),
      status: { unreviewed: count("SELECT COUNT(*) AS n FROM reviews WHERE status = 'unreviewed'"), inProgress: count("SELECT COUNT(*) AS n FROM reviews WHERE status = 'in-progress'"), done: count("SELECT COUNT(*) AS n FROM reviews WHERE status = 'done'") },
      reviewerVerdicts: { covid: count("SELECT COUNT(*) AS n FROM reviews WHERE verdict = 'covid'"), nonCovid: count("SELECT COUNT(*) AS n FROM reviews WHERE verdict = 'non-covid'"), indeterminate: count("SELECT COUNT(*) AS n FROM reviews WHERE verdict = 'indeterminate'") },
      agreement: { compared: decided.length, agree: decided.filter((d) => d.ai === d.reviewer).length },
      // Where the AI gave no answer: how many, and what the readers made of them (agreement above
      // compares only studies where both answered).
      aiAbstained: {
        studies: count('SELECT COUNT(*) AS n FROM studies WHERE ai_abstained = 1'),
        readerCovid: count("SELECT COUNT(*) AS n FROM studies s JOIN reviews r ON r.key = s.key WHERE s.ai_abstained = 1 AND r.verdict = 'covid'"),
        readerNonCovid: count("SELECT COUNT(*) AS n FROM studies s JOIN reviews r ON r.key = s.key WHERE s.ai_abstained = 1 AND r.verdict = 'non-covid'"),
        readerIndeterminate: count("SELECT COUNT(*) AS n FROM studies s JOIN reviews r ON r.key = s.key WHERE s.ai_abstained = 1 AND r.verdict = 'indeterminate'"),
      },
      marks: { lesion: count("SELECT COUNT(*) AS n FROM marks WHERE mark = 'lesion'"), clear: count("SELECT COUNT(*) AS n FROM marks WHERE mark = 'clear'") },
      reviewers: (this.db.prepare("SELECT DISTINCT reviewer FROM reviews WHERE reviewer != '' ORDER BY reviewer").all() as Array<{ reviewer: string }>).map((r) => r.reviewer),
      auditRows: count('SELECT COUNT(*) AS n FROM audit'),
      schemaVersion: this.schemaVersion,
    };
  }

  private audit(at: string, who: string, key: string, field: string, slice: number | null, old: string | null, next: string | null): void {
    this.db.prepare('INSERT INTO audit (at, who, key, field, slice, old, new) VALUES (?, ?, ?, ?, ?, ?, ?)').run(at, who, key, field, slice, old, next);
  }
}

/** The review state that the audit trail describes, study by study (what the tables must hold). */
export function replayAudit(rows: readonly AuditRow[]): Map<string, { reviewer: string; verdict: string | null; note: string; status: string; marks: Map<number, string> }> {
  const state = new Map<string, { reviewer: string; verdict: string | null; note: string; status: string; marks: Map<number, string> }>();
  for (const r of rows) {
    if (r.field === 'study') {
      if (!state.has(r.key)) state.set(r.key, { reviewer: '', verdict: null, note: '', status: 'unreviewed', marks: new Map() });
      continue;
    }
    const s = state.get(r.key);
    if (!s) throw new Error(`audit row ${r.seq} changes study ${r.key} before it was added`);
    if (r.field === 'mark') {
      if (r.new === null) s.marks.delete(r.slice!);
      else s.marks.set(r.slice!, r.new);
    } else if (r.field === 'verdict') s.verdict = r.new;
    else if (r.field === 'reviewer' || r.field === 'note' || r.field === 'status') s[r.field] = r.new ?? '';
  }
  return state;
}
