import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { reviewDatabasePath } from '../../backend/data-dir.js';
import { writeAtomically } from '../../core/util/write-atomically.js';
import { LungLensError } from '../../core/errors.js';
import { applyImport, exportCsv, exportJson, planImport } from '../../core/review/exchange.js';
import { ReviewStore } from '../../core/review/review-store.js';

/**
 * `lunglens review export|import|stats` on the review database of the user data folder
 * (`LUNGLENS_DATA_DIR`, DESIGN.md §3): for admins and scripts.
 */
export function registerReview(program: Command, setExit: (code: number) => void): void {
  const review = program.command('review').description('The clinicians\' review database: export, import, statistics.');
  const withStore = async (act: (store: ReviewStore) => Promise<void> | void) => {
    let store: ReviewStore;
    try {
      store = ReviewStore.open(reviewDatabasePath());
    } catch (error) {
      process.stderr.write(`lunglens review: ${(error as Error).message}\n`);
      return setExit(1);
    }
    try {
      await act(store);
    } catch (error) {
      process.stderr.write(`lunglens review: ${(error as Error).message}\n`);
      setExit(error instanceof LungLensError && error.code === 'review-bad-import' ? 2 : 1);
    } finally {
      store.close();
    }
  };

  review
    .command('export')
    .description('Write every review to a file (pseudonymised unless --identifiers).')
    .requiredOption('--out <file>', 'the file to write')
    .option('--format <format>', 'json (everything, usable as labels by `lunglens evaluate`) or csv (one row per study)', 'json')
    .option('--identifiers', 'include patient name, patient ID and series path (default: a pseudonym instead)')
    .action(async (opts: { out: string; format: string; identifiers?: boolean }) => {
      if (opts.format !== 'json' && opts.format !== 'csv') {
        process.stderr.write(`lunglens review export: --format must be json or csv, got ${opts.format}\n`);
        return setExit(1);
      }
      await withStore(async (store) => {
        const text = opts.format === 'json' ? exportJson(store, { identifiers: opts.identifiers === true }) : exportCsv(store, { identifiers: opts.identifiers === true });
        await writeAtomically(path.resolve(opts.out), [text]);
        process.stderr.write(`${store.keys().length} studies written to ${opts.out}${opts.identifiers ? ' (with patient identifiers)' : ' (pseudonymised)'}\n`);
      });
    });

  review
    .command('import <file>')
    .description('Import a review export (JSON adds studies; CSV updates studies already here). A file with any problem changes nothing.')
    .action(async (file: string) => {
      await withStore(async (store) => {
        const text = await fs.readFile(file, 'utf8');
        const plan = planImport(store, text, path.basename(file));
        const r = applyImport(store, plan, `import:${os.userInfo().username}`);
        process.stderr.write(`${r.studies} studies imported from ${file} (${r.added} new)\n`);
      });
    });

  review
    .command('stats')
    .description('Counts: studies by review status, reviewer verdicts, agreement with the AI, abstentions of the AI and what readers decided there, marks.')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      await withStore((store) => {
        const s = store.stats();
        if (opts.json) return void process.stdout.write(`${JSON.stringify(s, null, 2)}\n`);
        process.stdout.write(`${s.studies} studies: ${s.status.unreviewed} unreviewed, ${s.status.inProgress} in progress, ${s.status.done} done\n`
          + `reviewer verdicts: ${s.reviewerVerdicts.covid} COVID-19, ${s.reviewerVerdicts.nonCovid} not COVID-19, ${s.reviewerVerdicts.indeterminate} indeterminate\n`
          + `agreement with the AI: ${s.agreement.agree} of ${s.agreement.compared}\n`
          + `the AI abstained (indeterminate) on ${s.aiAbstained.studies}: readers called ${s.aiAbstained.readerCovid} COVID-19, `
          + `${s.aiAbstained.readerNonCovid} not COVID-19, ${s.aiAbstained.readerIndeterminate} indeterminate\n`
          + `slice marks: ${s.marks.lesion} lesion, ${s.marks.clear} clear; ${s.auditRows} audit entries; schema v${s.schemaVersion}\n`);
      });
    });
}
