/**
 * Ingest benchmark: LungLens's `inspectPaths` against dcm2niix (Debian) on the same synthetic
 * 512×512 CT series, uncompressed, JPEG lossless (SV1) and JPEG 2000 lossless. Prints figures and
 * ratios against the issue's targets; it passes or fails nothing (STYLE.md habit 9).
 *
 *   npm run build && npm run bench:ingest [-- --slices 300 --big-slices 1000 --runs 3 --no-big --no-j2k]
 *
 * Series are generated once and cached under os.tmpdir()/lunglens-bench. Each of our runs is a
 * fresh Node process, so every timing includes the worker pool's start-up (not Node's own start);
 * the files are in the OS page cache for both readers (they were just written or read).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, promises as fs, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { CONVERSIONS, convertNamed, findExecutable, writeSyntheticSeries, type ConversionName } from '../core/samples/synthetic-series.js';
import { recordBenchmark } from './record.js';

const CACHE = path.join(os.tmpdir(), 'lunglens-bench');
/** Bump when the generator's output changes, so cached series are rebuilt. */
const CACHE_VERSION = 2;
const TARGET_UNCOMPRESSED = 1.2;
const TARGET_COMPRESSED = 0.5;
const TARGET_STALL_MS = 50;
const TARGET_RSS_GB = 1.5;

interface ChildReport {
  seconds: number;
  maxStallMs: number;
  maxRssMb: number;
  series: number;
  dimensions: number[] | null;
  rejected: number;
}

// ------------------------------------------------------------------------------------------------
// Child mode: one timed inspectPaths call in a fresh process.

async function child(dir: string): Promise<void> {
  const { inspectPaths } = await import('../core/ingest/inspect.js');
  const stall = monitorEventLoopDelay({ resolution: 5 });
  stall.enable();
  const start = performance.now();
  const result = await inspectPaths([dir], {});
  const seconds = (performance.now() - start) / 1000;
  stall.disable();
  const report: ChildReport = {
    seconds,
    maxStallMs: stall.max / 1e6,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
    series: result.series.length,
    dimensions: result.series[0]?.dimensions ?? null,
    rejected: result.rejected.length,
  };
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

// ------------------------------------------------------------------------------------------------
// Parent mode.

const progress = (label: string) => (done: number, total: number) => {
  if (process.stderr.isTTY) process.stderr.write(`\r  ${label}: ${done}/${total}${done === total ? '\n' : ''}`);
  else if (done === total) process.stderr.write(`  ${label}: ${done}/${total}\n`);
};

async function dirBytes(dir: string): Promise<{ files: number; bytes: number }> {
  let bytes = 0;
  let files = 0;
  for (const name of await fs.readdir(dir)) {
    const st = await fs.stat(path.join(dir, name));
    if (st.isFile()) {
      bytes += st.size;
      files++;
    }
  }
  return { files, bytes };
}

interface Cached {
  dir: string;
  slices: number;
}

/** A cached folder: reused when its marker says it is complete and of this version. */
async function cached(name: string, slices: number, make: (dir: string) => Promise<boolean>): Promise<Cached | null> {
  const dir = path.join(CACHE, name);
  const marker = `${dir}.json`;
  if (existsSync(marker)) {
    const m = JSON.parse(readFileSync(marker, 'utf8')) as { version: number; slices: number };
    if (m.version === CACHE_VERSION && m.slices === slices) return { dir, slices };
  }
  await fs.rm(dir, { recursive: true, force: true });
  const t = performance.now();
  if (!(await make(dir))) return null;
  await fs.writeFile(marker, JSON.stringify({ version: CACHE_VERSION, slices }));
  process.stderr.write(`  ${name}: made in ${((performance.now() - t) / 1000).toFixed(1)} s\n`);
  return { dir, slices };
}

async function generate(slices: number): Promise<Cached> {
  const made = await cached(`uncompressed-512x512x${slices}`, slices, async (dir) => {
    await writeSyntheticSeries(dir, {
      // Noise near real CT's, so that lossless codecs meet realistic compression ratios (≈2–3:1).
      columns: 512, rows: 512, slices, pixelSpacingMm: [0.7, 0.7], sliceSpacingMm: 1, bitsStored: 12, noiseHu: 20, airNoiseHu: 15,
      seed: `bench-${slices}`, keepVoxels: false, fileNames: 'shuffled', onProgress: progress(`writing ${slices} slices`),
    });
    return true;
  });
  return made!;
}

async function convertCopy(source: Cached, name: ConversionName): Promise<Cached | null> {
  const c = CONVERSIONS[name];
  if (!findExecutable(c.tool)) {
    process.stderr.write(`  ${name}: skipped, ${c.tool} is not installed\n`);
    return null;
  }
  return cached(`${name}-512x512x${source.slices}`, source.slices, async (dir) => {
    process.stderr.write(`  converting with ${c.tool} ${c.args.join(' ')} (2 processes)…\n`);
    const out = await convertNamed(name, source.dir, dir, { concurrency: 2 });
    return out !== null;
  });
}

function runChild(dir: string): Promise<ChildReport & { wallSeconds: number }> {
  const script = fileURLToPath(import.meta.url);
  const execArgv = script.endsWith('.ts') ? ['--import', 'tsx'] : [];
  const start = performance.now();
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [...execArgv, script, '--child', dir], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.on('error', reject);
    p.on('close', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      if (code !== 0 || !line.startsWith('{')) return reject(new Error(`inspect child exited with ${code}: ${out}`));
      resolve({ ...(JSON.parse(line) as ChildReport), wallSeconds: (performance.now() - start) / 1000 });
    });
  });
}

async function timeDcm2niix(dir: string): Promise<{ seconds: number; maxRssMb: number | null } | { error: string }> {
  const outDir = await fs.mkdtemp(path.join(CACHE, 'dcm2niix-out-'));
  try {
    const timeBin = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;
    const start = performance.now();
    const r = timeBin
      ? spawnSync(timeBin, ['-f', 'MAXRSS_KB=%M', 'dcm2niix', '-z', 'n', '-o', outDir, '-f', 'out', dir], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
      : spawnSync('dcm2niix', ['-z', 'n', '-o', outDir, '-f', 'out', dir], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    const seconds = (performance.now() - start) / 1000;
    const produced = (await fs.readdir(outDir)).filter((n) => n.endsWith('.nii'));
    if (r.status !== 0 || produced.length === 0) return { error: `dcm2niix failed (exit ${r.status}): ${(r.stderr || r.stdout).split('\n').slice(-3).join(' ')}` };
    const rss = /MAXRSS_KB=(\d+)/.exec(r.stderr ?? '');
    return { seconds, maxRssMb: rss ? Number(rss[1]) / 1024 : null };
  } finally {
    await fs.rm(outDir, { recursive: true, force: true });
  }
}

const fmt = (v: number, digits = 2) => v.toFixed(digits);

async function benchOne(label: string, set: Cached, compressed: boolean, runs: number): Promise<string[]> {
  const { bytes, files } = await dirBytes(set.dir);
  const mb = bytes / 1e6;
  const lines = [`${label}: ${files} files, ${fmt(mb, 1)} MB on disk`];

  let peer: number | null = null;
  if (findExecutable('dcm2niix')) {
    const times: number[] = [];
    let rss: number | null = null;
    for (let i = 0; i < runs; i++) {
      const r = await timeDcm2niix(set.dir);
      if ('error' in r) {
        lines.push(`  dcm2niix: ${r.error}`);
        break;
      }
      times.push(r.seconds);
      rss = r.maxRssMb;
    }
    if (times.length > 0) {
      peer = Math.min(...times);
      lines.push(`  dcm2niix    best of ${times.length}: ${fmt(peer)} s  ${fmt(mb / peer, 0)} MB/s  (runs ${times.map((t) => fmt(t)).join(', ')} s${rss ? `; peak RSS ${fmt(rss, 0)} MB` : ''})`);
    }
  } else {
    lines.push('  dcm2niix: not installed, no peer figure');
  }

  const ours: (ChildReport & { wallSeconds: number })[] = [];
  for (let i = 0; i < runs; i++) {
    try {
      ours.push(await runChild(set.dir));
    } catch (error) {
      lines.push(`  LungLens: ${(error as Error).message.split('\n')[0]}`);
      break;
    }
  }
  if (ours.length > 0) {
    const best = ours.reduce((a, b) => (b.seconds < a.seconds ? b : a));
    const found = best.series === 1 && best.dimensions?.join('x') === `512x512x${set.slices}`;
    lines.push(
      `  LungLens    best of ${ours.length}: ${fmt(best.seconds)} s  ${fmt(mb / best.seconds, 0)} MB/s  (runs ${ours.map((r) => fmt(r.seconds)).join(', ')} s; `
        + `with Node start-up ${ours.map((r) => fmt(r.wallSeconds)).join(', ')} s)`,
      `  found: ${best.series} series ${best.dimensions?.join('×') ?? '–'}, ${best.rejected} rejected${found ? '' : '  ← NOT the expected 512×512×' + set.slices}`,
      `  longest event-loop stall of the calling thread: ${fmt(Math.max(...ours.map((r) => r.maxStallMs)), 1)} ms (target < ${TARGET_STALL_MS} ms)`,
      `  peak RSS: ${fmt(Math.max(...ours.map((r) => r.maxRssMb)), 0)} MB`,
    );
    if (peer !== null) {
      const target = compressed ? TARGET_COMPRESSED : TARGET_UNCOMPRESSED;
      const ratio = best.seconds / peer;
      lines.push(`  ratio LungLens / dcm2niix: ${fmt(ratio)}× (target ≤ ${target}×: ${ratio <= target ? 'met' : 'not met'})`);
    }
  }
  return lines;
}

interface Args {
  slices: number;
  bigSlices: number;
  runs: number;
  big: boolean;
  j2k: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { slices: 300, bigSlices: 1000, runs: 3, big: true, j2k: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const num = () => {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < 1) throw new Error(`${a} needs a positive integer`);
      return v;
    };
    if (a === '--slices') args.slices = num();
    else if (a === '--big-slices') args.bigSlices = num();
    else if (a === '--runs') args.runs = num();
    else if (a === '--no-big') args.big = false;
    else if (a === '--no-j2k') args.j2k = false;
    else if (a === '--no-record') continue;
    else throw new Error(`unknown option ${a}`);
  }
  return args;
}

async function main(argv: string[]): Promise<void> {
  if (argv[0] === '--child') return child(argv[1]!);
  const args = parseArgs(argv);
  const record = recordBenchmark('ingest');
  await fs.mkdir(CACHE, { recursive: true });
  const t0 = performance.now();
  process.stderr.write(`LungLens ingest benchmark — ${os.cpus().length} CPU(s), Node ${process.version}; cache ${CACHE}\n`);

  const plain = await generate(args.slices);
  const jpeg = await convertCopy(plain, 'jpeg-lossless-sv1');
  const j2k = args.j2k ? await convertCopy(plain, 'jpeg2000-lossless') : null;
  const big = args.big ? await generate(args.bigSlices) : null;

  const report: string[] = [
    '',
    `Timings: best of ${args.runs}; LungLens runs inspectPaths([dir], {}) in a fresh Node process per run, timed from the call`,
    'to its result (worker-pool start-up included, Node start-up not; the latter is shown separately). dcm2niix is timed as',
    'a whole process (-z n, output to a temp folder). Files are in the page cache for both.',
    '',
  ];
  report.push(...(await benchOne(`Uncompressed 512×512×${args.slices}`, plain, false, args.runs)), '');
  if (jpeg) report.push(...(await benchOne(`JPEG lossless SV1 (dcmcjpeg +e1) 512×512×${args.slices}`, jpeg, true, args.runs)), '');
  if (j2k) report.push(...(await benchOne(`JPEG 2000 lossless (gdcmconv --j2k) 512×512×${args.slices}`, j2k, true, args.runs)), '');
  if (big) {
    try {
      const r = await runChild(big.dir);
      const gb = r.maxRssMb / 1024;
      report.push(
        `Peak memory, uncompressed 512×512×${args.bigSlices} (one run, fresh process): maxRSS ${fmt(r.maxRssMb, 0)} MB = ${fmt(gb)} GB `
          + `(target < ${TARGET_RSS_GB} GB: ${gb < TARGET_RSS_GB ? 'met' : 'not met'}); ${fmt(r.seconds)} s; `
          + `longest stall ${fmt(r.maxStallMs, 1)} ms; found ${r.series} series ${r.dimensions?.join('×') ?? '–'}`,
      );
    } catch (error) {
      report.push(`Peak memory run failed: ${(error as Error).message.split('\n')[0]}`);
    }
  }
  report.push('', `Total benchmark time ${fmt((performance.now() - t0) / 1000, 0)} s.`);
  console.log(report.join('\n'));
  record.save();
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exitCode = 1;
});
