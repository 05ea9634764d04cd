import { promises as fs } from 'node:fs';
import path from 'node:path';

/**
 * Writes the chunks to a temporary file beside `file` (hidden, named after the process) and
 * renames it into place: a reader sees the old file, no file, or the whole new one — never half.
 */
export async function writeAtomically(file: string, chunks: readonly (Buffer | string)[]): Promise<void> {
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    await fs.writeFile(temporary, chunks);
    await fs.rename(temporary, file);
  } catch (error) {
    await fs.rm(temporary, { force: true });
    throw error;
  }
}

