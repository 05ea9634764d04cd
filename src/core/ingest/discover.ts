import { promises as fs, type Stats } from 'node:fs';
import path from 'node:path';
import type { Rejection } from '../errors.js';

/** What a discovered file will be read as. */
export type CandidateKind = 'dicom' | 'nifti' | 'metaimage' | 'image';

export interface Candidate {
  path: string;
  kind: CandidateKind;
  sizeBytes: number;
}

export interface Discovery {
  candidates: Candidate[];
  rejected: Rejection[];
  /** Files that are not images and never meant to be (labels, spreadsheets, notes, thumbnail databases): skipped, not rejected. */
  ignored: string[];
}

/**
 * What study folders hold beside their images: labels and notes, tables, documents, thumbnail
 * databases (Windows Thumbs.db, macOS .DS_Store). A DICOM file never carries these extensions, so
 * they are skipped and counted instead of being read and rejected as "not DICOM".
 */
const STRAY_EXTENSIONS = new Set([
  '.json', '.csv', '.tsv', '.txt', '.md', '.rtf', '.pdf', '.doc', '.docx', '.odt', '.xls', '.xlsx', '.xlsm', '.ods',
  '.xml', '.html', '.htm', '.yaml', '.yml', '.ini', '.log', '.py', '.ipynb', '.sh', '.bat',
]);
const STRAY_NAMES = new Set(['thumbs.db', 'ehthumbs.db', 'ehthumbs_vista.db', 'desktop.ini', '.ds_store']);

export function isStrayFile(name: string): boolean {
  const lower = name.toLowerCase();
  return STRAY_NAMES.has(lower) || STRAY_EXTENSIONS.has(path.extname(lower));
}

function kindOf(name: string): CandidateKind {
  const lower = name.toLowerCase();
  if (lower.endsWith('.nii') || lower.endsWith('.nii.gz')) return 'nifti';
  if (lower.endsWith('.mhd') || lower.endsWith('.mha')) return 'metaimage';
  if (/\.(png|jpe?g)$/.test(lower)) return 'image';
  return 'dicom';
}

/** Data files that belong to a MetaImage/Analyze header beside them and are read through it. */
function isCompanionData(file: string, siblings: Set<string>): boolean {
  const ext = path.extname(file).toLowerCase();
  if (ext !== '.raw' && ext !== '.zraw' && ext !== '.img') return false;
  const stem = file.slice(0, -ext.length);
  return siblings.has(`${stem}.mhd`) || siblings.has(`${stem}.MHD`);
}

const isHidden = (name: string): boolean => name.startsWith('.');

/**
 * Walks the given files and folders recursively and lists what could be a CT input.
 * Survives what real folders hold: hidden files and folders are ignored; symlinks are followed
 * but every folder and file is visited once (by device and inode), so loops terminate; zero-byte,
 * unreadable and special files become rejections; stray non-image files (labels.json, tables,
 * notes, thumbnail databases) are listed as ignored; order is deterministic (sorted by name).
 */
export async function discover(inputs: string[]): Promise<Discovery> {
  const candidates: Candidate[] = [];
  const rejected: Rejection[] = [];
  const ignored: string[] = [];
  const seen = new Set<string>();
  const identity = (s: Stats) => `${s.dev}:${s.ino}`;

  async function visitFile(file: string, stats: Stats, siblings: Set<string>): Promise<void> {
    if (seen.has(identity(stats))) return;
    seen.add(identity(stats));
    if (stats.isFile() && isStrayFile(path.basename(file))) {
      ignored.push(file);
      return;
    }
    if (!stats.isFile()) {
      rejected.push({ path: file, code: 'unreadable', message: 'This is not a regular file (a device, socket or pipe); it was skipped.' });
      return;
    }
    if (stats.size === 0) {
      rejected.push({ path: file, code: 'empty-file', message: 'The file is empty (0 bytes).' });
      return;
    }
    if (isCompanionData(file, siblings)) return;
    try {
      await fs.access(file, fs.constants.R_OK);
    } catch (error) {
      rejected.push({ path: file, code: 'unreadable', message: `The file cannot be read (${(error as NodeJS.ErrnoException).code ?? 'access denied'}).` });
      return;
    }
    candidates.push({ path: file, kind: kindOf(path.basename(file)), sizeBytes: stats.size });
  }

  async function visitDirectory(dir: string, stats: Stats): Promise<void> {
    if (seen.has(identity(stats))) return;
    seen.add(identity(stats));
    let names: string[];
    try {
      names = (await fs.readdir(dir)).sort();
    } catch (error) {
      rejected.push({ path: dir, code: 'unreadable', message: `The folder cannot be listed (${(error as NodeJS.ErrnoException).code ?? 'error'}).` });
      return;
    }
    const siblings = new Set(names.map((n) => path.join(dir, n)));
    for (const name of names) {
      if (name.toLowerCase() === '.ds_store') ignored.push(path.join(dir, name));
      if (isHidden(name)) continue;
      await visit(path.join(dir, name), siblings);
    }
  }

  async function visit(target: string, siblings: Set<string>): Promise<void> {
    let stats: Stats;
    try {
      stats = await fs.stat(target); // follows symlinks
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'it does not exist (or is a broken link)' : code === 'ELOOP' ? 'its links form a loop' : `error ${code ?? 'unknown'}`;
      rejected.push({ path: target, code: 'unreadable', message: `The path cannot be opened: ${why}.` });
      return;
    }
    if (stats.isDirectory()) await visitDirectory(target, stats);
    else await visitFile(target, stats, siblings);
  }

  for (const input of inputs) {
    const absolute = path.resolve(input);
    await visit(absolute, new Set([absolute]));
  }
  return { candidates, rejected, ignored };
}
