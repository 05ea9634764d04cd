import { promises as fs } from 'node:fs';
import path from 'node:path';
import { Option, type Command } from 'commander';
import { enhanceStochastic } from '../../core/enhance/stochastic.js';
import { LUNG_WINDOW, toneMap, windowHu } from '../../core/enhance/tone-map.js';
import { openLargestVolume } from '../../core/ingest/open-volume.js';
import { encodeGrayPng, sideBySide, type GrayImage } from '../../core/render/gray-png.js';
import { parseIndex, parsePositiveInt, parseSpacing, SPACING_HELP } from '../options.js';

interface EnhanceCliOptions {
  slice?: number;
  method: 'tonemap' | 'stochastic' | 'both';
  out: string;
  chains?: number;
  samples?: number;
  seed?: number;
  spacing?: [number, number, number];
}

export function registerEnhance(program: Command, setExit: (code: number) => void): void {
  program
    .command('enhance')
    .description('Render one slice of the largest series in the lung window beside its tone-mapped and/or stochastic enhancement, as a PNG.')
    .argument('<path>', 'a DICOM folder or file, NIfTI or MetaImage volume')
    .option('--slice <k>', 'slice index (0 = most inferior; default: the middle slice)', parseIndex)
    .addOption(new Option('--method <m>', 'which enhancement to show beside the original').choices(['tonemap', 'stochastic', 'both']).default('both'))
    .requiredOption('--out <file>', 'the PNG to write')
    .option('--chains <n>', 'stochastic: chains per pixel (paper: 20)', parsePositiveInt)
    .option('--samples <m>', 'stochastic: samples per chain (paper: 250)', parsePositiveInt)
    .option('--seed <s>', 'stochastic: random seed', parsePositiveInt)
    .option('--spacing <x,y,z>', SPACING_HELP, parseSpacing)
    .action(async (path0: string, o: EnhanceCliOptions) => {
      const opened = await openLargestVolume([path0], o.spacing ? { spacingMm: o.spacing } : {});
      if (!opened.series) {
        for (const r of opened.rejected) process.stderr.write(`${r.path}: ${r.code}: ${r.message}\n`);
        process.stderr.write('No usable CT series found.\n');
        setExit(2);
        return;
      }
      const { volume } = opened.series;
      const [width, height, slices] = volume.dimensions;
      const k = o.slice ?? Math.floor(slices / 2);
      if (k >= slices) {
        process.stderr.write(`--slice ${k} is beyond the last slice (${slices - 1}).\n`);
        setExit(1);
        return;
      }
      const windowed = windowHu(volume.slice(k), LUNG_WINDOW.centreHu, LUNG_WINDOW.widthHu);
      const panels: GrayImage[] = [{ width, height, values: windowed }];
      if (o.method !== 'stochastic') panels.push({ width, height, values: toneMap(windowed) });
      if (o.method !== 'tonemap') {
        const started = Date.now();
        const params = { ...(o.chains ? { chains: o.chains } : {}), ...(o.samples ? { samples: o.samples } : {}), ...(o.seed ? { seed: o.seed } : {}) };
        const values = await enhanceStochastic(windowed, width, height, params, {
          onProgress: (done) => process.stderr.write(`stochastic: ${done} chain(s) done, ${((Date.now() - started) / 1000).toFixed(1)} s\n`),
        });
        panels.push({ width, height, values });
      }
      await fs.mkdir(path.dirname(path.resolve(o.out)), { recursive: true });
      await fs.writeFile(o.out, encodeGrayPng(sideBySide(panels)));
      process.stdout.write(`slice ${k} of ${slices} (${opened.series.summary.seriesDescription || opened.series.summary.path}): ${panels.length} panel(s) written to ${o.out}\n`);
    });
}
