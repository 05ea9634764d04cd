/**
 * Export and import of reviews. JSON carries everything (the study, the AI result, the review and
 * the marks) and doubles as a labels file for `lunglens evaluate` (`id`, `seriesInstanceUid`,
 * `label` = the reviewer's verdict, `slicePositive` = the marks, null where unmarked); CSV carries
 * one row of review per study. Both are pseudonymised unless identifiers are asked for: the
 * patient becomes an HMAC of name and ID under this database's secret, and the path is left out.
 * An import is checked whole first — missing columns, wrong types, unknown studies, duplicates —
 * and then applied in one transaction; a file with any problem changes nothing and gets a
 * line-numbered report.
 */
import { createHmac } from 'node:crypto';
import { parse } from 'csv-parse/sync';
import { z } from 'zod';
import { LungLensError } from '../errors.js';
import { csvField } from '../util/csv.js';
import type { ReviewedStudy, ReviewStore, SliceMark } from './review-store.js';

export interface ExportOptions {
  /** Patient name and ID and the series path, in clear (default: pseudonymised). */
  identifiers?: boolean;
}

export function patientPseudonym(secret: string, patient: { name: string; id: string }): string {
  return `p-${createHmac('sha256', secret).update(`${patient.name}\u0000${patient.id}`).digest('hex').slice(0, 20)}`;
}

const verdictSchema = z.enum(['covid', 'non-covid', 'indeterminate']).nullable();
const statusSchema = z.enum(['unreviewed', 'in-progress', 'done']);

const caseSchema = z.object({
  id: z.string().min(1),
  seriesInstanceUid: z.string(),
  studyInstanceUid: z.string(),
  description: z.string(),
  patient: z.union([z.string().regex(/^p-[0-9a-f]{20}$/), z.object({ name: z.string(), id: z.string() })]),
  path: z.string().optional(),
  slices: z.number().int().positive(),
  addedAt: z.string().min(1),
  ai: z.object({
    probability: z.number().min(0).max(1).nullable(), verdict: z.enum(['covid', 'non-covid', 'indeterminate']).nullable(), threshold: z.number().nullable(),
    attention: z.array(z.number()), slicePositive: z.array(z.boolean()), modelSha256: z.string(),
    /** Why the model gave no answer (an indeterminate verdict only). */
    reasons: z.array(z.string()).optional(),
  }),
  review: z.object({ reviewer: z.string(), verdict: verdictSchema, note: z.string(), status: statusSchema, updatedAt: z.string().nullable() }),
  label: z.enum(['covid', 'non-covid']).nullable(),
  slicePositive: z.array(z.boolean().nullable()),
}).strict();
export type ReviewCase = z.infer<typeof caseSchema>;

const exportSchema = z.object({ format: z.literal('lunglens-review'), version: z.literal(1), exportedAt: z.string(), identifiers: z.boolean(), cases: z.array(z.unknown()) });

function toCase(s: ReviewedStudy, secret: string, o: ExportOptions, pseudonym: string | null): ReviewCase {
  return {
    id: s.key, seriesInstanceUid: s.seriesInstanceUid, studyInstanceUid: s.studyInstanceUid, description: s.description,
    patient: o.identifiers ? { ...s.patient } : pseudonym ?? patientPseudonym(secret, s.patient),
    ...(o.identifiers ? { path: s.path } : {}),
    slices: s.slices, addedAt: s.addedAt, ai: s.ai, review: s.review,
    label: s.review.verdict === 'covid' || s.review.verdict === 'non-covid' ? s.review.verdict : null,
    slicePositive: s.marks.map((m) => (m === null ? null : m === 'lesion')),
  };
}

/** The JSON export: one case per line, so that an import's report can name lines. */
export function exportJson(store: ReviewStore, o: ExportOptions = {}, now = new Date()): string {
  const secret = store.pseudonymSecret;
  const cases = store.keys().map((k) => JSON.stringify(toCase(store.get(k)!, secret, o, store.pseudonymOf(k))));
  return `{"format":"lunglens-review","version":1,"exportedAt":${JSON.stringify(now.toISOString())},"identifiers":${o.identifiers === true},"cases":[\n${cases.join(',\n')}\n]}\n`;
}

export const CSV_REVIEW_COLUMNS = ['key', 'series_instance_uid', 'study_instance_uid', 'description', 'patient', 'slices', 'ai_verdict', 'ai_probability', 'ai_reasons', 'reviewer', 'verdict', 'status', 'note', 'lesion_slices', 'clear_slices', 'updated_at'] as const;
const CSV_IDENTIFIER_COLUMNS = ['patient_name', 'patient_id', 'path'] as const;
const CSV_REQUIRED = ['key', 'reviewer', 'verdict', 'status', 'note', 'lesion_slices', 'clear_slices'] as const;

export function exportCsv(store: ReviewStore, o: ExportOptions = {}): string {
  const secret = store.pseudonymSecret;
  const columns = [...CSV_REVIEW_COLUMNS, ...(o.identifiers ? CSV_IDENTIFIER_COLUMNS : [])];
  const lines = [columns.join(',')];
  for (const key of store.keys()) {
    const s = store.get(key)!;
    const slicesWith = (m: SliceMark) => s.marks.flatMap((v, k) => (v === m ? [k] : [])).join(' ');
    const row: Record<string, string | number | null> = {
      key, series_instance_uid: s.seriesInstanceUid, study_instance_uid: s.studyInstanceUid, description: s.description,
      patient: o.identifiers ? '' : store.pseudonymOf(key) ?? patientPseudonym(secret, s.patient), slices: s.slices, ai_verdict: s.ai.verdict, ai_probability: s.ai.probability,
      ai_reasons: s.ai.reasons?.join(' ') ?? '', reviewer: s.review.reviewer, verdict: s.review.verdict, status: s.review.status, note: s.review.note,
      lesion_slices: slicesWith('lesion'), clear_slices: slicesWith('clear'), updated_at: s.review.updatedAt,
      patient_name: s.patient.name, patient_id: s.patient.id, path: s.path,
    };
    lines.push(columns.map((c) => csvField(row[c])).join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}

/** What an import will change, once every line has been checked. */
export interface ImportPlan {
  format: 'json' | 'csv';
  /** Full cases (JSON): studies are created when they are not in the database yet. */
  cases: ReviewCase[];
  /** Review rows (CSV): for studies the database already holds. */
  rows: Array<{ key: string; reviewer: string; verdict: ReviewCase['review']['verdict']; status: ReviewCase['review']['status']; note: string; marks: Array<SliceMark | null> }>;
}

class Problems {
  readonly list: string[] = [];
  add(line: number | null, message: string): void {
    this.list.push(line === null ? message : `line ${line}: ${message}`);
  }
  throwIfAny(file: string): void {
    if (this.list.length === 0) return;
    const shown = this.list.slice(0, 50);
    throw new LungLensError('review-bad-import', `${file} was not imported (nothing was changed): ${this.list.length} problem${this.list.length > 1 ? 's' : ''}:\n${shown.map((p) => `  ${p}`).join('\n')}${this.list.length > shown.length ? `\n  … and ${this.list.length - shown.length} more` : ''}`);
  }
}

/** Checks a whole export file against the database; throws the line-numbered report, or returns the plan. */
export function planImport(store: ReviewStore, text: string, file: string): ImportPlan {
  const problems = new Problems();
  const trimmed = text.trimStart();
  if (trimmed.startsWith('{')) {
    const plan = planJson(store, text, problems);
    problems.throwIfAny(file);
    return plan;
  }
  const plan = planCsv(store, text, problems);
  problems.throwIfAny(file);
  return plan;
}

function planJson(store: ReviewStore, text: string, problems: Problems): ImportPlan {
  const plan: ImportPlan = { format: 'json', cases: [], rows: [] };
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    const at = /position (\d+)/.exec((error as Error).message);
    problems.add(at ? text.slice(0, Number(at[1])).split('\n').length : null, `not valid JSON (${(error as Error).message})`);
    return plan;
  }
  const top = exportSchema.safeParse(doc);
  if (!top.success) {
    problems.add(1, `not a LungLens review export ({ "format": "lunglens-review", "version": 1, "identifiers", "cases": [...] }): ${top.error.issues[0]!.path.join('.')} ${top.error.issues[0]!.message}`);
    return plan;
  }
  // Our exports put case i on line i + 2; for other layouts the report names the case instead.
  const lines = text.split('\n');
  const lineOf = (i: number): number | null => (lines.length === top.data.cases.length + 3 ? i + 2 : null);
  const seen = new Set<string>();
  top.data.cases.forEach((raw, i) => {
    const where = lineOf(i);
    const label = where === null ? `case ${i + 1}: ` : '';
    const parsed = caseSchema.safeParse(raw);
    if (!parsed.success) {
      for (const issue of parsed.error.issues.slice(0, 3)) problems.add(where, `${label}${issue.path.join('.') || 'case'}: ${issue.message}`);
      return;
    }
    const c = parsed.data;
    if (seen.has(c.id)) return problems.add(where, `${label}study ${c.id} appears twice`);
    seen.add(c.id);
    if (c.slicePositive.length !== c.slices) problems.add(where, `${label}slicePositive has ${c.slicePositive.length} entries for ${c.slices} slices`);
    if (c.ai.attention.length !== c.slices && c.ai.attention.length !== 0) problems.add(where, `${label}ai.attention has ${c.ai.attention.length} entries for ${c.slices} slices`);
    const existing = store.get(c.id);
    if (existing && existing.slices !== c.slices) problems.add(where, `${label}study ${c.id} has ${existing.slices} slices in this database, ${c.slices} in the file`);
    plan.cases.push(c);
  });
  return plan;
}

function planCsv(store: ReviewStore, text: string, problems: Problems): ImportPlan {
  const plan: ImportPlan = { format: 'csv', cases: [], rows: [] };
  let records: Array<{ record: Record<string, string>; info: { lines: number } }>;
  try {
    records = parse(text, { columns: true, info: true, skip_empty_lines: true, bom: true }) as typeof records;
  } catch (error) {
    const e = error as Error & { lines?: number };
    problems.add(e.lines ?? null, `not valid CSV (${e.message})`);
    return plan;
  }
  const header = text.split(/\r?\n/, 1)[0]!.split(',').map((h) => h.trim());
  const missing = CSV_REQUIRED.filter((c) => !header.includes(c));
  if (missing.length) {
    problems.add(1, `missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (a review CSV has ${CSV_REVIEW_COLUMNS.join(', ')})`);
    return plan;
  }
  const seen = new Set<string>();
  const unformula = (v: string) => (/^'[=+\-@\t\r]/.test(v) ? v.slice(1) : v);
  for (const { record: r, info } of records) {
    const line = info.lines;
    const key = r['key']!;
    const study = store.get(key);
    if (!study) {
      problems.add(line, `unknown study ${key || '(empty key)'}: a CSV import updates studies already in the review database (import the JSON export to add studies)`);
      continue;
    }
    if (seen.has(key)) {
      problems.add(line, `study ${key} appears twice`);
      continue;
    }
    seen.add(key);
    const verdict = r['verdict'] === '' ? null : r['verdict'];
    const v = verdictSchema.safeParse(verdict);
    if (!v.success) problems.add(line, `verdict "${r['verdict']}" is not covid, non-covid, indeterminate or empty`);
    const s = statusSchema.safeParse(r['status']);
    if (!s.success) problems.add(line, `status "${r['status']}" is not unreviewed, in-progress or done`);
    const marks = new Array<SliceMark | null>(study.slices).fill(null);
    for (const [column, mark] of [['lesion_slices', 'lesion'], ['clear_slices', 'clear']] as const) {
      for (const token of (r[column] ?? '').split(/[\s;]+/).filter(Boolean)) {
        const k = Number(token);
        if (!Number.isInteger(k) || k < 0 || k >= study.slices) problems.add(line, `${column}: "${token}" is not a slice of this study (0 to ${study.slices - 1})`);
        else if (marks[k] !== null && marks[k] !== mark) problems.add(line, `slice ${k} is in both lesion_slices and clear_slices`);
        else marks[k] = mark;
      }
    }
    if (v.success && s.success) plan.rows.push({ key, reviewer: unformula(r['reviewer'] ?? ''), verdict: v.data, status: s.data, note: unformula(r['note'] ?? ''), marks });
  }
  return plan;
}

/** Applies a checked plan in one transaction (audited as `who`); returns how many studies it touched. */
export function applyImport(store: ReviewStore, plan: ImportPlan, who: string): { studies: number; added: number } {
  let added = 0;
  store.transaction(() => {
    for (const c of plan.cases) {
      if (!store.has(c.id)) {
        added++;
        store.addStudy({
          key: c.id, seriesInstanceUid: c.seriesInstanceUid, studyInstanceUid: c.studyInstanceUid, description: c.description, path: c.path ?? '',
          patient: typeof c.patient === 'string' ? { name: '', id: '' } : c.patient, slices: c.slices, ai: c.ai,
        }, 'import', who, c.addedAt);
        if (typeof c.patient === 'string') store.setPseudonym(c.id, c.patient);
      }
      applyReview(store, who, c.id, c.review, c.slicePositive.map((p) => (p === null ? null : p ? 'lesion' : 'clear')), c.review.updatedAt);
    }
    for (const r of plan.rows) applyReview(store, who, r.key, { reviewer: r.reviewer, verdict: r.verdict, note: r.note, status: r.status }, r.marks, null);
  });
  return { studies: plan.cases.length + plan.rows.length, added };
}

function applyReview(store: ReviewStore, who: string, key: string, review: { reviewer: string; verdict: ReviewCase['review']['verdict']; note: string; status: ReviewCase['review']['status'] }, marks: Array<SliceMark | null>, at: string | null): void {
  const when = at ?? new Date().toISOString();
  marks.forEach((m, k) => store.setMark(key, who, k, m, when));
  store.setReview(key, who, { reviewer: review.reviewer, verdict: review.verdict, note: review.note, status: review.status }, when);
}
