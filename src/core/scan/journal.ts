/**
 * The scan's journal (`DIR/.lunglens-scan.jsonl`): one line per finished series, appended and
 * flushed as soon as it is done, so a crash or Ctrl-C loses at most the series in flight. The first
 * line names the model; `--resume` reuses the items of the same model by content identity. A
 * torn last line (the process died while writing it) is ignored.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { SeriesResultSchema, type SeriesResult } from '../analysis/index.js';

export const JOURNAL_FILE = '.lunglens-scan.jsonl';

interface Header {
  journal: 'lunglens-scan';
  version: 1;
  modelSha256: string;
}

export class ScanJournal {
  private constructor(private readonly handle: fs.FileHandle) {}

  /** Starts a new journal for this model (an earlier one is replaced). */
  static async create(dir: string, modelSha256: string): Promise<ScanJournal> {
    const handle = await fs.open(path.join(dir, JOURNAL_FILE), 'w');
    const journal = new ScanJournal(handle);
    await journal.write({ journal: 'lunglens-scan', version: 1, modelSha256 } satisfies Header);
    return journal;
  }

  /** Opens the journal for appending after `previous` (read with `readJournal`). */
  static async append(dir: string): Promise<ScanJournal> {
    return new ScanJournal(await fs.open(path.join(dir, JOURNAL_FILE), 'a'));
  }

  async add(item: SeriesResult): Promise<void> {
    await this.write(item);
  }

  private async write(value: unknown): Promise<void> {
    await this.handle.appendFile(`${JSON.stringify(value)}\n`);
    await this.handle.datasync();
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}

/**
 * The finished items of an earlier scan of the same model, by identity; `null` when there is no
 * journal, it is unreadable, or it belongs to another model (then nothing can be reused).
 */
export async function readJournal(dir: string, modelSha256: string): Promise<Map<string, SeriesResult> | null> {
  let text: string;
  try {
    text = await fs.readFile(path.join(dir, JOURNAL_FILE), 'utf8');
  } catch {
    return null;
  }
  const lines = text.split('\n');
  let header: Header;
  try {
    header = JSON.parse(lines[0] ?? '') as Header;
  } catch {
    return null;
  }
  if (header.journal !== 'lunglens-scan' || header.modelSha256 !== modelSha256) return null;
  const items = new Map<string, SeriesResult>();
  for (const line of lines.slice(1)) {
    if (!line.trim()) continue;
    try {
      const item = SeriesResultSchema.safeParse(JSON.parse(line));
      if (item.success) items.set(item.data.identity, item.data);
    } catch {
      // A torn last line: that series was not finished.
    }
  }
  return items;
}
