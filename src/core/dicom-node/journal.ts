import { promises as fs } from 'node:fs';
import path from 'node:path';

export interface JournalEntry {
  /** Content identity of the analysed volume (analysis/identity.ts). */
  identity: string;
  seriesInstanceUid: string;
  /** The result objects written for it. */
  files: string[];
}

/**
 * The content identities the node has analysed, one JSON line each, appended after the result
 * objects are on disk (a torn last line is ignored). What makes "the same study sent twice is
 * analysed once" hold across restarts and new UIDs.
 */
export class AnalysedJournal {
  private constructor(private readonly file: string, private readonly entries: Map<string, JournalEntry>) {}

  static async open(dir: string): Promise<AnalysedJournal> {
    await fs.mkdir(dir, { recursive: true });
    const file = path.join(dir, 'analysed.jsonl');
    const entries = new Map<string, JournalEntry>();
    const text = await fs.readFile(file, 'utf8').catch(() => '');
    for (const line of text.split('\n')) {
      try {
        const e = JSON.parse(line) as JournalEntry;
        if (typeof e.identity === 'string') entries.set(e.identity, e);
      } catch { /* a torn last line */ }
    }
    return new AnalysedJournal(file, entries);
  }

  get(identity: string): JournalEntry | undefined {
    return this.entries.get(identity);
  }

  async add(entry: JournalEntry): Promise<void> {
    await fs.appendFile(this.file, `${JSON.stringify(entry)}\n`);
    this.entries.set(entry.identity, entry);
  }
}
