import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { readLabels } from '../../core/dataset/labels.js';
import { evaluate, parseResults } from '../../core/evaluate/evaluate.js';
import { InferenceEngine } from '../../core/inference/engine.js';
import { writePhantoms, type PhantomLabels } from '../../core/phantom/index.js';
import { scanPaths } from '../../core/scan/scan.js';

/** The sample studies of the demo: phantom chest CTs with known answers, half of them COVID-19. */
export const DEMO_PHANTOMS = { count: 6, seed: 'lunglens-demo', positiveRate: 0.5, size: 512, slices: [50, 90] as [number, number] };

/**
 * The main job on an embedded default: write sample studies (first run), batch-scan them with the
 * bundled model into `<out>/scan` (results.json, results.csv, report.html) and compare the
 * verdicts with the phantoms' truth.
 */
export function registerDemo(program: Command, setExit: (code: number) => void): void {
  program
    .command('demo')
    .description('Write sample chest CT studies (phantoms with known answers) on first run, batch-scan them with the bundled model and compare with the truth.')
    .option('--out <dir>', 'where to write the samples and the scan', path.join(os.tmpdir(), 'lunglens-demo'))
    .action(async (opts: { out: string }) => {
      const root = path.resolve(opts.out);
      const labelsFile = path.join(root, 'labels.json');
      if (!existsSync(labelsFile)) {
        process.stderr.write(`Writing ${DEMO_PHANTOMS.count} sample studies to ${root} …\n`);
        await writePhantoms({ out: root, ...DEMO_PHANTOMS });
      }
      const truth = JSON.parse(readFileSync(labelsFile, 'utf8')) as PhantomLabels;
      const engine = await InferenceEngine.open();
      const out = path.join(root, 'scan');
      try {
        const results = await scanPaths(truth.cases.map((c) => path.join(root, c.path)), {
          out,
          engine,
          onProgress: (e) => {
            const i = e.item;
            if (i) process.stderr.write(`[${e.done}/${e.total}] ${path.basename(i.path)}: ${i.status === 'ok' ? `${i.verdict} (p = ${i.probability!.toFixed(3)})` : `${i.status} ${i.error?.code}`}\n`);
          },
        });
        const report = evaluate(parseResults(JSON.stringify(results)), await readLabels(labelsFile), out);
        const v = report.volume;
        process.stdout.write(`Scanned ${results.summary.series} sample studies with ${engine.identity.name} on ${engine.identity.executionProvider}: `
          + `${v.tp + v.tn} of ${v.count} verdicts match the phantoms' truth${v.indeterminate ? ` (${v.indeterminate} indeterminate: no answer)` : ''}; slice level precision ${fmt(report.slice.pre)}, F1 ${fmt(report.slice.f1)}.\n`
          + `Report: ${path.join(out, 'report.html')}\n`);
        setExit(results.summary.ok > 0 ? 0 : 2);
      } finally {
        await engine.close();
      }
    });
}

const fmt = (x: number | null) => (x === null ? '—' : `${(x * 100).toFixed(1)}%`);
