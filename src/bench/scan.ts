/**
 * Scan benchmark, with the shipped model on this machine:
 *
 *  1. one 512×512×300 uncompressed DICOM study, from files on disk to verdict (median of runs):
 *     as a `lunglens scan` of one study runs it (new threads started while a new engine loads the
 *     model) and with threads and engine warm from a study before (the app, a batch),
 *     and each stage's time — target ≤ 2.0 s (DeCoVNet reported 1.93 s per volume on a GPU); the
 *     content identity is hashed while the worker threads make the model inputs (not resuming);
 *  2. batch throughput in studies per minute over several phantom studies;
 *  3. peak memory (max RSS of a fresh process) scanning a 1,000-slice series — target ≤ 1.5 GB;
 *  4. the model's whole-volume time in onnxruntime (CPU provider) next to PyTorch's for the same
 *     network and input shape (`python -m training bench --volume-slices`), as the peer ratio.
 *
 *   npm run build && npm run bench:scan [-- --runs 3 --batch 6 --no-big --no-torch --no-record]
 *
 * Prints figures and ratios, and adds them to docs/benchmarks.md (record.ts); passes or fails
 * nothing. Studies are cached in os.tmpdir().
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { optimiseOnCallingThread } from '../core/compiler-flags.js';
import { InferenceEngine } from '../core/inference/engine.js';
import { writePhantoms } from '../core/phantom/index.js';
import { AnalysisPools, type SeriesResult } from '../core/analysis/index.js';
import { scanPaths } from '../core/scan/scan.js';
import { recordBenchmark } from './record.js';

const CACHE = path.join(os.tmpdir(), 'lunglens-bench-scan-v1');
const TARGET_S = 2.0;
const DECOVNET_GPU_S = 1.93;
const TARGET_RSS_GB = 1.5;

const args = process.argv.slice(2);
const flag = (name: string) => args.includes(name);
const value = (name: string, fallback: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};

async function study(name: string, slices: number, count = 1, positiveRate = 0.5, size = 512): Promise<string> {
  const dir = path.join(CACHE, name);
  if (existsSync(path.join(dir, 'labels.json'))) return dir;
  await fs.rm(dir, { recursive: true, force: true });
  process.stderr.write(`generating ${count} phantom stud${count > 1 ? 'ies' : 'y'} ${size}×${size}×${slices} in ${dir} …\n`);
  const tmp = `${dir}.partial`;
  await fs.rm(tmp, { recursive: true, force: true });
  await writePhantoms({ out: tmp, count, seed: `bench-${name}`, positiveRate, size, slices: [slices, slices], format: 'dicom' });
  await fs.rename(path.join(tmp, 'labels.json'), path.join(tmp, '..', `${name}.labels.json`));
  await fs.writeFile(path.join(tmp, 'labels.json'), '{}'); // the cache marker sits outside the series folders
  await fs.rename(tmp, dir);
  return dir;
}

const seriesDirs = async (dir: string) => (await fs.readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => path.join(dir, e.name));

async function scanOnce(engine: InferenceEngine, paths: string[], pools?: AnalysisPools): Promise<{ seconds: number; items: SeriesResult[] }> {
  const out = await fs.mkdtemp(path.join(os.tmpdir(), 'lunglens-bench-out-'));
  const start = performance.now();
  const results = await scanPaths(paths, { out, engine, ...(pools ? { pools } : {}) });
  const seconds = (performance.now() - start) / 1000;
  await fs.rm(out, { recursive: true, force: true });
  return { seconds, items: results.items };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function childPeak(dir: string): Promise<void> {
  const engine = await InferenceEngine.open({ provider: 'cpu' });
  const { seconds, items } = await scanOnce(engine, [dir]);
  await engine.close();
  process.stdout.write(`${JSON.stringify({ seconds, maxRssMb: process.resourceUsage().maxRSS / 1024, status: items[0]?.status, slices: items[0]?.sliceAttention.length })}\n`);
}

/** One study as `lunglens scan` runs it (src/cli/commands/scan.ts): its threads start while the model loads. */
async function asTheCliDoes(series: string): Promise<{ seconds: number; items: SeriesResult[] }> {
  const fresh = new AnalysisPools();
  const engine = await InferenceEngine.open({ provider: 'cpu' });
  try {
    return await scanOnce(engine, [series], fresh);
  } finally {
    await Promise.all([engine.close(), fresh.close()]);
  }
}

async function main(): Promise<void> {
  optimiseOnCallingThread(); // as the CLI does
  if (flag('--child-peak')) return childPeak(args[args.indexOf('--child-peak') + 1]!);
  const record = recordBenchmark('scan');
  const runs = value('--runs', 3);
  const engine = await InferenceEngine.open({ provider: 'cpu' });
  const id = engine.identity;
  console.log(`model ${id.name} (${id.sha256.slice(0, 12)}), ${id.executionProvider} provider, ${id.threads} threads, ${os.availableParallelism()} cores`);

  // 1. One 512×512×300 study, end to end: a clear chest and one with COVID-19 opacities (the lung
  // mask's hull work grows with opacities at the lung wall).
  let item: SeriesResult | undefined;
  // Twice each: as a `lunglens scan` of one study runs it — new worker threads started while a
  // new engine loads the model, then files → verdict timed (the JavaScript engine compiles the hot
  // loops while it works; onnxruntime's session runs for the first time) — and with threads and
  // engine kept warm from a study before (the app, whose threads warm up at start; every study of
  // a batch after the first).
  const pools = new AnalysisPools();
  for (const [name, rate] of [['s512x300-clear', 0], ['s512x300-covid', 1]] as const) {
    const [series] = await seriesDirs(await study(name, 300, 1, rate));
    await scanOnce(engine, [series!]); // onnxruntime's first run, the files in the page cache
    await scanOnce(engine, [series!], pools); // the kept threads' first study
    for (const warm of [false, true]) {
      const timed = [];
      for (let r = 0; r < runs; r++) timed.push(warm ? await scanOnce(engine, [series!], pools) : await asTheCliDoes(series!));
      const seconds = timed.map((t) => t.seconds);
      item = timed[timed.length - 1]!.items[0]!;
      const m = median(seconds);
      if (!warm) console.log(`\n512×512×300 uncompressed DICOM, ${rate ? 'COVID-19' : 'clear'} phantom, files → verdict (${item.verdict}, p = ${item.probability?.toFixed(3)}):`);
      console.log(`  ${warm ? 'warm threads' : 'new threads '}  median ${m.toFixed(2)} s (runs: ${seconds.map((x) => x.toFixed(2)).join(', ')})  target ≤ ${TARGET_S} s → ${(m / TARGET_S).toFixed(2)}× the target; DeCoVNet on a GPU ${DECOVNET_GPU_S} s → ${(m / DECOVNET_GPU_S).toFixed(2)}×`);
      console.log(`    stages (last run, ms): ${Object.entries(item.timingsMs).map(([k, v]) => `${k} ${v.toFixed(0)}`).join(' · ')}`);
    }
  }
  await pools.close();

  // 2. Batch throughput.
  const batchCount = value('--batch', 6);
  const batch = await study(`batch${batchCount}`, 200, batchCount);
  const b = await scanOnce(engine, [batch]);
  const ok = b.items.filter((i) => i.status === 'ok').length;
  console.log(`\nbatch: ${ok} studies of 512×512×200 in ${b.seconds.toFixed(1)} s → ${((ok / b.seconds) * 60).toFixed(1)} studies per minute`);

  // 4. Peer: the same network and input shape in PyTorch.
  const passesMs = item!.timingsMs['inference']!;
  if (!flag('--no-torch')) {
    const card = engine.card as unknown as { architecture?: { backbone?: string } };
    const torch = spawnSync('/usr/bin/python3', ['-m', 'training', 'bench', '--backbone', card.architecture?.backbone ?? 'compact', '--size', String(engine.card.preprocessing.size),
      '--slices', String(engine.card.sliceStrategy.sliceCount), '--volume-slices', '300', '--steps', String(runs)], { encoding: 'utf8', cwd: fileURLToPath(new URL('../../', import.meta.url)) });
    const line = torch.stdout.trim().split('\n').pop() ?? '';
    if (torch.status === 0 && line.startsWith('{')) {
      const t = JSON.parse(line) as { volumeInferenceS: number; threads: number; passes: number };
      console.log(`\nmodel on 300 slices (${t.passes} passes): onnxruntime-node CPU ${passesMs.toFixed(0)} ms vs PyTorch ${torch.error ? '?' : (t.volumeInferenceS * 1000).toFixed(0)} ms (${t.threads} threads) → ${(passesMs / (t.volumeInferenceS * 1000)).toFixed(2)}× PyTorch's time`);
    } else {
      console.log(`\nPyTorch peer not measured: ${(torch.stderr || torch.error?.message || '').trim().split('\n').pop()}`);
    }
  }
  await engine.close();

  // 3. Peak memory on a 1,000-slice series, in a fresh process.
  if (!flag('--no-big')) {
    const big = await study('s512x1000', 1000);
    const [bigSeries] = await seriesDirs(big);
    const script = fileURLToPath(import.meta.url);
    const report = await new Promise<{ seconds: number; maxRssMb: number; status: string; slices: number }>((resolve, reject) => {
      const p = spawn(process.execPath, [script, '--child-peak', bigSeries!], { stdio: ['ignore', 'pipe', 'inherit'] });
      let outText = '';
      p.stdout.on('data', (d: Buffer) => (outText += d.toString()));
      p.on('exit', (code) => (code === 0 ? resolve(JSON.parse(outText.trim().split('\n').pop()!)) : reject(new Error(`peak child exited ${code}`))));
    });
    console.log(`\n512×512×1000 series: ${report.status}, ${report.slices} slices in ${report.seconds.toFixed(1)} s; peak RSS ${(report.maxRssMb / 1024).toFixed(2)} GB (target ≤ ${TARGET_RSS_GB} GB → ${(report.maxRssMb / 1024 / TARGET_RSS_GB).toFixed(2)}×)`);
  }
  record.save();
}

await main();
