// Renders montage PNGs (lung-window axial slices at several levels, two mediastinal-window slices,
// and coronal + sagittal reformats resampled to square millimetres) of phantom cases or of real
// DICOM series, to judge the phantom against real scans by eye.
//
//   npx tsx scripts/render-montage.ts --seed S --count N --out DIR [--size 512] [--slices 60..160] [--truth] [--realism v1|v2]
//   npx tsx scripts/render-montage.ts --real DIR [DIR…] --out DIR
//
// `--truth` also writes `<case>-truth.png`: lesion truth tinted red, the lung mask outlined green.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PNG } from 'pngjs';
import { discover } from '../src/core/ingest/discover.js';
import { loadSeries } from '../src/core/ingest/load-series.js';
import { buildSeries } from '../src/core/ingest/series-builder.js';
import { IngestPool } from '../src/core/ingest/ingest-pool.js';
import type { DicomInstance } from '../src/core/dicom/header.js';
import { generateCase, planCases } from '../src/core/phantom/index.js';
import { Canvas, grey, parsePhantomArgs, type Rgb } from './render-helpers.js';

interface MontageInput {
  name: string;
  voxels: Int16Array;
  /** [columns, rows, slices] */
  dimensions: [number, number, number];
  spacingMm: [number, number, number];
  lesionMask?: Uint8Array;
  lungMask?: Uint8Array;
  caption: string;
}

const TILE = 256;
const COLUMNS = 4;
const LUNG = { width: 1500, level: -600 };
const MEDIASTINUM = { width: 400, level: 40 };

/** Draws one plane given as a sampler (u, v in [0,1)) into the canvas rectangle. */
function drawPlane(
  canvas: Canvas, x0: number, y0: number, w: number, h: number,
  sample: (u: number, v: number) => { hu: number; lesion: boolean; lung: boolean; lungEdge: boolean },
  window: { width: number; level: number }, truth: boolean,
): void {
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const s = sample((x + 0.5) / w, (y + 0.5) / h);
      const g = grey(s.hu, window);
      let rgb: Rgb = [g, g, g];
      if (truth && s.lesion) rgb = [Math.min(255, g + 110), Math.round(g * 0.55), Math.round(g * 0.55)];
      if (truth && s.lungEdge) rgb = [40, 220, 60];
      canvas.set(x0 + x, y0 + y, rgb);
    }
  }
}

/** A box-filtered sampler over an axial slice (in-plane) or a reformat (x or y fixed). */
function sampler(vol: MontageInput, plane: 'axial' | 'coronal' | 'sagittal', index: number, outW: number, outH: number) {
  const [nx, ny, nz] = vol.dimensions;
  const at = (i: number, j: number, k: number) => (k * ny + j) * nx + i;
  const footprint = plane === 'axial' ? Math.max(1, Math.floor(nx / outW)) : 1;
  const lung = vol.lungMask;
  return (u: number, v: number) => {
    let i: number, j: number, k: number;
    if (plane === 'axial') {
      i = Math.floor(u * nx); j = Math.floor(v * ny); k = index;
    } else if (plane === 'coronal') {
      i = Math.floor(u * nx); j = index; k = nz - 1 - Math.floor(v * nz);
    } else {
      i = index; j = Math.floor(u * ny); k = nz - 1 - Math.floor(v * nz);
    }
    let sum = 0;
    let count = 0;
    for (let dj = 0; dj < footprint; dj++) {
      for (let di = 0; di < footprint; di++) {
        const ii = Math.min(nx - 1, i - (i % footprint) + di);
        const jj = Math.min(ny - 1, j - (j % footprint) + dj);
        sum += vol.voxels[at(ii, jj, k)]!;
        count++;
      }
    }
    const idx = at(i, j, k);
    const inLung = lung ? lung[idx] === 1 : false;
    let edge = false;
    if (lung && inLung) {
      const step = footprint;
      edge = (i >= step && lung[idx - step] === 0) || (i + step < nx && lung[idx + step] === 0)
        || (plane === 'axial' && ((j >= step && lung[idx - step * nx] === 0) || (j + step < ny && lung[idx + step * nx] === 0)));
    }
    void outH;
    return { hu: sum / count, lesion: vol.lesionMask ? vol.lesionMask[idx] === 1 : false, lung: inLung, lungEdge: edge };
  };
}

/** Slices whose count of lung-like voxels is at least a tenth of the maximum: the lung extent. */
function lungExtent(vol: MontageInput): [number, number] {
  const [nx, ny, nz] = vol.dimensions;
  const counts: number[] = [];
  for (let k = 0; k < nz; k++) {
    let c = 0;
    const base = k * nx * ny;
    for (let j = Math.floor(ny * 0.2); j < ny * 0.8; j += 2) {
      for (let i = Math.floor(nx * 0.1); i < nx * 0.9; i += 2) {
        const v = vol.voxels[base + j * nx + i]!;
        if (v > -960 && v < -500) c++;
      }
    }
    counts.push(c);
  }
  const max = Math.max(...counts);
  let lo = counts.findIndex((c) => c >= max * 0.1);
  let hi = nz - 1 - [...counts].reverse().findIndex((c) => c >= max * 0.1);
  if (lo < 0) lo = 0;
  if (hi < lo) hi = nz - 1;
  return [lo, hi];
}

/** The row (y) or column (x) halfway across the lungs' extent in slice k, for the reformats. */
function lungCentre(vol: MontageInput, axis: 'x' | 'y', k: number): number {
  const [nx, ny] = vol.dimensions;
  const base = k * nx * ny;
  let lo = Infinity;
  let hi = -Infinity;
  for (let j = 0; j < ny; j++) {
    for (let i = 0; i < nx; i++) {
      const v = vol.voxels[base + j * nx + i]!;
      if (v > -960 && v < -500) {
        const c = axis === 'x' ? i : j;
        lo = Math.min(lo, c);
        hi = Math.max(hi, c);
      }
    }
  }
  return hi >= lo ? Math.round((lo + hi) / 2) : Math.floor((axis === 'x' ? nx : ny) / 2);
}

function renderMontage(vol: MontageInput, truth: boolean): PNG {
  const [nx, ny, nz] = vol.dimensions;
  const [sx, sy, sz] = vol.spacingMm;
  const [lo, hi] = lungExtent(vol);
  const fractions = [0.97, 0.85, 0.7, 0.55, 0.4, 0.25, 0.12, 0.02];
  const levels = fractions.map((f) => Math.round(lo + f * (hi - lo)));
  const mediastinal = [Math.round(lo + 0.62 * (hi - lo)), Math.round(lo + 0.3 * (hi - lo))];
  const tileH = Math.round((TILE * ny * sy) / (nx * sx));
  const fovX = nx * sx;
  const reformatW = (COLUMNS * TILE) / 2;
  const mmPerPx = fovX / reformatW;
  const reformatH = Math.max(16, Math.round((nz * sz) / mmPerPx));
  const sagW = Math.round((ny * sy) / mmPerPx);
  const rows = Math.ceil((levels.length + mediastinal.length) / COLUMNS);
  const canvas = new Canvas(COLUMNS * TILE, rows * tileH + reformatH);
  const tiles: { k: number; window: typeof LUNG }[] = [
    ...levels.map((k) => ({ k, window: LUNG })),
    ...mediastinal.map((k) => ({ k, window: MEDIASTINUM })),
  ];
  tiles.forEach(({ k, window }, n) => {
    const x0 = (n % COLUMNS) * TILE;
    const y0 = Math.floor(n / COLUMNS) * tileH;
    drawPlane(canvas, x0, y0, TILE, tileH, sampler(vol, 'axial', k, TILE, tileH), window, truth);
  });
  const mid = Math.round((lo + hi) / 2);
  const yRow = lungCentre(vol, 'y', mid);
  const xCol = Math.round(nx * 0.33);
  const top = rows * tileH;
  drawPlane(canvas, 0, top, reformatW, reformatH, sampler(vol, 'coronal', yRow, reformatW, reformatH), LUNG, truth);
  drawPlane(canvas, reformatW, top, Math.min(sagW, reformatW), reformatH, sampler(vol, 'sagittal', xCol, sagW, reformatH), LUNG, truth);
  return canvas.png;
}

function parseArgs(argv: string[]) {
  const own = { truth: false, realism: 'v1' as 'v1' | 'v2' };
  const args = parsePhantomArgs(argv, { seed: '1', count: 4, out: 'out/montage', size: 512, slices: undefined, real: [] }, (flag, next) => {
    if (flag === '--truth') own.truth = true;
    else if (flag === '--realism') own.realism = next() === 'v2' ? 'v2' : 'v1';
    else return false;
    return true;
  });
  return { ...args, ...own };
}

async function loadReal(paths: string[]): Promise<MontageInput[]> {
  const pool = new IngestPool(2);
  try {
    const { candidates } = await discover(paths);
    const dicom = candidates.filter((c) => c.kind === 'dicom').map((c) => c.path);
    const instances: DicomInstance[] = [];
    for (let i = 0; i < dicom.length; i += 16) {
      instances.push(...(await pool.call('readHeaders', { paths: dicom.slice(i, i + 16) })).instances);
    }
    const out: MontageInput[] = [];
    for (const plan of buildSeries(instances).plans) {
      const { loaded } = await loadSeries(plan, pool);
      if (!loaded || loaded.volume.dimensions[2] < 8) continue;
      const v = loaded.volume;
      out.push({
        name: path.basename(plan.folder) || 'series',
        voxels: v.voxels,
        dimensions: v.dimensions,
        spacingMm: v.spacingMm,
        caption: `${plan.seriesDescription} ${v.dimensions.join('x')} ${v.spacingMm.map((s) => s.toFixed(2)).join('x')} mm`,
      });
    }
    return out;
  } finally {
    await pool.close();
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  mkdirSync(args.out, { recursive: true });
  if (args.real.length) {
    for (const vol of await loadReal(args.real)) {
      const file = path.join(args.out, `real-${vol.name}.png`);
      writeFileSync(file, PNG.sync.write(renderMontage(vol, false)));
      console.log(`${file}: ${vol.caption}`);
    }
    return;
  }
  const specs = planCases({ count: args.count, seed: args.seed, size: args.size, realism: args.realism, ...(args.slices ? { slices: args.slices } : {}) });
  for (const spec of specs) {
    const t0 = performance.now();
    const c = generateCase(spec);
    const ms = performance.now() - t0;
    const vol: MontageInput = {
      name: spec.id,
      voxels: c.volume.voxels,
      dimensions: c.volume.dimensions,
      spacingMm: c.volume.spacingMm,
      lesionMask: c.lesionMask,
      lungMask: c.lungMask,
      caption: '',
    };
    const file = path.join(args.out, `${spec.id}.png`);
    writeFileSync(file, PNG.sync.write(renderMontage(vol, false)));
    if (args.truth) writeFileSync(path.join(args.out, `${spec.id}-truth.png`), PNG.sync.write(renderMontage(vol, true)));
    const positive = c.slicePositive.filter(Boolean).length;
    console.log(`${file}: ${spec.label} ${spec.covid ? `${spec.covid.findings.join('+')} extent ${spec.covid.extent.toFixed(2)}` : ''}`
      + ` confounders [${spec.confounders.join(', ')}] ${c.volume.dimensions.join('x')} ${spec.pixelSpacingMm.toFixed(2)}x${spec.sliceThicknessMm} mm`
      + ` noise ${spec.noiseHu.toFixed(0)} ${spec.kernel}${spec.v2 ? ` ${JSON.stringify(spec.v2)}` : ''}; positive slices ${positive}/${spec.slices}; ${ms.toFixed(0)} ms`);
  }
}

await main();
