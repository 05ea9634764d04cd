// Entry point that runs the CLI from its TypeScript sources (`node --import tsx src/cli/run.ts …`),
// for tests that need the command as a separate process; `bin/lunglens.js` runs the built one.
import { main } from './main.js';

process.exitCode = await main(process.argv.slice(2));
