/**
 * `labels.json` (DESIGN.md §3, as `lunglens phantom` writes it): which series is COVID-19 and,
 * when known, which of its slices hold lesions. Read by `lunglens prepare` and `lunglens evaluate`.
 * A review export (src/core/review/exchange.ts) is one too: cases without a reviewer's verdict
 * (label null) are left out, and slices the reviewer did not mark are null.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { LungLensError } from '../errors.js';

export type VolumeLabel = 'covid' | 'non-covid';

const labelCase = z.object({
  id: z.string().min(1),
  seriesInstanceUid: z.string(),
  label: z.enum(['covid', 'non-covid']).nullable(),
  /** Per slice in slice-index order (DESIGN.md §2), null where unknown; absent or null when only the volume label is known. */
  slicePositive: z.array(z.boolean().nullable()).nullish(),
  /** The series folder or file, relative to labels.json (phantoms write it): matches series without a UID (NIfTI). */
  path: z.string().nullish(),
  /** The person the series belongs to (several series may share one): lets `lunglens evaluate` count the volumes of one patient as one cluster. */
  patient: z.string().min(1).nullish(),
}).passthrough();

const labelsFile = z.object({ cases: z.array(labelCase) }).passthrough();

export interface LabelCase {
  id: string;
  seriesInstanceUid: string;
  label: VolumeLabel;
  /** null entries: slices whose truth is not known (left out of slice metrics). */
  slicePositive: Array<boolean | null> | null;
  /** Absolute path of the series (resolved against labels.json's folder), when the file gives one. */
  path: string | null;
  /** The patient the series belongs to, when the file gives one. */
  patient: string | null;
}

/** Labels indexed for matching: by SeriesInstanceUID, and by path for series that have none. */
export class Labels {
  readonly cases: readonly LabelCase[];
  private readonly byUid = new Map<string, LabelCase>();
  private readonly byPath = new Map<string, LabelCase>();

  constructor(cases: LabelCase[]) {
    this.cases = cases;
    for (const c of cases) {
      if (c.seriesInstanceUid !== '') this.byUid.set(c.seriesInstanceUid, c);
      if (c.path) this.byPath.set(c.path, c);
    }
  }

  /**
   * The label of a series: by its SeriesInstanceUID when it has one; a series without a UID
   * (NIfTI, MetaImage, image stacks) by its path, as labels.json records it.
   */
  find(seriesInstanceUid: string, seriesPath: string): LabelCase | undefined {
    if (seriesInstanceUid !== '') return this.byUid.get(seriesInstanceUid);
    return this.byPath.get(path.resolve(seriesPath));
  }
}

/** Parses the text of a labels.json found in `folder`; throws `usage` with a sentence when it is not one. */
export function parseLabels(text: string, folder: string, name = 'labels.json'): Labels {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new LungLensError('usage', `${name} is not valid JSON: ${(error as Error).message}`);
  }
  const parsed = labelsFile.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue ? `${issue.path.join('.') || 'the top level'}: ${issue.message}` : 'unknown problem';
    throw new LungLensError('usage', `${name} is not a labels file ({ "cases": [{ id, seriesInstanceUid, label, slicePositive?, patient? }] }) — ${where}.`);
  }
  const ids = new Set<string>();
  const uids = new Set<string>();
  for (const c of parsed.data.cases) {
    if (ids.has(c.id)) throw new LungLensError('usage', `${name} lists case id "${c.id}" twice.`);
    if (uids.has(c.seriesInstanceUid)) throw new LungLensError('usage', `${name} gives SeriesInstanceUID ${c.seriesInstanceUid} to two cases; series could not be matched to one label.`);
    ids.add(c.id);
    if (c.seriesInstanceUid !== '') uids.add(c.seriesInstanceUid);
  }
  return new Labels(parsed.data.cases.flatMap((c) => (c.label === null ? [] : [{
    id: c.id,
    seriesInstanceUid: c.seriesInstanceUid,
    label: c.label,
    slicePositive: c.slicePositive ?? null,
    path: c.path ? path.resolve(folder, c.path) : null,
    patient: c.patient ?? null,
  }])));
}

/** Reads a labels.json; throws `usage` with a sentence when it cannot be read or is not one. */
export async function readLabels(file: string): Promise<Labels> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    throw new LungLensError('usage', `The labels file ${file} cannot be read: ${(error as Error).message}`);
  }
  return parseLabels(text, path.dirname(path.resolve(file)), path.basename(file));
}
