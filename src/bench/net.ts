/**
 * DICOM receiving benchmark: LungLens's listener (built-in dcmjs-dimse implementation; durability
 * `rename`, the default: each instance renamed into place before it is acknowledged, and `fsync`:
 * flushed to disk as well) against DCMTK's storescp (writes each file, no fsync) on loopback, all
 * fed by DCMTK's storescu -R with the same 512×512 uncompressed series, alternated round by round
 * (each round in another order). Besides the wall time, the CPU time each receiver used: on a
 * shared machine wall time follows it. Then the listener's memory while it receives a 1,000-slice
 * study, as resident-set growth over its idle size. Prints figures and ratios; passes or fails
 * nothing (STYLE.md habit 9). Each run is recorded in docs/benchmarks.md (record.ts).
 *
 * Last, with Debian's Orthanc: the time from the last instance of a 300-slice phantom chest
 * acknowledged by `lunglens listen --stable-seconds Q` (Q = 1 by default, the least the setting
 * takes; the quiet period is part of the time, as the issue's "last instance → SR stored" means)
 * to its SR stored in Orthanc, with the stages the listener's log line gives and the CPU time it
 * used meanwhile.
 *
 *   npm run build && npm run bench:net [-- --slices 300 --rounds 5 --big-slices 1000 --quiet-seconds 1 --no-receive --no-big --no-sr --no-record]
 *
 * The receivers run as child processes of this script, so none shares a thread with the driver.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, promises as fs, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { writeSyntheticSeries } from '../core/samples/synthetic-series.js';
import { freePort, startOrthanc } from '../core/testing/dicom-peers.js';
import { recordBenchmark } from './record.js';

const CACHE = path.join(os.tmpdir(), 'lunglens-bench-net');
/**
 * DCMTK leaves Nagle's algorithm on unless TCP_NODELAY is set: measured here, storescu → storescp
 * took 5.2 s for 100 slices without it and 0.19 s with it. Both tools get it, so the peer is at its best.
 */
const DCMTK_ENV = { ...process.env, TCP_NODELAY: '1' };
const TARGET_RATIO = 0.5;
const TARGET_GROWTH_MB = 300;

// ------------------------------------------------------------------------------------------------
// Child mode: a listener in a process of its own; prints "port N" when listening.

async function childListener(storeDir: string, durability: 'fsync' | 'rename'): Promise<void> {
  const { networkConfigSchema, dimseImplementation, startListener } = await import('../core/network/index.js');
  const listener = await startListener({
    config: networkConfigSchema.parse({ listener: { enabled: true, aeTitle: 'LUNGLENS', port: 0, allowedCallingAeTitles: ['BENCH'], stableSeconds: 3600, durability } }),
    storeDir,
    implementation: dimseImplementation('dcmjs-dimse'),
    onStableSeries: () => undefined,
  });
  process.stdout.write(`port ${listener.port}\n`);
  process.on('SIGTERM', () => void listener.close().then(() => process.exit(0)));
}

// ------------------------------------------------------------------------------------------------
// Parent mode.

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

/** A synthetic series; each `variant` has UIDs of its own. */
async function series(slices: number, variant = ''): Promise<string[]> {
  const dir = path.join(CACHE, `ct-${slices}${variant}`);
  const done = path.join(dir, 'complete.json');
  if (!existsSync(done)) {
    await fs.rm(dir, { recursive: true, force: true });
    process.stderr.write(`writing a ${slices}-slice 512×512 series to ${dir} …\n`);
    const s = await writeSyntheticSeries(dir, { columns: 512, rows: 512, slices, seed: `bench-net-${slices}${variant}`, keepVoxels: false, noiseHu: 20, airNoiseHu: 10 });
    await fs.writeFile(done, JSON.stringify(s.files));
  }
  return JSON.parse(readFileSync(done, 'utf8')) as string[];
}

function waitForPort(child: ChildProcess, pattern: RegExp): Promise<number> {
  return new Promise((resolve, reject) => {
    let text = '';
    child.stdout!.on('data', (d: Buffer) => {
      text += d.toString();
      const m = pattern.exec(text);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`receiver exited (${code})`)));
  });
}

interface Receiver {
  name: string;
  child: ChildProcess;
  port: number;
  aet: string;
  dir: string;
}

const startOurs = (durability: 'fsync' | 'rename') => async (dir: string): Promise<Receiver> => {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--child-listener', dir, durability], { stdio: ['ignore', 'pipe', 'inherit'] });
  return { name: `LungLens (${durability})`, child, port: await waitForPort(child, /port (\d+)/), aet: 'LUNGLENS', dir };
};

async function startStorescp(dir: string): Promise<Receiver> {
  const port = await freePort();
  await fs.mkdir(dir, { recursive: true });
  const child = spawn('storescp', ['-aet', 'STORESCP', '-od', dir, '-pdu', '131072', '-dhl', String(port)], { stdio: ['ignore', 'pipe', 'inherit'], env: DCMTK_ENV });
  await new Promise((r) => setTimeout(r, 500));
  return { name: 'storescp', child, port, aet: 'STORESCP', dir };
}

async function stop(r: Receiver): Promise<void> {
  if (r.child.exitCode !== null) return;
  const exited = new Promise((res) => r.child.once('exit', res));
  r.child.kill('SIGTERM');
  setTimeout(() => r.child.kill('SIGKILL'), 5000).unref();
  await exited;
}

/** storescu -R with the same files; returns seconds. `cpu` gets the CPU seconds the receiver used meanwhile. */
async function send(r: Receiver, files: string[], cpu?: number[]): Promise<number> {
  const cpuBefore = cpuSecondsOf(r.child.pid!);
  const start = performance.now();
  const child = spawn('storescu', ['-R', '-aet', 'BENCH', '-aec', r.aet, '127.0.0.1', String(r.port), ...files], { stdio: ['ignore', 'ignore', 'pipe'], env: DCMTK_ENV });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  const code = await new Promise<number | null>((res) => child.once('exit', res));
  if (code !== 0) throw new Error(`storescu to ${r.name} failed: ${err}`);
  const seconds = (performance.now() - start) / 1000;
  cpu?.push(cpuSecondsOf(r.child.pid!) - cpuBefore);
  return seconds;
}

/** A phantom chest of `slices` 512×512 slices (the synthetic test object has no lungs to analyse). */
async function phantomChest(slices: number): Promise<string[]> {
  const dir = path.join(CACHE, `phantom-${slices}`);
  const done = path.join(dir, 'complete.json');
  if (!existsSync(done)) {
    await fs.rm(dir, { recursive: true, force: true });
    process.stderr.write(`writing a ${slices}-slice 512×512 phantom chest to ${dir} …\n`);
    const { writePhantoms } = await import('../core/phantom/index.js');
    const labels = await writePhantoms({ out: dir, count: 1, seed: `bench-net-sr-${slices}`, size: 512, slices: [slices, slices] });
    const caseDir = path.join(dir, labels.cases[0]!.id);
    const files = (await fs.readdir(caseDir)).filter((f) => f.endsWith('.dcm')).map((f) => path.join(caseDir, f)).sort();
    await fs.writeFile(done, JSON.stringify(files));
  }
  return JSON.parse(readFileSync(done, 'utf8')) as string[];
}

/** What `lunglens listen --log-json` said about the series, with when the bench read each line. */
interface SrRun {
  seconds: number;
  lines: string;
  /** Seconds after the last acknowledgement: the series handed on (quiet period over), the analysis logged. */
  stableAt: number | null;
  analysedAt: number | null;
  /** The stage times of the series-analysed log line (readMs, analysisMs, maskMs, inferenceMs, identityMs, reportMs, reportSentMs, otherObjectsMs). */
  stagesMs: Record<string, number>;
  /** CPU seconds (all threads) `lunglens listen` used from the last acknowledgement to the SR found in Orthanc. */
  cpuSeconds: number;
}

/** CPU seconds, user and system, that a process has used so far (Linux). */
function cpuSecondsOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
  // After "pid (comm) ": state is field 3, utime 14 and stime 15 (1-based) → 11 and 12 here.
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Last instance acknowledged → SR stored in Orthanc, through `lunglens listen`; null without Orthanc. */
async function lastInstanceToSr(work: string, slices: number, quietSeconds: number): Promise<SrRun | null> {
  if (!existsSync('/usr/sbin/Orthanc')) return null;
  const files = await phantomChest(slices);
  const port = await freePort();
  const orthanc = await startOrthanc(path.join(work, 'orthanc'), { lunglens: { aeTitle: 'LUNGLENS', port } });
  // The CLI of the build this script belongs to (so two builds can be compared, each with its own),
  // run as bin/lunglens.js runs it.
  const cli = new URL('../cli/main.js', import.meta.url).href;
  const listen = spawn(process.execPath, ['--input-type=module', '-e', `const { main } = await import(${JSON.stringify(cli)}); process.exitCode = await main(process.argv.slice(1));`, 'listen', '--aet', 'LUNGLENS', '--port', String(port), '--allow', 'BENCH', '--stable-seconds', String(quietSeconds),
    '--send-to', `ORTHANC@127.0.0.1:${orthanc.dicomPort}`, '--log-json'], { env: { ...process.env, LUNGLENS_DATA_DIR: path.join(work, 'data') }, stdio: ['ignore', 'pipe', 'pipe'] });
  let lines = '';
  listen.stdout!.on('data', (d: Buffer) => { lines += d.toString(); });
  let acknowledged = Infinity;
  const seen: { stableAt: number | null; analysedAt: number | null; stagesMs: Record<string, number> } = { stableAt: null, analysedAt: null, stagesMs: {} };
  let pending = '';
  const onLogLine = (line: string) => {
    if (!line.startsWith('{')) return;
    let event: Record<string, unknown>;
    try { event = JSON.parse(line) as Record<string, unknown>; } catch { return; }
    const at = (performance.now() - acknowledged) / 1000;
    if (event['event'] === 'series-stable') seen.stableAt = at;
    if (event['event'] === 'series-analysed') {
      seen.analysedAt = at;
      for (const [k, v] of Object.entries(event)) if (k.endsWith('Ms') && typeof v === 'number') seen.stagesMs[k] = v;
    }
  };
  try {
    await new Promise<void>((resolve, reject) => {
      let err = '';
      listen.stderr!.on('data', (d: Buffer) => {
        const text = d.toString();
        err += text;
        if (/listening as/.test(err)) resolve();
        pending += text;
        const parts = pending.split('\n');
        pending = parts.pop()!;
        for (const p of parts) onLogLine(p);
      });
      listen.once('exit', () => reject(new Error(`lunglens listen exited: ${err.slice(-2000)}`)));
    });
    await send({ name: 'LungLens listen', child: listen, port, aet: 'LUNGLENS', dir: work }, files);
    acknowledged = performance.now();
    const cpuAtAck = cpuSecondsOf(listen.pid!);
    for (;;) {
      const r = await fetch(`${orthanc.url}/tools/find`, { method: 'POST', body: JSON.stringify({ Level: 'Instance', Query: { Modality: 'SR' } }) });
      if (((await r.json()) as string[]).length > 0) break;
      if (performance.now() - acknowledged > 300_000) throw new Error(`no SR in Orthanc after 300 s; listen printed:\n${lines}`);
      await new Promise((res) => setTimeout(res, 20));
    }
    return { seconds: (performance.now() - acknowledged) / 1000, lines, ...seen, cpuSeconds: cpuSecondsOf(listen.pid!) - cpuAtAck };
  } finally {
    listen.kill('SIGTERM');
    await new Promise((res) => listen.once('exit', res));
    await orthanc.stop();
  }
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

async function parent(): Promise<void> {
  const record = recordBenchmark('net');
  const slices = arg('slices', 300);
  const rounds = arg('rounds', 5);
  const bigSlices = arg('big-slices', 1000);
  const files = await series(slices);
  const nextFiles = await series(slices, '-b');
  const bytes = (await Promise.all(files.map((f) => fs.stat(f)))).reduce((s, st) => s + st.size, 0);
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'lunglens-bench-net-run-'));
  console.log(`machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log(`series: ${slices} slices of 512×512, ${(bytes / 1e6).toFixed(1)} MB, explicit VR little endian; sender: storescu -R on loopback (TCP_NODELAY=1)`);
  const receivers = [startStorescp, startOurs('rename'), startOurs('fsync')];
  // `first`: the first series a receiver gets after it started; `next`: a second series (other
  // UIDs) on the same receiver, as a node that has been running receives it (JIT-compiled, warm).
  const times: Record<string, { first: number[]; next: number[] }> = {};
  const cpu: Record<string, { first: number[]; next: number[] }> = {};
  try {
    for (let round = 0; round < (process.argv.includes('--no-receive') ? 0 : rounds); round++) {
      // Each round in another order, so a drift in the machine's load spreads over all three.
      const order = receivers.map((_, i) => receivers[(i + round) % receivers.length]!);
      for (const [i, start] of order.entries()) {
        const dir = path.join(work, `r${round}-${i}`);
        const r = await start(dir);
        try {
          const t = (times[r.name] ??= { first: [], next: [] });
          const c = (cpu[r.name] ??= { first: [], next: [] });
          t.first.push(await send(r, files, c.first));
          t.next.push(await send(r, nextFiles, c.next));
        } finally {
          await stop(r);
          await fs.rm(dir, { recursive: true, force: true });
        }
      }
    }
    for (const which of ['first', 'next'] as const) {
      if (!times['storescp']) break;
      console.log(which === 'first' ? 'the first series after the receiver started:' : 'a second series (other UIDs) on the same receiver:');
      const theirs = median(times['storescp'][which]);
      for (const [name, t] of Object.entries(times)) {
        const list = t[which];
        const m = median(list);
        console.log(`  receive ${slices} slices, ${name.padEnd(19)} ${m.toFixed(2)} s median (${(bytes / 1e6 / m).toFixed(0)} MB/s; runs ${list.map((x) => x.toFixed(2)).join(', ')}; receiver CPU ${(median(cpu[name]![which]) * 1000 / slices).toFixed(2)} ms per slice)${name === 'storescp' ? '' : `; throughput ratio to storescp ${(theirs / m).toFixed(2)} (target ≥ ${TARGET_RATIO})`}`);
      }
    }

    if (!process.argv.includes('--no-sr')) {
      const quiet = arg('quiet-seconds', 1);
      const runs: SrRun[] = [];
      for (let i = 0; i < Math.max(1, Math.min(3, rounds)); i++) {
        const r = await lastInstanceToSr(path.join(work, `sr-${i}`), slices, quiet);
        if (!r) { console.log('last instance → SR in Orthanc: skipped (Debian orthanc is not installed)'); break; }
        runs.push(r);
        if (i === 0) process.stderr.write(r.lines);
      }
      if (runs.length) {
        const s = runs.map((r) => r.seconds);
        console.log(`last instance of a ${slices}-slice phantom chest → its SR stored in Orthanc (lunglens listen --stable-seconds ${quiet}: the quiet period counts): ${median(s).toFixed(2)} s median (runs ${s.map((t) => t.toFixed(2)).join(', ')}; target ≤ 5 s)`);
        for (const [i, r] of runs.entries()) {
          const st = Object.entries(r.stagesMs).map(([k, v]) => `${k.replace(/Ms$/, '')} ${(v / 1000).toFixed(2)}`).join(', ');
          console.log(`  run ${i + 1}: series handed on at ${r.stableAt?.toFixed(2) ?? '?'} s, SR stored at ${r.seconds.toFixed(2)} s; lunglens listen used ${r.cpuSeconds.toFixed(2)} s of CPU meanwhile; stages (s): ${st}`);
        }
      }
    }

    if (!process.argv.includes('--no-big')) {
      const big = await series(bigSlices);
      const dir = path.join(work, 'big');
      const r = await startOurs('rename')(dir);
      try {
        await new Promise((res) => setTimeout(res, 1500));
        const idle = rssMb(r.child.pid!);
        let peak = idle;
        const sampler = setInterval(() => { peak = Math.max(peak, rssMb(r.child.pid!)); }, 20);
        const seconds = await send(r, big);
        clearInterval(sampler);
        peak = Math.max(peak, rssMb(r.child.pid!));
        console.log(`receive ${bigSlices} slices (durability rename): ${seconds.toFixed(1)} s; listener RSS idle ${idle.toFixed(0)} MB, peak ${peak.toFixed(0)} MB, growth ${(peak - idle).toFixed(0)} MB (target ≤ ${TARGET_GROWTH_MB} MB)`);
      } finally {
        await stop(r);
      }
    }
  } finally {
    await fs.rm(work, { recursive: true, force: true });
  }
  record.save();
}

const childAt = process.argv.indexOf('--child-listener');
if (childAt >= 0) await childListener(process.argv[childAt + 1]!, process.argv[childAt + 2] === 'rename' ? 'rename' : 'fsync');
else await parent();
