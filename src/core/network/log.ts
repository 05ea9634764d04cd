import { createHash } from 'node:crypto';

/**
 * Log lines of the DICOM node: an event name and fields that are numbers, booleans or code-like
 * strings (status codes, AE titles, short keys). Never a patient name or ID, a path or a UID: a
 * UID links back to the patient, so lines carry `uidKey(uid)` instead.
 */
export type NetworkLogFields = Record<string, string | number | boolean>;
export type NetworkLog = (event: string, fields?: NetworkLogFields) => void;

export const silentLog: NetworkLog = () => undefined;

const keys = new Map<string, string>();

/** The first 12 hex digits of the UID's SHA-256: enough to follow one series through a log. */
export function uidKey(uid: string): string {
  let key = keys.get(uid);
  if (key === undefined) {
    // A series' UID is logged once per instance: remember the last few hundred.
    if (keys.size >= 512) keys.clear();
    key = createHash('sha256').update(uid).digest('hex').slice(0, 12);
    keys.set(uid, key);
  }
  return key;
}

/** One JSON line per event on a stream (the CLI's stderr), with the time. */
export function jsonLinesLog(write: (line: string) => void): NetworkLog {
  return (event, fields = {}) => write(`${JSON.stringify({ at: new Date().toISOString(), event, ...fields })}\n`);
}
