import path from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { writeInserted, writePhantoms } from '../../core/phantom/index.js';
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

interface PhantomOptions {
  out: string;
  count: number;
  seed: number | string;
  positiveRate: number;
  size: number;
  slices?: [number, number];
  format: 'dicom' | 'nifti' | 'png';
  window: 'lung' | 'mediastinal';
  realism: 'v1' | 'v2';
  background?: string[];
}

export function registerPhantom(program: Command): void {
  program
    .command('phantom')
    .description('Write synthetic chest CT studies with known answers (COVID-19 lesions and confounders) and labels.json; with --background, real non-COVID series with the same COVID-19 patterns inserted into their lungs.')
    .requiredOption('--out <dir>', 'folder to write the cases and labels.json into')
    .requiredOption('--count <n>', 'number of cases', parsePositiveInt)
    .requiredOption('--seed <s>', 'seed: the same seed writes the same studies', parseSeed)
    .option('--positive-rate <p>', 'fraction of COVID-19 cases', parseRate, 0.5)
    .option('--size <n>', 'columns and rows of each slice (phantoms)', parsePositiveInt, 512)
    .option('--slices <min..max>', 'slices per case (phantoms; default 20..200 for v2, 60..160 for v1)', parseRange)
    .addOption(new Option('--realism <version>', 'phantoms: v2 (default) covers real scanners and non-COVID findings; v1 is the generator the shipped model was trained on (its test splits reproduce)').choices(['v1', 'v2']).default('v2'))
    .option('--background <path...>', 'real non-COVID CT series (folders or NIfTI files): each case is one of them with COVID-19 lesions inserted, or untouched for negatives')
    .addOption(new Option('--format <format>', 'dicom (one series folder per case), nifti (one .nii.gz per case) or png (phantoms: a folder of 8-bit slices per case, no spacing: the truth is in labels.json)').choices(['dicom', 'nifti', 'png']).default('dicom'))
    .addOption(new Option('--window <window>', 'display window of --format png').choices(['lung', 'mediastinal']).default('lung'))
    .action(async (o: PhantomOptions, command: Command) => {
      const out = path.resolve(o.out);
      const started = Date.now();
      const seconds = () => ((Date.now() - started) / 1000).toFixed(1);
      if (o.background) {
        // An inserted case keeps its background's real spacing, which a PNG stack would lose.
        if (o.format === 'png') command.error('error: --format png writes generated phantoms only; with --background, write dicom or nifti.');
        const labels = await writeInserted({
          backgrounds: o.background, out, count: o.count, seed: o.seed, positiveRate: o.positiveRate, format: o.format,
          onBackground: (b, ms) => {
            if ('volume' in b) {
              const p = b.profile;
              process.stderr.write(`background ${b.index}: ${b.path}: ${b.volume.dimensions.join('×')}, ${b.sliceThicknessMm} mm slices, lungs ${Math.round(b.lungVolumeMl)} mL, noise ${p.noiseHu?.toFixed(1) ?? '?'} HU, blur σ ${p.edgeSigmaPx?.toFixed(2) ?? '?'} px (${(ms / 1000).toFixed(1)} s)\n`);
            } else {
              process.stderr.write(`background skipped: ${b.path}: ${b.code}: ${b.message}\n`);
            }
          },
          onCase: (i, total, c, ms) => {
            const positive = c.slicePositive.filter(Boolean).length;
            const what = c.insertion ? `${c.insertion.findings.join('+')} extent ${c.insertion.extent}` : 'background untouched';
            process.stderr.write(`[${i + 1}/${total}] ${c.id}: ${c.label} (${what}) on background ${c.background.index}, ${positive}/${c.slicePositive.length} slices with lesions → ${path.join(out, c.path)} (${(ms / 1000).toFixed(1)} s)\n`);
          },
        });
        const covid = labels.cases.filter((c) => c.label === 'covid').length;
        process.stdout.write(`${labels.cases.length} cases (${covid} COVID-19) on ${labels.generator.backgrounds.length} backgrounds and labels.json written to ${out} in ${seconds()} s\n`);
        return;
      }
      const labels = await writePhantoms({
        out, count: o.count, seed: o.seed, positiveRate: o.positiveRate, size: o.size, format: o.format, window: o.window, realism: o.realism,
        ...(o.slices ? { slices: o.slices } : {}),
        onCase: (i, total, c) => {
          const positive = c.slicePositive.filter(Boolean).length;
          process.stderr.write(`[${i + 1}/${total}] ${c.id}: ${c.label}, ${c.slicePositive.length} slices (${positive} with lesions) → ${path.join(out, c.path)}\n`);
        },
      });
      const covid = labels.cases.filter((c) => c.label === 'covid').length;
      process.stdout.write(`${labels.cases.length} cases (${covid} COVID-19) and labels.json written to ${out} in ${seconds()} s\n`);
    });
}
