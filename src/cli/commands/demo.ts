import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { inspectPaths } from '../../core/ingest/inspect.js';
import { writePhantoms } from '../../core/phantom/index.js';
import { formatInspect } from './inspect.js';

/** The sample studies of the demo: a handful of phantom chest CTs, half of them COVID-19. */
export const DEMO_PHANTOMS = { count: 4, seed: 'lunglens-demo', positiveRate: 0.5, size: 512, slices: [50, 90] as [number, number] };

export function registerDemo(program: Command, setExit: (code: number) => void): void {
  program
    .command('demo')
    .description('Write sample chest CT studies (phantoms with known answers) to a folder on first run, then read them: the main job on an embedded default.')
    .option('--out <dir>', 'where to write the samples', path.join(os.tmpdir(), 'lunglens-demo'))
    .option('--json', 'print the inspect JSON instead of a table')
    .action(async (opts: { out: string; json?: boolean }) => {
      const root = path.resolve(opts.out);
      if (!existsSync(path.join(root, 'labels.json'))) {
        process.stderr.write(`Writing ${DEMO_PHANTOMS.count} sample studies to ${root} …\n`);
        await writePhantoms({ out: root, ...DEMO_PHANTOMS });
      }
      const result = await inspectPaths([root]);
      process.stdout.write(opts.json ? `${JSON.stringify(result, null, 2)}\n` : formatInspect(result));
      setExit(result.series.length > 0 ? 0 : 2);
    });
}
