import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { readLabels } from '../../core/dataset/labels.js';
import { writeAtomically } from '../../core/util/write-atomically.js';
import { LungLensError } from '../../core/errors.js';
import { evaluate, parseResults } from '../../core/evaluate/evaluate.js';

/** Exit codes (DESIGN.md §3). */
const EXIT = { ok: 0, usage: 1, nothingUsable: 2 } as const;

export function registerEvaluate(program: Command, setExit: (code: number) => void): void {
  program
    .command('evaluate')
    .description('Score a scan\'s results.json against labels.json: ACC, PRE, F1, SEN, SPE and ROC AUC at volume and slice level, as JSON.')
    .requiredOption('--results <file>', 'results.json of `lunglens scan` (DESIGN.md §3)')
    .requiredOption('--labels <file>', 'labels.json ({ cases: [{ id, seriesInstanceUid, label, slicePositive?, patient? }] })')
    .option('--out <file>', 'also write the report to this file')
    .action(async (opts: { results: string; labels: string; out?: string }) => {
      let report;
      try {
        let text: string;
        try {
          text = await fs.readFile(opts.results, 'utf8');
        } catch (error) {
          throw new LungLensError('usage', `The results file ${opts.results} cannot be read: ${(error as Error).message}`);
        }
        const results = parseResults(text, path.basename(opts.results));
        report = evaluate(results, await readLabels(opts.labels), path.dirname(path.resolve(opts.results)));
      } catch (error) {
        if (!(error instanceof LungLensError)) throw error;
        process.stderr.write(`lunglens evaluate: ${error.message}\n`);
        setExit(EXIT.usage);
        return;
      }
      const json = `${JSON.stringify(report, null, 2)}\n`;
      if (opts.out) {
        const out = path.resolve(opts.out);
        await fs.mkdir(path.dirname(out), { recursive: true });
        await writeAtomically(out, [json]);
      }
      process.stdout.write(json);
      setExit(report.volume.count + report.volume.indeterminate > 0 ? EXIT.ok : EXIT.nothingUsable);
    });
}
