/**
 * Phantom benchmark: time to generate one 512×512×300 synthetic chest CT case on one core (the
 * generator is single-threaded; this process runs nothing else), against the target of
 * 5 s, and the time to write it as a DICOM series. Prints figures and ratios, passes nothing.
 *
 *   npm run build && npm run bench:phantom [-- --runs 3 --slices 300 --size 512 --no-record]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { generateCase, planCases, writePhantoms } from '../core/phantom/index.js';
import { recordBenchmark } from './record.js';

const TARGET_SECONDS = 5;

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

async function main(): Promise<void> {
  const runs = arg('runs', 3);
  const slices = arg('slices', 300);
  const size = arg('size', 512);
  const record = recordBenchmark('phantom');
  console.log(`LungLens phantom benchmark — ${size}×${size}×${slices}, Node ${process.version}, best of ${runs}`);
  for (const label of ['covid', 'non-covid'] as const) {
    const times: number[] = [];
    for (let r = 0; r < runs; r++) {
      const [spec] = planCases({ count: 1, seed: `bench-${label}-${r}`, positiveRate: label === 'covid' ? 1 : 0, size, slices: [slices, slices] });
      const start = performance.now();
      const generated = generateCase(spec!);
      times.push((performance.now() - start) / 1000);
      if (generated.volume.dimensions[2] !== slices) throw new Error(`expected ${slices} slices, got ${generated.volume.dimensions[2]}`);
    }
    const best = Math.min(...times);
    console.log(`  generate (${label.padEnd(9)}): best ${best.toFixed(2)} s (runs ${times.map((t) => t.toFixed(2)).join(', ')} s); ` +
      `${((best * 1000) / slices).toFixed(1)} ms per slice; ratio to the ${TARGET_SECONDS} s target ${(best / TARGET_SECONDS).toFixed(2)}× (${best <= TARGET_SECONDS ? 'met' : 'not met'})`);
  }
  const out = mkdtempSync(path.join(os.tmpdir(), 'lunglens-bench-phantom-'));
  try {
    const start = performance.now();
    await writePhantoms({ out, count: 1, seed: 'bench-write', positiveRate: 1, size, slices: [slices, slices] });
    console.log(`  generate + write as DICOM (${slices} files): ${((performance.now() - start) / 1000).toFixed(2)} s`);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
  record.save();
}

await main();
