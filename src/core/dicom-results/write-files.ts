import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { ResultObject } from './types.js';

/**
 * Writes result objects into a folder as `<kind>-<SOP Instance UID>.dcm`, each to a temporary
 * name first and renamed, so a folder never holds half an object. Returns the paths, in order.
 */
export async function writeResultFiles(objects: ResultObject[], dir: string): Promise<string[]> {
  await fs.mkdir(dir, { recursive: true });
  const out: string[] = [];
  for (const o of objects) {
    const file = path.join(dir, `${o.kind}-${o.sopInstanceUid}.dcm`);
    const tmp = `${file}.${process.pid}.tmp`;
    await fs.writeFile(tmp, o.bytes);
    await fs.rename(tmp, file);
    out.push(file);
  }
  return out;
}
