// Renders previews of `lunglens phantom --background` output, to judge inserted lesions by eye
// against the real scan they were inserted into: for each case, the slices with the most lesion
// voxels (cropped to the lungs, at full resolution) as background | inserted | inserted with the
// truth outlined in red, in the lung window, and a coronal reformat of the background and the
// inserted case through the lesions.
//
//   npx tsx scripts/render-inserted.ts --in DIR --out DIR [--cases case-0001,case-0004] [--rows 3]
//   npx tsx scripts/render-inserted.ts --patterns --background PATH… --out DIR [--seed S]
//
// One PNG per case (`<case>.png`); a line per case with what was inserted. With --patterns, one
// PNG per COVID-19 pattern and stage (early ground glass … peak, organising), a row per
// background: its slice with the most lesion voxels, background | inserted | truth.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { IngestPool } from '../src/core/ingest/ingest-pool.js';
import { openLargestVolume } from '../src/core/ingest/open-volume.js';
import { loadBackground, makeCase, type Background, type CovidFinding, type InsertionSpec } from '../src/core/phantom/index.js';
import type { Volume } from '../src/core/volume/volume.js';
import { Canvas, grey, outlineOf, type Rgb } from './render-helpers.js';

const LUNG = { width: 1500, level: -600 };
const RED: Rgb = [255, 40, 40];
const LABEL_H = 20;

export interface PreviewInput {
  title: string;
  background: Volume;
  inserted: Volume;
  lesionMask: Uint8Array | null;
}

/** The in-plane box of voxels above −950 HU… below −300 HU (the lungs and their wall) in slice k. */
function lungBox(v: Volume, k: number): [number, number, number, number] {
  const [nx, ny] = v.dimensions;
  const s = v.slice(k);
  let i0 = nx, i1 = -1, j0 = ny, j1 = -1;
  for (let j = Math.floor(ny * 0.1); j < ny * 0.9; j++) {
    for (let i = Math.floor(nx * 0.05); i < nx * 0.95; i++) {
      const h = s[j * nx + i]!;
      if (h > -950 && h < -500) {
        if (i < i0) i0 = i;
        if (i > i1) i1 = i;
        if (j < j0) j0 = j;
        if (j > j1) j1 = j;
      }
    }
  }
  if (i1 < i0) return [0, nx - 1, 0, ny - 1];
  const m = 12;
  return [Math.max(0, i0 - m), Math.min(nx - 1, i1 + m), Math.max(0, j0 - m), Math.min(ny - 1, j1 + m)];
}

/** Slices to show: the `rows` with the most lesion voxels, at least a few slices apart. */
function pickSlices(p: PreviewInput, rows: number): number[] {
  const [nx, ny, nz] = p.inserted.dimensions;
  const counts = Array.from({ length: nz }, (_, k) => {
    if (!p.lesionMask) return 0;
    let c = 0;
    for (let q = k * nx * ny; q < (k + 1) * nx * ny; q++) c += p.lesionMask[q]!;
    return c;
  });
  const order = counts.map((c, k) => [c, k] as const).filter(([c]) => c > 0).sort((a, b) => b[0] - a[0]);
  const gap = Math.max(2, Math.round(nz / 12));
  const picked: number[] = [];
  for (const [, k] of order) {
    if (picked.every((q) => Math.abs(q - k) >= gap)) picked.push(k);
    if (picked.length === rows) break;
  }
  if (picked.length === 0) for (let r = 0; r < rows; r++) picked.push(Math.round(((r + 1) * nz) / (rows + 1)));
  return picked.sort((a, b) => b - a);
}

/**
 * Slice k cropped to `box` (cw × ch pixels a panel) at row y0 of the canvas: background | inserted |
 * inserted with the truth outlined in red, in the lung window.
 */
function drawAxialRow(canvas: Canvas, p: PreviewInput, k: number, box: [number, number, number, number], cw: number, ch: number, y0: number): void {
  const [nx, ny] = p.inserted.dimensions;
  const [i0, , j0] = box;
  const outline = p.lesionMask ? outlineOf(p.lesionMask, nx, ny, k * nx * ny) : null;
  for (let panel = 0; panel < 3; panel++) {
    const s = (panel === 0 ? p.background : p.inserted).slice(k);
    for (let y = 0; y < ch; y++) {
      for (let x = 0; x < cw; x++) {
        const i = i0 + x;
        const j = j0 + y;
        if (i >= nx || j >= ny) continue;
        const g = grey(s[j * nx + i]!, LUNG);
        canvas.set(panel * (cw + 4) + x, y0 + y, panel === 2 && outline?.[j * nx + i] ? RED : [g, g, g]);
      }
    }
  }
}

export function renderPreview(p: PreviewInput, rows = 3): Canvas {
  const [nx, ny, nz] = p.inserted.dimensions;
  const [sx, , sz] = p.inserted.spacingMm;
  const slices = pickSlices(p, rows);
  const boxes = slices.map((k) => lungBox(p.background, k));
  const cw = Math.max(...boxes.map((b) => b[1] - b[0] + 1));
  const ch = Math.max(...boxes.map((b) => b[3] - b[2] + 1));
  // Coronal: width cw (the same crop in x), height from the z extent in mm at sx per pixel.
  const coronalH = Math.round((nz * sz) / sx);
  const width = 3 * cw + 8;
  const height = LABEL_H + slices.length * (ch + 4) + coronalH + 4;
  const canvas = new Canvas(width, height);
  canvas.text(4, 4, p.title.slice(0, Math.floor(width / 12)), [255, 255, 255], 2);
  slices.forEach((k, r) => {
    const y0 = LABEL_H + r * (ch + 4);
    drawAxialRow(canvas, p, k, boxes[r]!, cw, ch, y0);
    canvas.text(4, y0 + 4, `k${k}`, [255, 220, 0], 2);
  });
  // Coronal reformats (background, inserted) through the row with the most lesion voxels.
  let bestRow = Math.floor(ny / 2);
  if (p.lesionMask) {
    let best = -1;
    for (let j = 0; j < ny; j++) {
      let c = 0;
      for (let k = 0; k < nz; k++) for (let i = 0; i < nx; i++) c += p.lesionMask[(k * ny + j) * nx + i]!;
      if (c > best) {
        best = c;
        bestRow = j;
      }
    }
  }
  const [i0] = boxes[0]!;
  const top = LABEL_H + slices.length * (ch + 4);
  for (let panel = 0; panel < 2; panel++) {
    const vol = panel === 0 ? p.background : p.inserted;
    for (let y = 0; y < coronalH; y++) {
      const k = nz - 1 - Math.min(nz - 1, Math.floor((y * sx) / sz));
      for (let x = 0; x < cw; x++) {
        const i = i0 + x;
        if (i >= nx) continue;
        const g = grey(vol.voxels[(k * ny + bestRow) * nx + i]!, LUNG);
        canvas.set(panel * (cw + 4) + x, top + y, [g, g, g]);
      }
    }
  }
  return canvas;
}

/** One row per background: the slice with the most lesion voxels, background | inserted | truth. */
export function renderRows(title: string, rows: PreviewInput[]): Canvas {
  const picked = rows.map((r) => {
    const k = pickSlices(r, 1)[0]!;
    return { r, k, box: lungBox(r.background, k) };
  });
  const cw = Math.max(...picked.map((p) => p.box[1] - p.box[0] + 1));
  const ch = Math.max(...picked.map((p) => p.box[3] - p.box[2] + 1));
  const canvas = new Canvas(3 * cw + 8, LABEL_H + picked.length * (ch + 4));
  canvas.text(4, 4, title.slice(0, Math.floor((3 * cw) / 12)), [255, 255, 255], 2);
  picked.forEach(({ r, k, box }, n) => {
    const y0 = LABEL_H + n * (ch + 4);
    drawAxialRow(canvas, r, k, box, cw, ch, y0);
    canvas.text(4, y0 + 4, `${r.title} k${k}`.slice(0, Math.floor(cw / 12)), [255, 220, 0], 2);
  });
  return canvas;
}

/** The patterns and stages shown by --patterns. */
const PATTERNS: { name: string; findings: CovidFinding[]; extent: number }[] = [
  { name: 'early-ground-glass', findings: ['ground-glass'], extent: 0.12 },
  { name: 'ground-glass', findings: ['ground-glass'], extent: 0.55 },
  { name: 'crazy-paving', findings: ['ground-glass', 'crazy-paving'], extent: 0.6 },
  { name: 'consolidation', findings: ['ground-glass', 'consolidation'], extent: 0.7 },
  { name: 'peak-mixed', findings: ['ground-glass', 'crazy-paving', 'consolidation'], extent: 0.95 },
  { name: 'organizing', findings: ['ground-glass', 'organizing'], extent: 0.5 },
];

async function patterns(backgroundPaths: string[], out: string, seed: string): Promise<void> {
  const pool = new IngestPool(2);
  const backgrounds: Background[] = [];
  try {
    for (const p of backgroundPaths) {
      const b = await loadBackground(p, backgrounds.length, pool);
      if ('volume' in b) backgrounds.push(b);
      else console.log(`skipped ${p}: ${b.message}`);
    }
  } finally {
    await pool.close();
  }
  for (const [n, pattern] of PATTERNS.entries()) {
    const rows: PreviewInput[] = backgrounds.map((bg, b) => {
      const spec: InsertionSpec = { id: pattern.name, seed: n * 1000 + b + seed.length, label: 'covid', background: b, covid: { findings: pattern.findings, extent: pattern.extent } };
      const made = makeCase(spec, bg);
      const [nx, ny, nz] = bg.volume.dimensions;
      const lesionMask = new Uint8Array(nx * ny * nz);
      for (let q = 0; q < lesionMask.length; q++) if (made.volume.voxels[q]! - bg.volume.voxels[q]! >= 100) lesionMask[q] = 1;
      return { title: `${path.basename(bg.path)} ${bg.sliceThicknessMm}mm`, background: bg.volume, inserted: made.volume, lesionMask };
    });
    const file = path.join(out, `${String(n + 1).padStart(2, '0')}-${pattern.name}.png`);
    writeFileSync(file, renderRows(`${pattern.name}: ${pattern.findings.join('+')} extent ${pattern.extent}`, rows).toPng());
    console.log(file);
  }
}

interface LabelsFile {
  cases: { id: string; label: string; path: string; background?: { path: string }; insertion?: { findings: string[]; extent: number } | null }[];
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const arg = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const dir = arg('--in');
  const out = arg('--out');
  if (out && argv.includes('--patterns')) {
    mkdirSync(out, { recursive: true });
    const i = argv.indexOf('--background');
    const paths: string[] = [];
    for (let j = i + 1; i >= 0 && j < argv.length && !argv[j]!.startsWith('--'); j++) paths.push(argv[j]!);
    await patterns(paths, out, arg('--seed') ?? 'preview');
    return;
  }
  if (!dir || !out) throw new Error('usage: --in DIR --out DIR [--cases a,b] [--rows N] | --patterns --background PATH… --out DIR');
  const only = arg('--cases')?.split(',');
  const rows = Number(arg('--rows') ?? 3);
  mkdirSync(out, { recursive: true });
  const labels = JSON.parse(readFileSync(path.join(dir, 'labels.json'), 'utf8')) as LabelsFile & { generator: { backgrounds?: { path: string }[] } };
  const backgrounds = new Map<string, Volume>();
  for (const c of labels.cases) {
    if (only && !only.includes(c.id)) continue;
    if (!c.background) continue;
    let bg = backgrounds.get(c.background.path);
    if (!bg) {
      bg = (await openLargestVolume([c.background.path])).series!.volume;
      backgrounds.set(c.background.path, bg);
    }
    const inserted = (await openLargestVolume([path.join(dir, c.path)])).series!.volume;
    const [nx, ny, nz] = inserted.dimensions;
    // The truth is the voxels the insertion raised by at least the threshold: what differs enough.
    const lesionMask = new Uint8Array(nx * ny * nz);
    const threshold = (labels.generator as { truth?: { lesionThresholdHu?: number } }).truth?.lesionThresholdHu ?? 100;
    for (let q = 0; q < lesionMask.length; q++) if (inserted.voxels[q]! - bg.voxels[q]! >= threshold) lesionMask[q] = 1;
    const what = c.insertion ? `${c.insertion.findings.join('+')} extent ${c.insertion.extent}` : 'negative';
    const title = `${c.id} ${c.label} ${what} | ${path.basename(c.background.path)}`;
    const file = path.join(out, `${c.id}.png`);
    writeFileSync(file, renderPreview({ title, background: bg, inserted, lesionMask }, rows).toPng());
    console.log(`${file}: ${title}`);
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) await main();
