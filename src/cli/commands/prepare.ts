import { readFileSync } from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { readLabels, type Labels } from '../../core/dataset/labels.js';
import { prepareDataset, PrepareOutputError } from '../../core/dataset/prepare.js';
import { readCardPreprocessing, withOverrides } from '../../core/dataset/preprocessing.js';
import { LungLensError } from '../../core/errors.js';
import { DEFAULT_LUNG_CROP, DEFAULT_PREPROCESSING } from '../../core/model/defaults.js';
import type { InputPreprocessing, LungCrop } from '../../core/model/preprocess.js';
import { parsePositiveInt, parseSpacing, SPACING_HELP } from '../options.js';

/** Exit codes (DESIGN.md §3); an output that cannot be written ends the run with 1, like a usage error. */
const EXIT = { ok: 0, usage: 1, failed: 1, nothingUsable: 2 } as const;

/** "A,B" as two finite numbers; null for anything else. */
function finitePair(value: string): [number, number] | null {
  const parts = value.split(',').map((s) => s.trim());
  if (parts.length !== 2 || parts.some((s) => s === '')) return null;
  const [a, b] = parts.map(Number) as [number, number];
  return Number.isFinite(a) && Number.isFinite(b) ? [a, b] : null;
}

function parseWindow(value: string): { lowHu: number; highHu: number } {
  const pair = finitePair(value);
  if (!pair || !(pair[0] < pair[1])) throw new InvalidArgumentError(`expected LOW,HIGH in HU with LOW < HIGH (e.g. -1350,150), got "${value}"`);
  return { lowHu: pair[0], highHu: pair[1] };
}

function parseNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError(`expected a number, got "${value}"`);
  return n;
}

function parsePositive(value: string): number {
  const n = parseNumber(value);
  if (!(n > 0)) throw new InvalidArgumentError(`expected a number > 0, got "${value}"`);
  return n;
}

/** `--crop-lungs` alone, or with MARGIN,MINSIDE in mm. */
function parseLungCrop(value: string): LungCrop {
  const pair = finitePair(value);
  if (!pair || !(pair[0] >= 0) || !(pair[1] > 0)) {
    throw new InvalidArgumentError(`expected MARGIN,MINSIDE in mm (e.g. ${DEFAULT_LUNG_CROP.marginMm},${DEFAULT_LUNG_CROP.minSideMm}), got "${value}"`);
  }
  return { to: 'lungs', marginMm: pair[0], minSideMm: pair[1] };
}

/** `lunglens <version>` from package.json (two folders above this file, from src/ and dist/ alike). */
export function lunglensVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return `lunglens ${pkg.version ?? 'unknown'}`;
  } catch {
    return 'lunglens unknown';
  }
}

interface PrepareFlags {
  out: string;
  labels?: string;
  size?: number;
  window?: { lowHu: number; highHu: number };
  mean?: number;
  std?: number;
  cropLungs?: LungCrop | true;
  card?: string;
  workers?: number;
  json?: boolean;
  spacing?: [number, number, number];
}

const d = DEFAULT_PREPROCESSING;

export function registerPrepare(program: Command, setExit: (code: number) => void): void {
  program
    .command('prepare')
    .description('Turn every CT series under PATH into the detector\'s input tensors (.npy) plus manifest.json, for training and evaluation.')
    .argument('<paths...>', 'DICOM folders or files, NIfTI (.nii, .nii.gz), MetaImage (.mhd, .mha), folders of PNG/JPEG slices')
    .requiredOption('--out <dir>', 'folder to write manifest.json and cases/ into')
    .option('--labels <file>', 'labels.json ({ cases: [{ id, seriesInstanceUid, label, slicePositive? }] }); every series must then have a label')
    .option('--card <file>', 'take the preprocessing from this model card\'s "preprocessing" block (not combinable with the flags below)')
    .option('--size <n>', `slice side S of the tensors (default ${d.size})`, parsePositiveInt)
    .option('--window <low,high>', `HU window mapped to [0, 1] (default ${d.huWindow.lowHu},${d.huWindow.highHu})`, parseWindow)
    .option('--mean <m>', `normalisation mean (default ${d.normalization.mean})`, parseNumber)
    .option('--std <s>', `normalisation standard deviation (default ${d.normalization.std})`, parsePositive)
    .option('--crop-lungs [margin,minSide]', `show the model a square around the lungs, not the whole field of view: their bounding box over all slices plus MARGIN mm on each side, at least MINSIDE mm (default ${DEFAULT_LUNG_CROP.marginMm},${DEFAULT_LUNG_CROP.minSideMm})`, parseLungCrop)
    .option('--workers <n>', 'worker threads for reading, and as many for preparing (default: all cores read, all but one prepare)', parsePositiveInt)
    .option('--json', 'print manifest.json instead of a summary')
    .option('--spacing <x,y,z>', SPACING_HELP, parseSpacing)
    .action(async (paths: string[], opts: PrepareFlags) => {
      const started = performance.now();
      const usage = (message: string) => {
        process.stderr.write(`lunglens prepare: ${message}\n`);
        setExit(EXIT.usage);
      };
      let preprocessing: InputPreprocessing;
      let labels: Labels | null = null;
      try {
        const flags = opts.size !== undefined || opts.window !== undefined || opts.mean !== undefined || opts.std !== undefined || opts.cropLungs !== undefined;
        if (opts.card && flags) return usage('--card fixes the preprocessing; leave out --size, --window, --mean, --std and --crop-lungs, or leave out --card.');
        const crop = opts.cropLungs === true ? { ...DEFAULT_LUNG_CROP } : opts.cropLungs;
        preprocessing = opts.card
          ? await readCardPreprocessing(opts.card)
          : withOverrides({ size: opts.size, huWindow: opts.window, normalization: { mean: opts.mean, std: opts.std }, ...(crop ? { crop } : {}) });
        if (opts.labels) labels = await readLabels(opts.labels);
      } catch (error) {
        if (error instanceof LungLensError) return usage(error.message);
        throw error;
      }

      const out = path.resolve(opts.out);
      let index = 0;
      const manifest = await prepareDataset(paths, {
        out,
        preprocessing,
        labels,
        ignore: opts.labels ? [opts.labels] : [],
        createdBy: lunglensVersion(),
        ...(opts.workers ? { workers: opts.workers } : {}),
        ...(opts.spacing ? { spacingMm: opts.spacing } : {}),
        onSeries: ({ prepared, rejected, timingsMs }) => {
          index += 1;
          if (prepared) {
            const positive = prepared.slicePositive ? `, ${prepared.slicePositive.filter(Boolean).length} positive` : '';
            const lungs = prepared.lungStatus === 'ok' ? `lungs ${prepared.lungVolumeMl.toFixed(0)} mL` : `lungs: ${prepared.lungStatus}`;
            const seconds = (timingsMs.mask + timingsMs.tensors + timingsMs.write) / 1000;
            process.stderr.write(`[${index}] ${prepared.id}: ${prepared.label ?? 'unlabelled'}, ${prepared.slices} slices${positive}, ${lungs} (${seconds.toFixed(2)} s)\n`);
          } else if (rejected) {
            process.stderr.write(`[${index}] rejected ${rejected.path}: ${rejected.code}\n`);
          }
        },
      }).catch((error: unknown) => {
        if (!(error instanceof PrepareOutputError)) throw error;
        process.stderr.write(`lunglens prepare: ${error.message}\n`);
        return null;
      });
      if (!manifest) return setExit(EXIT.failed);

      if (opts.json) {
        process.stdout.write(`${JSON.stringify(manifest, null, 2)}\n`);
      } else {
        const count = (label: string | null) => manifest.cases.filter((c) => c.label === label).length;
        const slices = manifest.cases.reduce((n, c) => n + c.slices, 0);
        const lines = [
          `Prepared ${manifest.cases.length} case(s) (${count('covid')} COVID-19, ${count('non-covid')} non-COVID-19, ${count(null)} unlabelled), `
          + `${slices} slices at ${preprocessing.size}×${preprocessing.size}, ${manifest.rejected.length} rejected, `
          + `in ${((performance.now() - started) / 1000).toFixed(1)} s → ${path.join(out, 'manifest.json')}`,
        ];
        const noLung = manifest.cases.filter((c) => c.lungStatus !== 'ok');
        if (noLung.length > 0) lines.push(`Prepared without a lung mask (${noLung.length}): ${noLung.map((c) => `${c.id} (${c.lungStatus})`).join(', ')}`);
        if (manifest.rejected.length > 0) {
          lines.push(`Rejected (${manifest.rejected.length}):`);
          for (const r of manifest.rejected) lines.push(`  ${r.path}\n    ${r.code}: ${r.message}`);
        }
        if (labels) {
          const prepared = new Set(manifest.cases.map((c) => c.id));
          const missing = labels.cases.filter((c) => !prepared.has(c.id)).map((c) => c.id);
          if (missing.length > 0) lines.push(`Labels without a prepared series (${missing.length}): ${missing.slice(0, 20).join(', ')}${missing.length > 20 ? ', …' : ''}`);
        }
        process.stdout.write(`${lines.join('\n')}\n`);
      }
      setExit(manifest.cases.length > 0 ? EXIT.ok : EXIT.nothingUsable);
    });
}
