import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { inspectPaths } from '../../core/ingest/inspect.js';
import { writeSyntheticSeries } from '../../core/samples/synthetic-series.js';
import { formatInspect } from './inspect.js';

/**
 * Writes a small folder of sample CT series, like an archive a hospital hands over (shuffled
 * file names, several series, a localizer, a stray text file, a missing slice), then inspects it.
 * The main job's embedded default until the phantom generator arrives.
 */
export async function writeDemoFolder(root: string): Promise<void> {
  const seed = 'lunglens-demo';
  await writeSyntheticSeries(path.join(root, 'patient-a', 'chest-axial'), {
    columns: 256, rows: 256, slices: 40, sliceSpacingMm: 2.5, seed: `${seed}-a`, fileNames: 'shuffled', instanceNumbers: 'descending',
    seriesDescription: 'Chest 2.5 mm (sample)',
  });
  await writeSyntheticSeries(path.join(root, 'patient-a', 'chest-coronal'), {
    columns: 256, rows: 256, slices: 24, orientation: 'coronal', seed: `${seed}-a-cor`, signed: false, bitsStored: 12,
    seriesDescription: 'Coronal reformat (sample)',
  });
  const b = path.join(root, 'patient-b');
  const series = await writeSyntheticSeries(b, {
    columns: 192, rows: 192, slices: 30, sliceSpacingMm: 5, seed: `${seed}-b`, transferSyntax: 'implicit-little',
    seriesDescription: 'Low-dose chest 5 mm (sample)',
  });
  await fs.rm(series.files[12]!); // a slice lost on the way: the reader warns about the gap
  await writeSyntheticSeries(b, {
    columns: 128, rows: 256, slices: 1, orientation: 'coronal', seed: `${seed}-b-scout`, imageType: ['ORIGINAL', 'PRIMARY', 'LOCALIZER'],
    fileNamePrefix: 'SCOUT', seriesDescription: 'Topogram (sample)',
  });
  await fs.writeFile(path.join(b, 'README.txt'), 'Exported by a PACS: this file is not an image.\n');
}

export function registerDemo(program: Command, setExit: (code: number) => void): void {
  program
    .command('demo')
    .description('Write sample CT series to a folder (first run only) and inspect them: the main job on an embedded default.')
    .option('--out <dir>', 'where to write the samples', path.join(os.tmpdir(), 'lunglens-demo'))
    .option('--json', 'print the inspect JSON instead of a table')
    .action(async (opts: { out: string; json?: boolean }) => {
      const root = path.resolve(opts.out);
      if (!existsSync(path.join(root, 'patient-b', 'README.txt'))) {
        process.stderr.write(`Writing sample studies to ${root} …\n`);
        await writeDemoFolder(root);
      }
      const result = await inspectPaths([root]);
      process.stdout.write(opts.json ? `${JSON.stringify(result, null, 2)}\n` : formatInspect(result));
      setExit(result.series.length > 0 ? 0 : 2);
    });
}
