import path from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { writePhantoms } from '../../core/phantom/index.js';
import { parsePositiveInt } from '../options.js';

function parseRate(value: string): number {
  const n = Number(value);
  if (!(n >= 0 && n <= 1)) throw new InvalidArgumentError(`expected a fraction between 0 and 1, got "${value}"`);
  return n;
}

function parseRange(value: string): [number, number] {
  const m = /^(\d+)\.\.(\d+)$/.exec(value);
  const [min, max] = m ? [Number(m[1]), Number(m[2])] : [NaN, NaN];
  if (!(min >= 1 && max >= min)) throw new InvalidArgumentError(`expected MIN..MAX with 1 ≤ MIN ≤ MAX, got "${value}"`);
  return [min, max];
}

function parseSeed(value: string): number | string {
  return /^\d+$/.test(value) ? Number(value) : value;
}

export function registerPhantom(program: Command): void {
  program
    .command('phantom')
    .description('Write synthetic chest CT studies with known answers (COVID-19 lesions and confounders) and labels.json.')
    .requiredOption('--out <dir>', 'folder to write the cases and labels.json into')
    .requiredOption('--count <n>', 'number of cases', parsePositiveInt)
    .requiredOption('--seed <s>', 'seed: the same seed writes the same studies', parseSeed)
    .option('--positive-rate <p>', 'fraction of COVID-19 cases', parseRate, 0.5)
    .option('--size <n>', 'columns and rows of each slice', parsePositiveInt, 512)
    .option('--slices <min..max>', 'slices per case', parseRange, [60, 160] as [number, number])
    .addOption(new Option('--format <format>', 'dicom (one series folder per case), nifti (one .nii.gz per case) or png (a folder of 8-bit slices per case, no spacing: the truth is in labels.json)').choices(['dicom', 'nifti', 'png']).default('dicom'))
    .addOption(new Option('--window <window>', 'display window of --format png').choices(['lung', 'mediastinal']).default('lung'))
    .action(async (o: { out: string; count: number; seed: number | string; positiveRate: number; size: number; slices: [number, number]; format: 'dicom' | 'nifti' | 'png'; window: 'lung' | 'mediastinal' }) => {
      const out = path.resolve(o.out);
      const started = Date.now();
      const labels = await writePhantoms({
        out, count: o.count, seed: o.seed, positiveRate: o.positiveRate, size: o.size, slices: o.slices, format: o.format, window: o.window,
        onCase: (i, total, c) => {
          const positive = c.slicePositive.filter(Boolean).length;
          process.stderr.write(`[${i + 1}/${total}] ${c.id}: ${c.label}, ${c.slicePositive.length} slices (${positive} with lesions) → ${path.join(out, c.path)}\n`);
        },
      });
      const covid = labels.cases.filter((c) => c.label === 'covid').length;
      process.stdout.write(`${labels.cases.length} cases (${covid} COVID-19) and labels.json written to ${out} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    });
}
