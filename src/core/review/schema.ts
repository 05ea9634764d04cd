/**
 * The review database's schema, as numbered migrations (PRAGMA user_version holds the last one
 * applied). Each runs in one transaction; a database is never left between two versions.
 */
import { randomBytes } from 'node:crypto';
import type Database from 'better-sqlite3';

export interface Migration {
  version: number;
  describe: string;
  up(db: Database.Database): void;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    describe: 'studies with the AI result, reviews, slice marks, audit',
    up: (db) => db.exec(`
      CREATE TABLE studies (
        key TEXT PRIMARY KEY,              -- content identity of the series (geometry + voxels)
        series_uid TEXT NOT NULL, study_uid TEXT NOT NULL, description TEXT NOT NULL, path TEXT NOT NULL,
        patient_name TEXT NOT NULL, patient_id TEXT NOT NULL,
        slices INTEGER NOT NULL CHECK (slices > 0),
        ai_probability REAL, ai_verdict TEXT CHECK (ai_verdict IN ('covid', 'non-covid')), ai_threshold REAL,
        ai_attention TEXT NOT NULL, ai_positive TEXT NOT NULL, model_sha256 TEXT NOT NULL,
        added_at TEXT NOT NULL
      );
      CREATE TABLE reviews (
        key TEXT PRIMARY KEY REFERENCES studies(key),
        reviewer TEXT NOT NULL DEFAULT '',
        verdict TEXT CHECK (verdict IN ('covid', 'non-covid', 'indeterminate')),
        note TEXT NOT NULL DEFAULT '',
        status TEXT NOT NULL DEFAULT 'unreviewed' CHECK (status IN ('unreviewed', 'in-progress', 'done')),
        updated_at TEXT
      );
      CREATE TABLE marks (
        key TEXT NOT NULL REFERENCES studies(key), slice INTEGER NOT NULL CHECK (slice >= 0),
        mark TEXT NOT NULL CHECK (mark IN ('lesion', 'clear')),
        PRIMARY KEY (key, slice)
      );
      CREATE TABLE audit (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL, who TEXT NOT NULL, key TEXT NOT NULL,
        field TEXT NOT NULL, slice INTEGER, old TEXT, new TEXT
      );
    `),
  },
  {
    version: 2,
    describe: 'where a study came from, an index for the audit trail, and the site secret for pseudonyms',
    up: (db) => {
      db.exec(`
        ALTER TABLE studies ADD COLUMN source TEXT NOT NULL DEFAULT 'opened' CHECK (source IN ('opened', 'scan', 'import'));
        -- a pseudonymised import knows the patient only by the pseudonym it came with
        ALTER TABLE studies ADD COLUMN patient_pseudonym TEXT;
        CREATE INDEX audit_by_key ON audit (key, seq);
        CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
      `);
      db.prepare('INSERT INTO meta (name, value) VALUES (?, ?)').run('pseudonym-secret', randomBytes(32).toString('hex'));
    },
  },
  {
    version: 3,
    describe: 'the AI may abstain: an indeterminate result (ai_verdict NULL) with its reasons',
    // SQLite cannot widen ai_verdict's CHECK without rebuilding a table that reviews and marks
    // reference; an indeterminate result is ai_abstained = 1 with ai_verdict NULL instead.
    up: (db) => db.exec(`
      ALTER TABLE studies ADD COLUMN ai_abstained INTEGER NOT NULL DEFAULT 0 CHECK (ai_abstained IN (0, 1));
      ALTER TABLE studies ADD COLUMN ai_reasons TEXT NOT NULL DEFAULT '[]';
    `),
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/** Applies the migrations after the database's version (all of them for a new file). */
export function migrate(db: Database.Database, upTo = SCHEMA_VERSION): number {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > SCHEMA_VERSION) {
    throw Object.assign(new Error(`The review database has schema version ${current}, newer than this LungLens (${SCHEMA_VERSION}): update LungLens before opening it.`), { code: 'review-schema-newer' });
  }
  for (const m of MIGRATIONS) {
    if (m.version <= current || m.version > upTo) continue;
    db.transaction(() => {
      // another process may have migrated meanwhile: the version is read again under the write lock
      if ((db.pragma('user_version', { simple: true }) as number) >= m.version) return;
      m.up(db);
      db.pragma(`user_version = ${m.version}`);
    }).immediate();
  }
  return db.pragma('user_version', { simple: true }) as number;
}
