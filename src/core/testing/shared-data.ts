/**
 * Test-only access to the real CT in `../shared/data` (never committed to the project).
 * Tests that need it skip, saying why, when the folder is absent.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** Absolute path of the shared data folder (override with LUNGLENS_SHARED_DATA). */
export const sharedDataRoot = process.env.LUNGLENS_SHARED_DATA ?? path.resolve(projectRoot, '../shared/data');

export const hasSharedData = existsSync(sharedDataRoot);

export const sharedDataSkipReason = `real CT test data not found at ${sharedDataRoot} (see ../shared/data/README.md)`;

export function sharedData(...parts: string[]): string {
  return path.join(sharedDataRoot, ...parts);
}

export { projectRoot };
