/**
 * DICOMweb client on Node's own fetch: QIDO-RS search (studies, series), WADO-RS retrieve of a
 * series (the multipart response parsed as it streams, each instance written to a file as its
 * bytes arrive — never a whole series in memory) and STOW-RS store.
 */
import { createWriteStream, promises as fs } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { once } from 'node:events';
import { LungLensError } from '../errors.js';
import type { SeriesMatch, StudyMatch, StudyQuery } from './dimse.js';

export interface DicomWebEndpoint {
  /** Base URL, e.g. http://pacs:8042/dicom-web (no trailing slash needed). */
  url: string;
  /** Extra headers (e.g. Authorization) a site needs. */
  headers?: Record<string, string>;
  timeoutMs?: number;
}

type DicomJson = Record<string, { vr: string; Value?: unknown[] } | undefined>;

const base = (e: DicomWebEndpoint) => e.url.replace(/\/+$/, '');

async function request(e: DicomWebEndpoint, resource: string, init: RequestInit, what: string): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(`${base(e)}${resource}`, {
      ...init,
      headers: { ...e.headers, ...(init.headers as Record<string, string> | undefined) },
      signal: AbortSignal.timeout(e.timeoutMs ?? 120_000),
    });
  } catch (error) {
    throw new LungLensError('network', `${what} at ${base(e)} failed: ${(error as Error).message}.`);
  }
  if (!response.ok && response.status !== 202) {
    const body = (await response.text().catch(() => '')).slice(0, 200).replace(/\s+/g, ' ');
    throw new LungLensError('network', `${what} at ${base(e)} answered HTTP ${response.status}${body ? `: ${body}` : ''}.`);
  }
  return response;
}

function value(ds: DicomJson, tag: string): string {
  const v = ds[tag]?.Value?.[0];
  if (v === undefined || v === null) return '';
  if (typeof v === 'object' && 'Alphabetic' in (v as object)) return String((v as { Alphabetic?: unknown }).Alphabetic ?? '');
  return String(v);
}
const values = (ds: DicomJson, tag: string) => (ds[tag]?.Value ?? []).map(String);
const numberOf = (ds: DicomJson, tag: string) => {
  const v = value(ds, tag);
  return v === '' ? null : Number(v);
};

async function json(e: DicomWebEndpoint, resource: string, what: string): Promise<DicomJson[]> {
  const r = await request(e, resource, { headers: { Accept: 'application/dicom+json' } }, what);
  if (r.status === 204) return [];
  const text = await r.text();
  if (!text.trim()) return [];
  const parsed = JSON.parse(text) as unknown;
  if (!Array.isArray(parsed)) throw new LungLensError('network', `${what} at ${base(e)} did not answer a DICOM JSON list.`);
  return parsed as DicomJson[];
}

export async function searchStudies(e: DicomWebEndpoint, q: StudyQuery): Promise<StudyMatch[]> {
  const params = new URLSearchParams();
  const set = (k: string, v: string | undefined) => { if (v) params.set(k, v); };
  set('PatientID', q.patientId);
  set('PatientName', q.patientName);
  set('AccessionNumber', q.accessionNumber);
  set('StudyDate', q.studyDate);
  set('ModalitiesInStudy', q.modality);
  set('StudyInstanceUID', q.studyInstanceUid);
  for (const f of ['StudyDescription', 'ModalitiesInStudy', 'NumberOfStudyRelatedSeries', 'NumberOfStudyRelatedInstances']) params.append('includefield', f);
  const list = await json(e, `/studies?${params.toString()}`, 'The study search (QIDO-RS)');
  return list.map((d) => ({
    studyInstanceUid: value(d, '0020000D'), patientName: value(d, '00100010'), patientId: value(d, '00100020'),
    studyDate: value(d, '00080020'), studyTime: value(d, '00080030'), accessionNumber: value(d, '00080050'),
    studyDescription: value(d, '00081030'), modalitiesInStudy: values(d, '00080061'),
    numberOfSeries: numberOf(d, '00201206'), numberOfInstances: numberOf(d, '00201208'),
  }));
}

export async function searchSeries(e: DicomWebEndpoint, studyInstanceUid: string): Promise<SeriesMatch[]> {
  const params = new URLSearchParams();
  for (const f of ['SeriesDescription', 'NumberOfSeriesRelatedInstances']) params.append('includefield', f);
  const list = await json(e, `/studies/${encodeURIComponent(studyInstanceUid)}/series?${params.toString()}`, 'The series search (QIDO-RS)');
  return list.map((d) => ({
    studyInstanceUid: value(d, '0020000D') || studyInstanceUid, seriesInstanceUid: value(d, '0020000E'), modality: value(d, '00080060'),
    seriesNumber: numberOf(d, '00200011'), seriesDescription: value(d, '0008103E'), numberOfInstances: numberOf(d, '00201209'),
  }));
}

/** The instances of a study or series by SOP Instance UID (QIDO-RS), e.g. to find our own SR after a send. */
export async function searchInstances(e: DicomWebEndpoint, studyInstanceUid: string, seriesInstanceUid?: string): Promise<{ sopInstanceUid: string; sopClassUid: string; seriesInstanceUid: string }[]> {
  const resource = `/studies/${encodeURIComponent(studyInstanceUid)}${seriesInstanceUid ? `/series/${encodeURIComponent(seriesInstanceUid)}` : ''}/instances`;
  const list = await json(e, resource, 'The instance search (QIDO-RS)');
  return list.map((d) => ({ sopInstanceUid: value(d, '00080018'), sopClassUid: value(d, '00080016'), seriesInstanceUid: value(d, '0020000E') }));
}

function boundaryOf(contentType: string | null): string {
  const m = /boundary="?([^";]+)"?/i.exec(contentType ?? '');
  if (!m) throw new LungLensError('network', `The retrieve (WADO-RS) answer is not multipart (Content-Type ${contentType ?? 'missing'}).`);
  return m[1]!;
}

/**
 * Retrieves a series (WADO-RS) into `dir`, one Part 10 file per instance, written while the
 * response streams in. Returns the files; the caller takes them into the instance store.
 */
export async function retrieveSeries(e: DicomWebEndpoint, studyInstanceUid: string, seriesInstanceUid: string, dir: string): Promise<string[]> {
  const r = await request(e, `/studies/${encodeURIComponent(studyInstanceUid)}/series/${encodeURIComponent(seriesInstanceUid)}`,
    { headers: { Accept: 'multipart/related; type="application/dicom"; transfer-syntax=*' } }, 'The retrieve (WADO-RS)');
  const boundary = Buffer.from(`\r\n--${boundaryOf(r.headers.get('content-type'))}`);
  await fs.mkdir(dir, { recursive: true });
  const files: string[] = [];
  // The body is parsed as a stream: "--b" headers CRLFCRLF body "\r\n--b" ... "--" at the end.
  let pending = Buffer.from('\r\n'); // so the first delimiter looks like every other one
  let state: 'preamble' | 'headers' | 'body' | 'done' = 'preamble';
  let out: ReturnType<typeof createWriteStream> | null = null;
  const openPart = () => {
    const file = path.join(dir, `${randomBytes(8).toString('hex')}.dcm`);
    files.push(file);
    out = createWriteStream(file);
  };
  const closePart = async () => {
    if (!out) return;
    const o = out;
    out = null;
    o.end();
    await once(o, 'finish');
  };
  const write = async (chunk: Buffer) => {
    if (chunk.length && out && !out.write(chunk)) await once(out, 'drain');
  };
  for await (const chunk of r.body as unknown as AsyncIterable<Uint8Array>) {
    pending = Buffer.concat([pending, chunk]);
    for (;;) {
      if (state === 'preamble' || state === 'body') {
        const at = pending.indexOf(boundary);
        if (at < 0) {
          // Keep enough bytes to recognise a delimiter split across chunks.
          const keep = Math.min(pending.length, boundary.length + 2);
          if (state === 'body') await write(pending.subarray(0, pending.length - keep));
          pending = pending.subarray(pending.length - keep);
          break;
        }
        if (state === 'body') {
          await write(pending.subarray(0, at));
          await closePart();
        }
        const after = pending.subarray(at + boundary.length);
        if (after.length < 2) break;
        if (after.subarray(0, 2).toString() === '--') { state = 'done'; pending = Buffer.alloc(0); break; }
        pending = after;
        state = 'headers';
      }
      if (state === 'headers') {
        const end = pending.indexOf('\r\n\r\n');
        if (end < 0) break;
        pending = pending.subarray(end + 4);
        openPart();
        state = 'body';
        continue;
      }
      if (state === 'done') break;
    }
  }
  await closePart();
  if (state !== 'done' && files.length === 0) throw new LungLensError('network', 'The retrieve (WADO-RS) answer ended before its first instance.');
  return files;
}

export interface StowOutcome {
  stored: string[];
  failed: { sopInstanceUid: string; reason: number | null }[];
}

/** Stores Part 10 files (STOW-RS), all in one request. */
export async function storeInstances(e: DicomWebEndpoint, files: readonly string[]): Promise<StowOutcome> {
  const boundary = `lunglens-${randomBytes(12).toString('hex')}`;
  const parts: Buffer[] = [];
  for (const file of files) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`), await fs.readFile(file), Buffer.from('\r\n'));
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  const r = await request(e, '/studies', {
    method: 'POST',
    headers: { 'Content-Type': `multipart/related; type="application/dicom"; boundary=${boundary}`, Accept: 'application/dicom+json' },
    body: Buffer.concat(parts),
  }, 'The store (STOW-RS)');
  const text = await r.text();
  const answer = (text.trim() ? JSON.parse(text) : {}) as DicomJson;
  const seq = (tag: string) => (answer[tag]?.Value ?? []) as DicomJson[];
  return {
    stored: seq('00081199').map((d) => value(d, '00081155')),
    failed: seq('00081198').map((d) => ({ sopInstanceUid: value(d, '00081155'), reason: numberOf(d, '00081197') })),
  };
}
