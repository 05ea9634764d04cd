/**
 * Preprocessing benchmark (issue 4's targets) on this machine: the lung mask of a 512×512×300
 * phantom (with Dice against the generator's truth), tone mapping of a 512² slice, and the
 * stochastic enhancement of a 512² slice at the paper's parameters (first preview and full).
 * Prints figures and ratios to the targets; passes nothing.
 *
 *   npm run build && npm run bench:preprocess [-- --slices 300 --no-stochastic]
 */
import { performance } from 'node:perf_hooks';
import { enhanceStochastic } from '../core/enhance/stochastic.js';
import { LUNG_WINDOW, toneMap, windowHu } from '../core/enhance/tone-map.js';
import { computeLungMask } from '../core/lung/index.js';
import { generateCase, planCases } from '../core/phantom/index.js';

const TARGETS = { lungMaskS: 2, toneMapMs: 5, stochasticS: 3, previewMs: 200 };

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const verdict = (value: number, target: number) => `${(value / target).toFixed(2)}× the target (${value <= target ? 'met' : 'not met'})`;

function dice(a: Uint8Array, b: Uint8Array): number {
  let both = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i]) na++;
    if (b[i]) nb++;
    if (a[i] && b[i]) both++;
  }
  return (2 * both) / (na + nb);
}

function coverage(truth: Uint8Array, mask: Uint8Array): number {
  let inside = 0;
  let total = 0;
  for (let i = 0; i < truth.length; i++) {
    if (!truth[i]) continue;
    total++;
    if (mask[i]) inside++;
  }
  return inside / total;
}

async function main(): Promise<void> {
  const slices = arg('slices', 300);
  console.log(`LungLens preprocessing benchmark — Node ${process.version}`);

  const [spec] = planCases({ count: 1, seed: 'bench-preprocess', positiveRate: 1, size: 512, slices: [slices, slices] });
  const phantom = generateCase(spec!);
  const runs: number[] = [];
  let result = computeLungMask(phantom.volume);
  for (let r = 0; r < 3; r++) {
    const start = performance.now();
    result = computeLungMask(phantom.volume);
    runs.push((performance.now() - start) / 1000);
  }
  const best = Math.min(...runs);
  console.log(`\nLung mask, phantom 512×512×${slices} (${spec!.pixelSpacingMm.toFixed(2)} mm pixels, ${spec!.sliceThicknessMm} mm slices):`);
  console.log(`  best of 3: ${best.toFixed(2)} s (runs ${runs.map((t) => t.toFixed(2)).join(', ')} s) — ${verdict(best, TARGETS.lungMaskS)}; target ≤ ${TARGETS.lungMaskS} s`);
  console.log(`  stages (ms): ${Object.entries(result.timingsMs).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  console.log(`  status ${result.status}, ${result.lungVolumeMl.toFixed(0)} mL; Dice before dilation ${dice(result.mask, phantom.lungMask).toFixed(4)} (target ≥ 0.95); ` +
    `truth inside the dilated mask ${(100 * coverage(phantom.lungMask, result.dilatedMask)).toFixed(2)}% (target ≥ 99%)`);

  const slice = phantom.volume.slice(Math.floor(slices / 2));
  const windowed = windowHu(slice, LUNG_WINDOW.centreHu, LUNG_WINDOW.widthHu);
  const out = new Float32Array(windowed.length);
  const times: number[] = [];
  for (let r = 0; r < 60; r++) {
    const start = performance.now();
    toneMap(windowed, {}, out);
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  const median = times[times.length >> 1]!;
  console.log(`\nTone mapping, 512² slice: median of 60 ${median.toFixed(2)} ms (first ${times[times.length - 1]!.toFixed(1)} ms worst) — ${verdict(median, TARGETS.toneMapMs)}; target ≤ ${TARGETS.toneMapMs} ms`);

  if (!process.argv.includes('--no-stochastic')) {
    const start = performance.now();
    let preview = 0;
    let firstChain = 0;
    await enhanceStochastic(windowed, 512, 512, {}, {
      onPreview: () => (preview = performance.now() - start),
      onProgress: (done) => {
        if (done === 1) firstChain = performance.now() - start;
      },
    });
    const full = (performance.now() - start) / 1000;
    const samples = 512 * 512 * 20 * 250;
    console.log(`\nStochastic enhancement, 512² slice, n = 20, M = 250, 2 threads:`);
    console.log(`  first preview (every 4th pixel, interpolated; worker start-up included) ${preview.toFixed(0)} ms — ${verdict(preview, TARGETS.previewMs)}; target ≤ ${TARGETS.previewMs} ms`);
    console.log(`  first full chain ${firstChain.toFixed(0)} ms`);
    console.log(`  full ${full.toFixed(1)} s (${(samples / full / 1e6).toFixed(0)} M samples/s) — ${verdict(full, TARGETS.stochasticS)}; target ≤ ${TARGETS.stochasticS} s`);
  }
}

await main();
