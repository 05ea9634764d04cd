// Peak memory and time of the lung mask on a long volume (the target case: 1,000 slices of 512²), in a
// process of its own so that nothing else counts: the synthetic chest of the lung tests at
// 512 × 512 × 100 (3 mm slices), each slice repeated `--repeat` times (default 10: 1,000 slices
// of 0.3 mm, 262 M voxels, 524 MB of Int16 HU).
//
//   node --expose-gc --import tsx scripts/measure-lung-memory.ts [--slices 100] [--repeat 10] [--json]
//
// Prints the peak resident set size (getrusage maxRSS) before and after `computeLungMask`, the
// growth per voxel, and what the result itself holds (two Uint8 masks: 2 bytes per voxel, not
// all resident: pages never written stay unmapped). `--json` prints one JSON object instead
// (src/core/lung/lung-memory.test.ts runs it on a smaller volume and asserts the bound).
import { computeLungMask, syntheticChest } from '../src/core/lung/index.js';
import { Volume } from '../src/core/volume/volume.js';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const MB = 1024 * 1024;
const slices = arg('slices', 100);
const repeat = arg('repeat', 10);

const chest = syntheticChest({ dimensions: [512, 512, slices], spacingMm: [0.78, 0.78, 300 / slices], z0Mm: -40, noiseHu: 15 });
const [nx, ny] = chest.volume.dimensions;
const plane = nx * ny;
const nz = slices * repeat;
const voxels = new Int16Array(plane * nz);
for (let k = 0; k < nz; k++) voxels.set(chest.volume.voxels.subarray(Math.floor(k / repeat) * plane, (Math.floor(k / repeat) + 1) * plane), k * plane);
const src = chest.volume;
const volume = Volume.create({
  dimensions: [nx, ny, nz], spacingMm: [src.spacingMm[0], src.spacingMm[1], src.spacingMm[2] / repeat],
  originLps: src.originLps, direction: src.direction, voxels, units: 'HU',
});
// Drop the source chest (≈ 0.4 GB of voxels and truth) before measuring.
(chest as { volume: unknown }).volume = null;
globalThis.gc?.();

const rss = () => process.memoryUsage().rss / MB;
const peak = () => process.resourceUsage().maxRSS / 1024; // kB → MB
const before = { rss: rss(), peak: peak() };
const t0 = performance.now();
const r = computeLungMask(volume);
const seconds = (performance.now() - t0) / 1000;
const after = { rss: rss(), peak: peak() };
const n = volume.voxels.length;
if (process.argv.includes('--json')) {
  console.log(JSON.stringify({
    dimensions: [nx, ny, nz], voxels: n, status: r.status, lungVolumeMl: r.lungVolumeMl, seconds,
    peakRssBeforeMb: before.peak, peakRssAfterMb: after.peak, peakGrowthBytesPerVoxel: ((after.peak - before.peak) * MB) / n,
  }));
  process.exit(0);
}
console.log(`volume ${nx}×${ny}×${nz} (${(n / 1e6).toFixed(0)} M voxels, ${(volume.voxels.byteLength / MB).toFixed(0)} MB of HU)`);
console.log(`lung mask: ${r.status}, ${r.lungVolumeMl.toFixed(0)} mL, ${r.slicesWithLung} slices with lung, ${seconds.toFixed(1)} s`);
console.log(`  stages (ms): ${Object.entries(r.timingsMs).map(([k, v]) => `${k} ${v}`).join(', ')}`);
console.log(`peak RSS: ${before.peak.toFixed(0)} MB before, ${after.peak.toFixed(0)} MB after (+${(after.peak - before.peak).toFixed(0)} MB, ` +
  `${(((after.peak - before.peak) * MB) / n).toFixed(2)} bytes per voxel); RSS now ${after.rss.toFixed(0)} MB`);
console.log(`the result holds ${((r.mask.byteLength + r.dilatedMask.byteLength) / MB).toFixed(0)} MB (mask + dilated mask, 2 bytes per voxel)`);
