import os from 'node:os';
import path from 'node:path';

/**
 * The user data folder (settings, recent studies, sample studies, scans, the review database): `LUNGLENS_DATA_DIR` when set (DESIGN.md §3), else the platform's usual place.
 */
export function dataDir(): string {
  const override = process.env['LUNGLENS_DATA_DIR'];
  if (override) return path.resolve(override);
  if (process.platform === 'win32') return path.join(process.env['APPDATA'] ?? path.join(os.homedir(), 'AppData', 'Roaming'), 'LungLens');
  if (process.platform === 'darwin') return path.join(os.homedir(), 'Library', 'Application Support', 'LungLens');
  return path.join(process.env['XDG_CONFIG_HOME'] ?? path.join(os.homedir(), '.config'), 'lunglens');
}

/** The review database: one SQLite file per user data folder. */
export function reviewDatabasePath(): string {
  return path.join(dataDir(), 'review.sqlite');
}
