// Renders the lung mask over the CT, to judge it by eye: axial slices in the lung window across
// the mask's extent (plus one below it, where bowel gas would be, and one above it), a coronal
// and a sagittal reformat. Outlines: yellow = the mask before dilation (what `lunglens mask`
// writes), cyan = the dilated mask (what the model sees), green = the phantom's lung truth.
//
//   npx tsx scripts/render-lung-overlay.ts --real PATH [PATH…] --out DIR
//   npx tsx scripts/render-lung-overlay.ts --seed S --count N [--size 256] [--slices 40..90] --out DIR
//   … [--options '{"hullMaxRatio":1.5}']   (any LungMaskOptions, to compare settings)
//
// Each real PATH is opened like the CLI does (the largest series under it); one PNG per volume,
// and a line per volume with the status, the lung volume and (phantoms) Dice and coverage.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { openLargestVolume } from '../src/core/ingest/open-volume.js';
import { computeLungMask, type LungMaskOptions, type LungMaskResult } from '../src/core/lung/index.js';
import { dice, fractionHeld } from '../src/core/lung/index.js';
import { generateCase, planCases } from '../src/core/phantom/index.js';
import type { Volume } from '../src/core/volume/volume.js';
import { Canvas, grey, outlineOf, parsePhantomArgs, type Rgb } from './render-helpers.js';

const TILE = 256;
const COLUMNS = 5;
const LABEL_H = 22;
const LUNG = { width: 1500, level: -600 };
const MASK: Rgb = [255, 220, 0];
const DILATED: Rgb = [0, 200, 255];
const TRUTH: Rgb = [40, 220, 60];

interface Layer {
  mask: Uint8Array;
  rgb: Rgb;
}

/** Draws a plane given as a voxel-index sampler into a w×h rectangle, with the layers' outlines. */
function drawPlane(canvas: Canvas, x0: number, y0: number, w: number, h: number, voxels: Int16Array, at: (u: number, v: number) => number, footprint: (u: number, v: number) => number[], layers: Layer[]): void {
  const index = new Int32Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const u = (x + 0.5) / w;
      const v = (y + 0.5) / h;
      index[y * w + x] = at(u, v);
      let sum = 0;
      const cells = footprint(u, v);
      for (const i of cells) sum += voxels[i]!;
      const g = grey(sum / cells.length, LUNG);
      canvas.set(x0 + x, y0 + y, [g, g, g]);
    }
  }
  for (const layer of layers) {
    const sampled = new Uint8Array(w * h);
    for (let i = 0; i < sampled.length; i++) sampled[i] = layer.mask[index[i]!] ? 1 : 0;
    const edge = outlineOf(sampled, w, h);
    for (let i = 0; i < edge.length; i++) if (edge[i]) canvas.set(x0 + (i % w), y0 + Math.floor(i / w), layer.rgb);
  }
}

function render(volume: Volume, r: LungMaskResult, truth: Uint8Array | undefined, title: string): Canvas {
  const [nx, ny, nz] = volume.dimensions;
  const [sx, sy, sz] = volume.spacingMm;
  const layers: Layer[] = [
    ...(truth ? [{ mask: truth, rgb: TRUTH }] : []),
    { mask: r.dilatedMask, rgb: DILATED },
    { mask: r.mask, rgb: MASK },
  ];
  const withLung = [...r.sliceAreaMm2.keys()].filter((k) => r.sliceAreaMm2[k]! > 0);
  const lo = withLung[0] ?? 0;
  const hi = withLung[withLung.length - 1] ?? nz - 1;
  const below = Math.max(0, lo - Math.max(1, Math.round(30 / sz)));
  const above = Math.min(nz - 1, hi + Math.max(1, Math.round(15 / sz)));
  const fractions = [0.97, 0.85, 0.72, 0.6, 0.48, 0.36, 0.24, 0.12, 0.03];
  const levels = [above, ...fractions.map((f) => Math.round(lo + f * (hi - lo))), below];
  // Axial tiles show the lungs' box (over all slices) grown by 40 mm, the whole slice when no lung.
  const box = maskBox(r.dilatedMask, nx, ny, nz);
  const grow = (v: number, s: number) => Math.round(v / s);
  const bx0 = box ? Math.max(0, box[0] - grow(40, sx)) : 0;
  const bx1 = box ? Math.min(nx, box[1] + grow(40, sx)) : nx;
  const by0 = box ? Math.max(0, box[2] - grow(40, sy)) : 0;
  const by1 = box ? Math.min(ny, box[3] + grow(40, sy)) : ny;
  const cw = bx1 - bx0;
  const chh = by1 - by0;
  const tileH = Math.round((TILE * chh * sy) / (cw * sx));
  const rows = Math.ceil(levels.length / COLUMNS);
  const mmPerPx = (nx * sx) / ((COLUMNS * TILE) / 2);
  const reformatH = Math.max(16, Math.round((nz * sz) / mmPerPx));
  const top = LABEL_H + rows * (tileH + LABEL_H);
  const canvas = new Canvas(COLUMNS * TILE, top + LABEL_H + reformatH);
  canvas.text(4, 4, title, [255, 255, 255], 2);
  const plane = nx * ny;
  const step = Math.max(1, Math.floor(cw / TILE));
  levels.forEach((k, n) => {
    const x0 = (n % COLUMNS) * TILE;
    const y0 = LABEL_H + Math.floor(n / COLUMNS) * (tileH + LABEL_H);
    const ix = (u: number) => bx0 + Math.min(cw - 1, Math.floor(u * cw));
    const iy = (v: number) => by0 + Math.min(chh - 1, Math.floor(v * chh));
    drawPlane(canvas, x0, y0 + LABEL_H, TILE, tileH, volume.voxels,
      (u, v) => k * plane + iy(v) * nx + ix(u),
      (u, v) => {
        const cells: number[] = [];
        const bx = ix(u) - ((ix(u) - bx0) % step);
        const by = iy(v) - ((iy(v) - by0) % step);
        for (let dy = 0; dy < step; dy++) for (let dx = 0; dx < step; dx++) cells.push(k * plane + Math.min(by1 - 1, by + dy) * nx + Math.min(bx1 - 1, bx + dx));
        return cells;
      }, layers);
    const area = r.sliceAreaMm2[k]! / 100;
    const where = k < lo ? ' (below)' : k > hi ? ' (above)' : '';
    canvas.text(x0 + 4, y0 + 4, `k ${k}  ${area.toFixed(0)} cm²${where}`, [220, 220, 220], 2);
  });
  // Coronal through the mask's centre of mass in y, sagittal through the right lung's centre.
  let sumY = 0;
  let n = 0;
  for (let i = 0; i < r.mask.length; i += 7) if (r.mask[i]) { sumY += Math.floor(i / nx) % ny; n++; }
  const yRow = n ? Math.round(sumY / n) : Math.floor(ny / 2);
  const xCol = Math.round(nx * 0.32);
  const w = (COLUMNS * TILE) / 2;
  const flipK = (v: number) => nz - 1 - Math.min(nz - 1, Math.floor(v * nz));
  canvas.text(4, top + 4, `coronal y ${yRow}`, [220, 220, 220], 2);
  drawPlane(canvas, 0, top + LABEL_H, w, reformatH, volume.voxels,
    (u, v) => flipK(v) * plane + yRow * nx + Math.min(nx - 1, Math.floor(u * nx)),
    (u, v) => [flipK(v) * plane + yRow * nx + Math.min(nx - 1, Math.floor(u * nx))], layers);
  const sagW = Math.min(w, Math.round((ny * sy) / mmPerPx));
  canvas.text(w + 4, top + 4, `sagittal x ${xCol}`, [220, 220, 220], 2);
  drawPlane(canvas, w, top + LABEL_H, sagW, reformatH, volume.voxels,
    (u, v) => flipK(v) * plane + Math.min(ny - 1, Math.floor(u * ny)) * nx + xCol,
    (u, v) => [flipK(v) * plane + Math.min(ny - 1, Math.floor(u * ny)) * nx + xCol], layers);
  return canvas;
}

/** [xmin, xmax + 1, ymin, ymax + 1] of the mask over all slices, or null when it is empty. */
function maskBox(mask: Uint8Array, nx: number, ny: number, nz: number): [number, number, number, number] | null {
  let x0 = nx;
  let x1 = 0;
  let y0 = ny;
  let y1 = 0;
  for (let k = 0; k < nz; k++) {
    for (let y = 0; y < ny; y++) {
      const row = (k * ny + y) * nx;
      for (let x = 0; x < nx; x++) {
        if (!mask[row + x]) continue;
        if (x < x0) x0 = x;
        if (x >= x1) x1 = x + 1;
        if (y < y0) y0 = y;
        if (y >= y1) y1 = y + 1;
      }
    }
  }
  return x1 > x0 ? [x0, x1, y0, y1] : null;
}

function parseArgs(argv: string[]) {
  let options: Partial<LungMaskOptions> = {};
  const args = parsePhantomArgs(argv, { seed: '1', count: 4, out: 'out/lung-overlay', size: 256, slices: [40, 90], real: [] }, (flag, next) => {
    if (flag !== '--options') return false;
    options = JSON.parse(next()) as Partial<LungMaskOptions>;
    return true;
  });
  return { ...args, options };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  mkdirSync(args.out, { recursive: true });
  const write = (name: string, canvas: Canvas) => {
    const file = path.join(args.out, `${name}.png`);
    writeFileSync(file, canvas.toPng());
    return file;
  };
  for (const input of args.real) {
    const opened = await openLargestVolume([input]);
    if (!opened.series) {
      console.log(`${input}: no usable series`);
      continue;
    }
    const { volume } = opened.series;
    const r = computeLungMask(volume, args.options);
    const name = input.split(path.sep).filter((s) => s && !['data', 'tests', 'reference_files'].includes(s)).slice(-2).join('-').replace(/\.nii(\.gz)?$/, '');
    const summary = `${r.status} ${r.lungVolumeMl.toFixed(0)} mL, ${r.lungCount} lung(s), ${r.slicesWithLung}/${volume.dimensions[2]} slices`;
    const title = `${name}  ${volume.dimensions.join('x')}  ${volume.spacingMm.map((s) => s.toFixed(2)).join('x')} mm  ${summary}`;
    console.log(`${write(`real-${name}`, render(volume, r, undefined, title))}: ${title}${r.reason ? ` — ${r.reason}` : ''}`);
  }
  if (args.real.length) return;
  for (const spec of planCases({ count: args.count, seed: args.seed, size: args.size, ...(args.slices ? { slices: args.slices } : {}) })) {
    const c = generateCase(spec);
    const r = computeLungMask(c.volume, args.options);
    const stats = `Dice ${dice(r.mask, c.lungMask).toFixed(3)}, coverage ${(100 * fractionHeld(r.dilatedMask, c.lungMask)).toFixed(2)}%`;
    const title = `${spec.id} ${spec.label} ${spec.pixelSpacingMm.toFixed(2)}x${spec.sliceThicknessMm} mm noise ${spec.noiseHu.toFixed(0)}  ${r.status} ${r.lungVolumeMl.toFixed(0)} mL  ${stats}`;
    console.log(`${write(spec.id, render(c.volume, r, c.lungMask, title))}: ${title}`);
  }
}

await main();
