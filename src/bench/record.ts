/**
 * The benchmark scripts' figures go to docs/benchmarks.md: each run of `npm run bench:NAME` adds
 * an entry at the top of that script's section — the date, the machine (CPU, cores, memory, the
 * load average at the start and the end: this machine is shared, and its load moves the figures)
 * and the command — with what the script printed. `--no-record` prints without writing.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';

const FILE = fileURLToPath(new URL('../../docs/benchmarks.md', import.meta.url));

const HEADER = `# Benchmarks

Written by the benchmark scripts (\`npm run bench:*\`, src/bench/): each run adds an entry at the
top of its script's section with the date, the machine and the command, then what it printed.
Figures are comparable only within one machine and one hour: the build machine is shared (its
load average is recorded with each entry), and its speed drifts by up to ±25 % within an hour.
A comparison of two builds alternates them in one sitting.
`;

const loadAverage = () => os.loadavg().map((l) => l.toFixed(1)).join(' ');

/**
 * Starts recording what this process prints with console.log; `save()` writes it as an entry of
 * `bench:<name>`'s section. Nothing is written with `--no-record`.
 */
export function recordBenchmark(name: string): { save(): void } {
  const lines: string[] = [];
  const print = console.log.bind(console);
  console.log = (...parts: unknown[]) => {
    print(...parts);
    lines.push(parts.map(String).join(' '));
  };
  const started = new Date();
  const loadAtStart = loadAverage();
  const args = process.argv.slice(2);
  return {
    save() {
      console.log = print;
      if (args.includes('--no-record')) return;
      const cpu = os.cpus()[0]?.model.replace(/\s+/g, ' ').trim() ?? 'unknown CPU';
      const entry = [
        `### ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC · \`npm run bench:${name}${args.length ? ` -- ${args.join(' ')}` : ''}\``,
        '',
        `${cpu}, ${os.availableParallelism()} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.type()} ${os.release()}, Node ${process.version}; load average ${loadAtStart} at the start, ${loadAverage()} at the end.`,
        '',
        '```text',
        ...lines.join('\n').trim().split('\n'),
        '```',
        '',
      ].join('\n');
      const marker = `<!-- bench:${name}: entries below, newest first -->`;
      let text = existsSync(FILE) ? readFileSync(FILE, 'utf8') : HEADER;
      if (!text.includes(marker)) text = `${text.trimEnd()}\n\n## npm run bench:${name}\n\n${marker}\n`;
      const at = text.indexOf(marker) + marker.length;
      writeFileSync(FILE, `${text.slice(0, at)}\n\n${entry}${text.slice(at).replace(/^\n+/, '\n')}`);
      print(`(recorded in ${FILE})`);
    },
  };
}
