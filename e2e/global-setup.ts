import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { useRunTmpdir } from '../src/core/testing/run-tmpdir.js';
import { BATCH, CORRUPT_FILE, LARGE, PNG_STUDY, ROOT, SCREENS, STUDY } from './support/fixtures.js';

/**
 * Writes the generated studies (once; the seeds make them identical every time) and points the
 * run's temporary files at a folder of its own; the returned teardown removes that folder.
 */
export default function globalSetup(): () => void {
  if (!existsSync(path.join(ROOT, 'dist', 'renderer', 'index.html'))) throw new Error('The app is not built: run `npm run build` before the e2e tests.');
  rmSync(SCREENS, { recursive: true, force: true });
  mkdirSync(SCREENS, { recursive: true });
  for (const fixture of [STUDY, LARGE, BATCH, PNG_STUDY]) {
    const stamp = path.join(fixture.dir, '.complete');
    if (existsSync(stamp) && readFileSync(stamp, 'utf8') === fixture.args.join(' ')) continue;
    rmSync(fixture.dir, { recursive: true, force: true });
    execFileSync(process.execPath, [path.join(ROOT, 'bin', 'lunglens.js'), 'phantom', '--out', fixture.dir, ...fixture.args], { stdio: ['ignore', 'ignore', 'inherit'] });
    // The answers are not part of the opened or scanned folder.
    renameSync(path.join(fixture.dir, 'labels.json'), `${fixture.dir}-labels.json`);
    if (fixture === BATCH) writeFileSync(path.join(fixture.dir, CORRUPT_FILE), Buffer.concat([Buffer.alloc(128), Buffer.from('DICM'), Buffer.from([0x02, 0x00, 0x10, 0x00, 0xff])]));
    writeFileSync(stamp, fixture.args.join(' '));
  }
  return useRunTmpdir('lunglens-e2e-run');
}
