import { readFileSync } from 'node:fs';

/** The version in package.json (the same file from src/ and dist/). */
export function appVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}
