import { Command, CommanderError } from 'commander';
import { optimiseOnCallingThread } from '../core/compiler-flags.js';
import { registerDemo } from './commands/demo.js';
import { registerEnhance } from './commands/enhance.js';
import { registerEvaluate } from './commands/evaluate.js';
import { registerInspect } from './commands/inspect.js';
import { registerMask } from './commands/mask.js';
import { registerNode } from './commands/node.js';
import { registerPacs } from './commands/pacs.js';
import { registerPhantom } from './commands/phantom.js';
import { registerPrepare } from './commands/prepare.js';
import { registerReview } from './commands/review.js';
import { registerScan } from './commands/scan.js';
import { registerServe } from './commands/serve.js';

/** Exit codes of every `lunglens` command (README, DESIGN.md §3). */
export const EXIT = { ok: 0, usage: 1, nothingUsable: 2 } as const;

/** Runs the CLI with the given arguments and resolves to the process exit code. */
export async function main(argv: string[]): Promise<number> {
  optimiseOnCallingThread();
  let exitCode: number = EXIT.ok;
  const program = new Command()
    .name('lunglens')
    .description('LungLens — chest CT reading, lung segmentation and COVID-19 detection, offline.')
    .exitOverride()
    .showHelpAfterError('(run `lunglens --help` for usage)')
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  const setExit = (code: number) => (exitCode = code);
  registerInspect(program, setExit);
  registerDemo(program, setExit);
  registerPhantom(program);
  registerEnhance(program, setExit);
  registerMask(program, setExit);
  registerPrepare(program, setExit);
  registerEvaluate(program, setExit);
  registerScan(program, setExit);
  registerServe(program, setExit);
  registerReview(program, setExit);
  registerPacs(program, setExit);
  registerNode(program, setExit);
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end through here with code 0.
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    throw error;
  }
  return exitCode;
}
