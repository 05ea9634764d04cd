import path from 'node:path';
import { type Command, Option } from 'commander';
import cliProgress from 'cli-progress';
import { LungLensError } from '../../core/errors.js';
import { InferenceEngine } from '../../core/inference/engine.js';
import type { ProviderPreference } from '../../core/inference/execution-provider.js';
import { AnalysisPools } from '../../core/analysis/index.js';
import { scanPaths, ScanOutputError, type ScanProgress } from '../../core/scan/scan.js';
import { parsePositiveInt, parseSpacing, SPACING_HELP } from '../options.js';

/**
 * Exit codes of `lunglens scan` (README): 0 the scan finished and at least one series was
 * analysed (error items may be among the results); 2 nothing usable was found or every series
 * failed; 1 usage error, a model that cannot be loaded, or an output that cannot be written;
 * 130 interrupted (Ctrl-C) — the partial results are valid, run again with --resume.
 */
export const SCAN_EXIT = { ok: 0, usage: 1, nothingUsable: 2, interrupted: 130 } as const;

interface ScanFlags {
  out: string;
  json?: boolean;
  workers?: number;
  resume?: boolean;
  model?: string;
  provider: ProviderPreference;
  threads?: number;
  spacing?: [number, number, number];
}

export function registerScan(program: Command, setExit: (code: number) => void): void {
  program
    .command('scan')
    .description('Run the COVID-19 detector on every CT series under PATH: results.json, results.csv and report.html in --out.')
    .argument('<paths...>', 'folders or files: DICOM, NIfTI, MetaImage, PNG/JPEG slice folders')
    .requiredOption('--out <dir>', 'folder for results.json, results.csv, report.html (created if needed)')
    .option('--json', 'also print results.json on stdout')
    .option('--workers <n>', 'reading threads (default: all cores)', parsePositiveInt)
    .option('--resume', 'reuse the series an interrupted scan into --out already finished (matched by content, not path)')
    .option('--model <file>', 'ONNX model with its .card.json beside it (default: the bundled model)')
    .addOption(new Option('--provider <p>', 'execution provider').choices(['auto', 'cuda', 'cpu']).default('auto'))
    .option('--threads <n>', 'onnxruntime threads (default: all cores)', parsePositiveInt)
    .option('--spacing <x,y,z>', SPACING_HELP, parseSpacing)
    .action(async (paths: string[], opts: ScanFlags) => {
      const fail = (message: string, code: number) => {
        process.stderr.write(`lunglens scan: ${message}\n`);
        setExit(code);
      };
      // The reading and compute threads start while the model loads.
      const pools = new AnalysisPools(opts.workers);
      let engine: InferenceEngine;
      try {
        engine = await InferenceEngine.open({ ...(opts.model ? { model: opts.model } : {}), provider: opts.provider, ...(opts.threads ? { threads: opts.threads } : {}) });
      } catch (error) {
        await pools.close();
        return fail(error instanceof LungLensError ? error.message : String(error), SCAN_EXIT.usage);
      }
      const id = engine.identity;
      process.stderr.write(`model ${id.name} (${id.sha256.slice(0, 12)}) on ${id.executionProvider}${id.provider.fallbackReason ? ` — ${id.provider.fallbackReason}` : ''}\n`);
      const controller = new AbortController();
      const onSigint = () => {
        if (controller.signal.aborted) process.exit(SCAN_EXIT.interrupted); // a second Ctrl-C: stop now (the journal is safe)
        process.stderr.write('\nstopping after the series in flight (Ctrl-C again to stop at once); rerun with --resume to finish\n');
        controller.abort();
      };
      process.on('SIGINT', onSigint);
      const progress = progressReporter(Boolean(process.stderr.isTTY));
      try {
        const results = await scanPaths(paths, { out: opts.out, engine, pools, resume: Boolean(opts.resume), signal: controller.signal, onProgress: progress.update, ...(opts.spacing ? { spacingMm: opts.spacing } : {}) });
        progress.stop();
        const s = results.summary;
        process.stderr.write(`${s.series} series: ${s.ok} analysed (${s.covid} COVID-19 suspected, ${s.nonCovid} not${s.indeterminate ? `, ${s.indeterminate} indeterminate` : ''}), ${s.error} errors, ${s.skipped} skipped → ${path.join(path.resolve(opts.out), 'results.json')}\n`);
        if (opts.json) process.stdout.write(`${JSON.stringify(results, null, 1)}\n`);
        if (!results.complete) setExit(SCAN_EXIT.interrupted);
        else if (s.ok === 0) setExit(SCAN_EXIT.nothingUsable);
      } catch (error) {
        progress.stop();
        if (error instanceof ScanOutputError) return fail(error.message, SCAN_EXIT.usage);
        throw error;
      } finally {
        process.off('SIGINT', onSigint);
        await Promise.all([engine.close(), pools.close()]);
      }
    });
}

/** A progress bar with ETA on a terminal; one plain line per series otherwise (logs, CI). */
function progressReporter(tty: boolean): { update: (e: ScanProgress) => void; stop: () => void } {
  if (!tty) {
    return {
      update: (e) => {
        if (!e.item) return;
        const i = e.item;
        const why = i.verdict === 'indeterminate' && i.reasons?.length ? ` (${i.reasons.map((r) => r.code).join(', ')})` : '';
        const what = i.status === 'ok' ? `${i.verdict}${why} p=${i.probability!.toFixed(3)}` : `${i.status} ${i.error?.code ?? ''}`;
        process.stderr.write(`[${e.done}/${e.total}] ${i.path}: ${what}${e.reused ? ' (resumed)' : ''}${i.timingsMs['total'] ? ` (${(i.timingsMs['total'] / 1000).toFixed(2)} s)` : ''}\n`);
      },
      stop: () => undefined,
    };
  }
  const bar = new cliProgress.SingleBar({
    format: 'scanning [{bar}] {value}/{total} series | {covid} COVID-19 suspected, {errors} errors | ETA {eta_formatted}',
    hideCursor: true,
    stream: process.stderr,
  }, cliProgress.Presets.shades_classic);
  let started = false;
  let covid = 0;
  let errors = 0;
  return {
    update: (e) => {
      if (e.item?.verdict === 'covid') covid++;
      if (e.item?.status === 'error') errors++;
      if (!started) {
        bar.start(Math.max(1, e.total), e.done, { covid, errors });
        started = true;
      }
      bar.setTotal(Math.max(e.total, e.done, 1));
      bar.update(e.done, { covid, errors });
    },
    stop: () => {
      if (started) bar.stop();
    },
  };
}
