/**
 * `lunglens scan`: every series under the given paths through the analysis (core/analysis), with
 * the results written as the scan goes.
 *
 * Reading runs on the reading threads while the previous series is masked and run through the model,
 * so a batch keeps both cores busy. One bad file or series becomes an `error` item with a code and
 * a sentence; the scan goes on. Each finished series is appended to the journal at once
 * (journal.ts); `resume` reuses the items of series already done — matched by content identity,
 * not path — so an interrupted scan run again ends with the same results.json as an
 * uninterrupted one. results.json/.csv and report.html are rewritten atomically every few series
 * (with `complete: false`) and at the end.
 */
import { promises as fs, readFileSync } from 'node:fs';
import path from 'node:path';
import { AnalysisPools, analyzeVolume, contentIdentity, rejectedResult, type SeriesResult } from '../analysis/index.js';
import type { InferenceEngine } from '../inference/engine.js';
import type { SeriesSummary } from '../ingest/types.js';
import { readJournal, ScanJournal } from './journal.js';
import { reportHtml } from './report-html.js';
import { summarize, writeResults } from './results-files.js';
import type { ScanResults } from './results-schema.js';

export interface ScanOptions {
  out: string;
  engine: InferenceEngine;
  /** Reading threads (default: all cores); model inputs are made on one more thread. */
  workers?: number;
  resume?: boolean;
  /** Rewrite results.json every this many series while scanning (default 10). */
  checkpointEvery?: number;
  onProgress?: (event: ScanProgress) => void;
  /** Stops the scan after the series in flight (Ctrl-C); the results say `complete: false`. */
  signal?: AbortSignal;
  /** Called with each series analysed in this run and its result (the app adds them to the review queue). */
  onAnalysed?: (summary: SeriesSummary, result: SeriesResult) => void;
  /**
   * Threads to use (and leave open) instead of the scan's own: a process that scans again keeps
   * its threads warm; the CLI starts them while the model loads (≈ 0.1–0.2 s of thread start and
   * module loading that the first series no longer waits for).
   */
  pools?: AnalysisPools;
  /** Voxel spacing [x, y, z] mm given by the user (`--spacing`): replaces the header's or the estimate. */
  spacingMm?: [number, number, number];
}

export interface ScanProgress {
  /** Series found so far (known once the headers are read). */
  total: number;
  done: number;
  item?: SeriesResult;
  reused?: boolean;
}

/** The output folder cannot be written: the scan stops with this sentence. */
export class ScanOutputError extends Error {
  override readonly name = 'ScanOutputError';
}

export async function scanPaths(paths: string[], options: ScanOptions): Promise<ScanResults> {
  const out = path.resolve(options.out);
  const { engine } = options;
  const thumbsDir = path.join(out, 'thumbnails');
  let journal: ScanJournal;
  let previous: Map<string, SeriesResult> | null = null;
  try {
    await fs.mkdir(thumbsDir, { recursive: true });
    if (options.resume) previous = await readJournal(out, engine.identity.sha256);
    journal = previous ? await ScanJournal.append(out) : await ScanJournal.create(out, engine.identity.sha256);
  } catch (error) {
    throw new ScanOutputError(`The output folder ${out} cannot be written: ${(error as Error).message}`);
  }

  const items: SeriesResult[] = [];
  const insideOutput = (p: string) => {
    const abs = path.resolve(p);
    return abs === out || abs.startsWith(out + path.sep);
  };
  const thumbFile = (item: SeriesResult, k: number) => path.join(thumbsDir, `${item.identity.slice(0, 24)}-${k}.png`);
  const results = (complete: boolean): ScanResults => ({
    format: 'lunglens-scan',
    version: 1,
    model: { name: engine.identity.name, version: engine.identity.version, sha256: engine.identity.sha256, executionProvider: engine.identity.executionProvider, provider: engine.identity.provider, threads: engine.identity.threads },
    complete,
    summary: summarize(items),
    items,
  });
  const write = async (complete: boolean) => {
    const r = results(complete);
    const thumbnails = (item: SeriesResult, k: number): Buffer | null => {
      try {
        return readFileSync(thumbFile(item, k));
      } catch {
        return null; // a thumbnail lost with an interrupted run: the report shows the rest
      }
    };
    await writeResults(out, r, reportHtml(r, thumbnails, engine.card.intendedUse));
  };

  let total = 0;
  let sinceCheckpoint = 0;
  /** Output I/O that fails (disk full, permissions) ends the scan with a ScanOutputError. */
  const output = async (what: string, act: () => Promise<void>) => {
    try {
      await act();
    } catch (error) {
      throw new ScanOutputError(`The ${what} cannot be written to ${out}: ${(error as Error).message}`);
    }
  };
  const finished = async (item: SeriesResult, reused: boolean) => {
    items.push(item);
    if (!reused) await output('scan journal', () => journal.add(item));
    options.onProgress?.({ total: Math.max(total, items.length), done: items.length, item, reused });
    if (++sinceCheckpoint >= (options.checkpointEvery ?? 10)) {
      sinceCheckpoint = 0;
      await output('results', () => write(false));
    }
  };

  const pools = options.pools ?? new AnalysisPools(options.workers);
  const { compute } = pools;
  let pending: Promise<void> = Promise.resolve();
  let failure: unknown = null;
  let readStarted = performance.now();
  try {
    const inspected = await pools.readSeries(paths, {
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.spacingMm ? { spacingMm: options.spacingMm } : {}),
      onPlan: (count) => {
        total = count;
        options.onProgress?.({ total, done: items.length });
      },
      onVolume: async (summary, volume) => {
        const readMs = performance.now() - readStarted;
        if (insideOutput(summary.path)) return; // our own thumbnails, when --out lies inside a scanned folder
        // The previous series' analysis overlaps this one's reading; wait for it before holding two.
        await pending;
        if (failure || options.signal?.aborted) return;
        const job = (async () => {
          // Resuming, the identity decides whether the series is done already; otherwise it is
          // hashed while the worker threads make the model inputs.
          let identity: string | (() => string) = () => contentIdentity(volume);
          let identityMs = 0;
          if (previous) {
            const t = performance.now();
            identity = contentIdentity(volume);
            identityMs = performance.now() - t;
            const done = previous.get(identity);
            if (done && done.status !== 'error') {
              const reused: SeriesResult = { ...done, id: summary.id, path: summary.path };
              return finished(reused, true);
            }
          }
          const { result: item, thumbnails } = await analyzeVolume(summary, volume, identity, { readMs, identityMs }, { engine, compute });
          await output('thumbnails', async () => {
            for (const [k, png] of thumbnails) await fs.writeFile(thumbFile(item, k), png);
          });
          options.onAnalysed?.(summary, item);
          await finished(item, false);
        })().catch((error: unknown) => void (failure ??= error));
        pending = job;
        readStarted = performance.now();
      },
    });
    await pending;
    if (failure) throw failure;
    if (!options.signal?.aborted) {
      for (const r of inspected.rejected) if (!insideOutput(r.path)) await finished(rejectedResult(r, engine), false);
    }
  } finally {
    await Promise.all([...(options.pools ? [] : [pools.close()]), journal.close()]);
  }
  const complete = !options.signal?.aborted;
  await output('results', () => write(complete));
  return results(complete);
}

