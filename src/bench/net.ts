/**
 * DICOM receiving benchmark: LungLens's listener (built-in dcmjs-dimse implementation, each
 * instance fsynced and renamed before it is acknowledged) against DCMTK's storescp (writes each
 * file, no fsync) on loopback, both fed by DCMTK's storescu -R with the same 512×512 uncompressed
 * series, alternated round by round. Then the listener's memory while it receives a 1,000-slice
 * study, as resident-set growth over its idle size. Prints figures and ratios; passes or fails
 * nothing (STYLE.md habit 9).
 *
 * Last, with Debian's Orthanc: the time from the last instance of a 300-slice phantom chest
 * acknowledged by `lunglens listen` (quiet period 1 s) to its SR stored in Orthanc.
 *
 *   npm run build && npm run bench:net [-- --slices 300 --rounds 5 --big-slices 1000 --no-big --no-sr]
 *
 * Both receivers run as child processes of this script, so neither shares a thread with the driver.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, promises as fs, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { writeSyntheticSeries } from '../core/samples/synthetic-series.js';

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

async function series(slices: number): Promise<string[]> {
  const dir = path.join(CACHE, `ct-${slices}`);
  const done = path.join(dir, 'complete.json');
  if (!existsSync(done)) {
    await fs.rm(dir, { recursive: true, force: true });
    process.stderr.write(`writing a ${slices}-slice 512×512 series to ${dir} …\n`);
    const s = await writeSyntheticSeries(dir, { columns: 512, rows: 512, slices, seed: `bench-net-${slices}`, keepVoxels: false, noiseHu: 20, airNoiseHu: 10 });
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

async function freePort(): Promise<number> {
  const net = await import('node:net');
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
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

/** storescu -R with the same files; returns seconds. */
async function send(r: Receiver, files: string[]): Promise<number> {
  const start = performance.now();
  const child = spawn('storescu', ['-R', '-aet', 'BENCH', '-aec', r.aet, '127.0.0.1', String(r.port), ...files], { stdio: ['ignore', 'ignore', 'pipe'], env: DCMTK_ENV });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  const code = await new Promise<number | null>((res) => child.once('exit', res));
  if (code !== 0) throw new Error(`storescu to ${r.name} failed: ${err}`);
  return (performance.now() - start) / 1000;
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

/** Last instance acknowledged → SR stored in Orthanc, through `lunglens listen`; seconds, or null without Orthanc. */
async function lastInstanceToSr(work: string, slices: number): Promise<{ seconds: number; lines: string } | null> {
  if (!existsSync('/usr/sbin/Orthanc')) return null;
  const files = await phantomChest(slices);
  const { startOrthanc } = await import('../core/testing/dicom-peers.js');
  const port = await freePort();
  const orthanc = await startOrthanc(path.join(work, 'orthanc'), { lunglens: { aeTitle: 'LUNGLENS', port } });
  const cli = fileURLToPath(new URL('../../bin/lunglens.js', import.meta.url));
  const listen = spawn(process.execPath, [cli, 'listen', '--aet', 'LUNGLENS', '--port', String(port), '--allow', 'BENCH', '--stable-seconds', '1',
    '--send-to', `ORTHANC@127.0.0.1:${orthanc.dicomPort}`], { env: { ...process.env, LUNGLENS_DATA_DIR: path.join(work, 'data') }, stdio: ['ignore', 'pipe', 'pipe'] });
  let lines = '';
  listen.stdout!.on('data', (d: Buffer) => { lines += d.toString(); });
  try {
    await new Promise<void>((resolve, reject) => {
      let err = '';
      listen.stderr!.on('data', (d: Buffer) => { err += d.toString(); if (/listening as/.test(err)) resolve(); });
      listen.once('exit', () => reject(new Error(`lunglens listen exited: ${err}`)));
    });
    await send({ name: 'LungLens listen', child: listen, port, aet: 'LUNGLENS', dir: work }, files);
    const acknowledged = performance.now();
    for (;;) {
      const r = await fetch(`${orthanc.url}/tools/find`, { method: 'POST', body: JSON.stringify({ Level: 'Instance', Query: { Modality: 'SR' } }) });
      if (((await r.json()) as string[]).length > 0) break;
      if (performance.now() - acknowledged > 300_000) throw new Error(`no SR in Orthanc after 300 s; listen printed:\n${lines}`);
      await new Promise((res) => setTimeout(res, 20));
    }
    return { seconds: (performance.now() - acknowledged) / 1000, lines };
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
  const slices = arg('slices', 300);
  const rounds = arg('rounds', 5);
  const bigSlices = arg('big-slices', 1000);
  const files = await series(slices);
  const bytes = (await Promise.all(files.map((f) => fs.stat(f)))).reduce((s, st) => s + st.size, 0);
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'lunglens-bench-net-run-'));
  console.log(`machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log(`series: ${slices} slices of 512×512, ${(bytes / 1e6).toFixed(1)} MB, explicit VR little endian; sender: storescu -R on loopback (TCP_NODELAY=1)`);
  const receivers = [startOurs('fsync'), startStorescp, startOurs('rename')];
  const times: Record<string, number[]> = {};
  try {
    for (let round = 0; round < rounds; round++) {
      // Each round in another order, so a drift in the machine's load spreads over all three.
      const order = receivers.map((_, i) => receivers[(i + round) % receivers.length]!);
      for (const [i, start] of order.entries()) {
        const dir = path.join(work, `r${round}-${i}`);
        const r = await start(dir);
        try {
          (times[r.name] ??= []).push(await send(r, files));
        } finally {
          await stop(r);
          await fs.rm(dir, { recursive: true, force: true });
        }
      }
    }
    const theirs = median(times['storescp']!);
    for (const [name, list] of Object.entries(times)) {
      const m = median(list);
      console.log(`receive ${slices} slices, ${name.padEnd(19)} ${m.toFixed(2)} s median (${(bytes / 1e6 / m).toFixed(0)} MB/s; runs ${list.map((t) => t.toFixed(2)).join(', ')})${name === 'storescp' ? '' : `; throughput ratio to storescp ${(theirs / m).toFixed(2)} (target ≥ ${TARGET_RATIO})`}`);
    }

    if (!process.argv.includes('--no-sr')) {
      const runs: number[] = [];
      for (let i = 0; i < Math.max(1, Math.min(3, rounds)); i++) {
        const r = await lastInstanceToSr(path.join(work, `sr-${i}`), slices);
        if (!r) { console.log('last instance → SR in Orthanc: skipped (Debian orthanc is not installed)'); break; }
        runs.push(r.seconds);
        if (i === 0) process.stderr.write(r.lines);
      }
      if (runs.length) console.log(`last instance of a ${slices}-slice phantom chest → its SR stored in Orthanc (lunglens listen, quiet period 1 s): ${median(runs).toFixed(2)} s median (runs ${runs.map((t) => t.toFixed(2)).join(', ')}; target ≤ 5 s)`);
    }

    if (!process.argv.includes('--no-big')) {
      const big = await series(bigSlices);
      const dir = path.join(work, 'big');
      const r = await startOurs('fsync')(dir);
      try {
        await new Promise((res) => setTimeout(res, 1500));
        const idle = rssMb(r.child.pid!);
        let peak = idle;
        const sampler = setInterval(() => { peak = Math.max(peak, rssMb(r.child.pid!)); }, 20);
        const seconds = await send(r, big);
        clearInterval(sampler);
        peak = Math.max(peak, rssMb(r.child.pid!));
        console.log(`receive ${bigSlices} slices: ${seconds.toFixed(1)} s; listener RSS idle ${idle.toFixed(0)} MB, peak ${peak.toFixed(0)} MB, growth ${(peak - idle).toFixed(0)} MB (target ≤ ${TARGET_GROWTH_MB} MB)`);
      } finally {
        await stop(r);
      }
    }
  } finally {
    await fs.rm(work, { recursive: true, force: true });
  }
}

const childAt = process.argv.indexOf('--child-listener');
if (childAt >= 0) await childListener(process.argv[childAt + 1]!, process.argv[childAt + 2] === 'rename' ? 'rename' : 'fsync');
else await parent();
