/**
 * Local, structured logs for IT (JSON lines in `<data>/logs/lunglens.log`, rotated at 5 MB) and
 * crash reports a user can hand over (`<data>/logs/crash-<time>.log`). Nothing leaves the
 * machine. Patient identifiers never enter a log: an entry takes only numbers, booleans and short
 * codes (letters, digits, - _ . :), and anything else is dropped with a note — paths and series
 * descriptions can hold patient names.
 */
import { appendFileSync, mkdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const MAX_BYTES = 5 * 1024 * 1024;
const CODE = /^[A-Za-z0-9_.:-]{0,64}$/;

export type LogValue = number | boolean | string;

/** Keeps what may be logged: numbers, booleans and code-like strings; says what was dropped. */
export function safeFields(fields: Record<string, LogValue>): Record<string, number | boolean | string> {
  const out: Record<string, number | boolean | string> = {};
  const dropped: string[] = [];
  for (const [k, v] of Object.entries(fields)) {
    if (typeof v === 'number' || typeof v === 'boolean' || (typeof v === 'string' && CODE.test(v))) out[k] = v;
    else dropped.push(k);
  }
  if (dropped.length) out['dropped'] = dropped.join(',');
  return out;
}

export class Log {
  private readonly file: string;

  constructor(private readonly dir: string) {
    this.file = path.join(dir, 'lunglens.log');
  }

  event(event: string, fields: Record<string, LogValue> = {}): void {
    try {
      mkdirSync(this.dir, { recursive: true });
      try {
        if (statSync(this.file).size > MAX_BYTES) renameSync(this.file, `${this.file}.1`);
      } catch {
        // no log yet
      }
      appendFileSync(this.file, `${JSON.stringify({ at: new Date().toISOString(), event, ...safeFields(fields) })}\n`);
    } catch {
      // a log that cannot be written never stops the work
    }
  }

  /** Writes a crash report (versions, platform, the error's stack) and returns its path. */
  crash(error: unknown, versions: Record<string, string>): string {
    const file = path.join(this.dir, `crash-${new Date().toISOString().replace(/[:.]/g, '-')}.log`);
    const stack = error instanceof Error ? (error.stack ?? error.message) : String(error);
    try {
      mkdirSync(this.dir, { recursive: true });
      writeFileSync(file, [`LungLens crash report — hand this file to IT`, `time: ${new Date().toISOString()}`, `platform: ${os.platform()} ${os.release()} ${os.arch()}, ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB`,
        ...Object.entries(versions).map(([k, v]) => `${k}: ${v}`), '', redactPaths(stack), ''].join('\n'));
    } catch {
      // nowhere to write: stderr has it
    }
    this.event('crash', { report: path.basename(file) });
    return file;
  }
}

/** Stack traces keep the code's own file names; other absolute paths (studies) become «path». */
export function redactPaths(text: string): string {
  return text.replace(/(?:[A-Za-z]:)?[\\/][^\s:()'"]+/g, (p) => (/[\\/](dist|src|node_modules)[\\/]/.test(p) || p.startsWith('node:') ? p : '«path»'));
}
