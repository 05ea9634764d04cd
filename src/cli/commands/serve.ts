import path from 'node:path';
import type { Command } from 'commander';
import { appVersion } from '../../backend/app-version.js';
import { dataDir } from '../../backend/data-dir.js';
import { startServer } from '../../backend/http-server.js';
import { Log } from '../../backend/log.js';
import { ThreadBackend } from '../../backend/thread-backend.js';
import type { AppInfo } from '../../shared/api.js';

/**
 * `lunglens serve [--port N]`: the reading room in a browser, on 127.0.0.1 only, behind a
 * per-session token, over the same services as the desktop app (on their own thread). Prints the
 * URL to open (token included) on stdout; Ctrl-C stops it.
 */
export function registerServe(program: Command, setExit: (code: number) => void): void {
  program
    .command('serve')
    .description('Serve the reading room to a browser on this machine (127.0.0.1 only); prints the URL to open, with its session token.')
    .option('--port <n>', 'port (default: any free one)', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`--port must be an integer 0–65535, got ${v}`);
      return n;
    })
    .action(async (opts: { port?: number }) => {
      const log = new Log(path.join(dataDir(), 'logs'));
      const stopped = (error: unknown) => {
        const report = log.crash(error, { lunglens: appVersion(), node: process.versions.node });
        process.stderr.write(`lunglens serve stopped: ${(error as Error).message}\nA crash report was written to ${report}; hand it to IT.\n`);
        process.exit(1);
      };
      const backend = await ThreadBackend.start({ dataDir: dataDir(), transport: 'http', version: appVersion() });
      let server;
      try {
        server = await startServer(backend, opts.port !== undefined ? { port: opts.port } : {});
      } catch (error) {
        await backend.close();
        process.stderr.write(`lunglens serve: cannot listen on 127.0.0.1${opts.port ? `:${opts.port}` : ''}: ${(error as Error).message}\n`);
        setExit(1);
        return;
      }
      process.on('uncaughtException', stopped);
      backend.onCrash(stopped);
      const problem = ((await backend.call('info', {})) as AppInfo).modelProblem;
      if (problem) process.stderr.write(`lunglens serve: no model loaded (${problem.code}): ${problem.message}\n`);
      process.stdout.write(`${server.url}\n`);
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await server.close();
      await backend.close();
    });
}
