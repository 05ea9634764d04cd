// Renders the enhancement grid of the README (paper Fig. 7's intent: lung detail brought out, bone
// suppressed): one row per slice — real chest CT from ../shared/data/chest-ct and phantom slices —
// and three columns: the original in the lung window, the tone mapping (paper Eq. 5) and the
// stochastic enhancement at the paper's parameters, each computed on the whole slice with the
// public functions `lunglens enhance` uses (windowHu, toneMap, enhanceStochastic), then cropped
// to the chest for the picture.
//
//   npx tsx scripts/render-enhancement-grid.ts [--out docs/images/enhancement-grid.jpg]
//       [--chains 20] [--samples 250] [--gain 10] [--tone-window LOW,HIGH] [--tile 400] [--max-kb 400]
//
// The tone mapping reads the lung-windowed slice, as `lunglens enhance` does; `--tone-window`
// feeds it another window instead (e.g. −1000,400) to compare.
// The stochastic enhancement takes ≈ 25 s per 512² slice on two cores: about 2–3 min in all.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_STOCHASTIC, enhanceStochastic, type StochasticParams } from '../src/core/enhance/stochastic.js';
import { DEFAULT_TONE_MAP, LUNG_WINDOW, toneMap, windowHu } from '../src/core/enhance/tone-map.js';
import { openLargestVolume } from '../src/core/ingest/open-volume.js';
import { computeLungMask } from '../src/core/lung/index.js';
import { generateCase, planCases } from '../src/core/phantom/index.js';
import type { Volume } from '../src/core/volume/volume.js';
import { Canvas, textWidth } from './render-helpers.js';

const DATA = path.resolve('../shared/data/chest-ct');
const HEADER_H = 44;
const LABEL_H = 22;
const GAP = 4;

interface Row {
  label: string;
  volume: Volume;
  k: number;
  /** Crop [x0, y0, x1, y1) in voxels (the chest, from the dilated lung mask grown by 25 mm). */
  crop: [number, number, number, number];
}

function parseArgs(argv: string[]) {
  const args = {
    out: 'docs/images/enhancement-grid.jpg', chains: DEFAULT_STOCHASTIC.chains, samples: DEFAULT_STOCHASTIC.samples, gain: DEFAULT_TONE_MAP.gain,
    toneWindow: null as [number, number] | null, tile: 400, maxKb: 400,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = () => argv[++i] ?? '';
    if (a === '--out') args.out = next();
    else if (a === '--chains') args.chains = Number(next());
    else if (a === '--samples') args.samples = Number(next());
    else if (a === '--gain') args.gain = Number(next());
    else if (a === '--tone-window') args.toneWindow = next().split(',').map(Number) as [number, number];
    else if (a === '--tile') args.tile = Number(next());
    else if (a === '--max-kb') args.maxKb = Number(next());
    else throw new Error(`unknown argument ${a}`);
  }
  return args;
}

/** Slice at `fraction` of the lungs' craniocaudal extent (0 = lowest lung slice), and the chest's crop there. */
function pick(label: string, volume: Volume, fraction: number): Row {
  const r = computeLungMask(volume);
  if (r.status !== 'ok') throw new Error(`${label}: no lung (${r.reason ?? r.status})`);
  const [nx, ny, nz] = volume.dimensions;
  const [sx, sy] = volume.spacingMm;
  const withLung = [...Array(nz).keys()].filter((k) => r.sliceAreaMm2[k]! > 0);
  const k = withLung[Math.round(fraction * (withLung.length - 1))]!;
  let x0 = nx;
  let x1 = 0;
  let y0 = ny;
  let y1 = 0;
  for (let y = 0; y < ny; y++) {
    for (let x = 0; x < nx; x++) {
      if (!r.dilatedMask[(k * ny + y) * nx + x]) continue;
      x0 = Math.min(x0, x);
      x1 = Math.max(x1, x + 1);
      y0 = Math.min(y0, y);
      y1 = Math.max(y1, y + 1);
    }
  }
  const mx = Math.round(25 / sx);
  const my = Math.round(25 / sy);
  return { label: `${label}, slice ${k} of ${nz}`, volume, k, crop: [Math.max(0, x0 - mx), Math.max(0, y0 - my), Math.min(nx, x1 + mx), Math.min(ny, y1 + my)] };
}

/** Box-filtered (shrinking) or bilinear (enlarging) resampling of a crop of an image in [0, 1] into a w×h grey tile. */
function drawTile(canvas: Canvas, left: number, top: number, w: number, h: number, values: Float32Array, nx: number, [cx0, cy0, cx1, cy1]: Row['crop']): void {
  const fx = (cx1 - cx0) / w;
  const fy = (cy1 - cy0) / h;
  for (let ty = 0; ty < h; ty++) {
    for (let tx = 0; tx < w; tx++) {
      const ax = cx0 + tx * fx;
      const ay = cy0 + ty * fy;
      let sum = 0;
      let n = 0;
      for (let y = Math.floor(ay); y < Math.max(Math.floor(ay) + 1, Math.ceil(ay + fy)); y++) {
        for (let x = Math.floor(ax); x < Math.max(Math.floor(ax) + 1, Math.ceil(ax + fx)); x++) {
          sum += values[Math.min(cy1 - 1, y) * nx + Math.min(cx1 - 1, x)]!;
          n++;
        }
      }
      const g = Math.round(Math.min(1, Math.max(0, sum / n)) * 255);
      canvas.set(left + tx, top + ty, [g, g, g]);
    }
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const stochastic: Partial<StochasticParams> = { chains: args.chains, samples: args.samples };
  const rows: Row[] = [];

  const acrin = await openLargestVolume([path.join(DATA, 'acrin_flt_breast/axial_root')]);
  const fused = await openLargestVolume([path.join(DATA, 'lung_fused_ct_pathology_series/data')]);
  if (!acrin.series || !fused.series) throw new Error(`the real series are not under ${DATA}`);
  rows.push(pick('real: ACRIN-FLT-Breast low-dose PET/CT, 1.37 mm, 4 mm slices', acrin.series.volume, 0.62));
  rows.push(pick('real: ACRIN-FLT-Breast, lower chest: heart, domes of the diaphragm', acrin.series.volume, 0.3));
  rows.push(pick('real: lung cancer collection, upper lungs, 0.76 mm, 1 mm', fused.series.volume, 0.35));

  const specs = planCases({ count: 8, seed: 'enhancement-grid', size: 512, slices: [100, 140] });
  const covid = specs.find((s) => s.label === 'covid' && (s.covid?.extent ?? 0) > 0.4)!;
  const other = specs.find((s) => s.label === 'non-covid')!;
  for (const spec of [covid, other]) {
    const c = generateCase(spec);
    const what = spec.covid ? `COVID-19 ${spec.covid.findings.join(' + ')}, extent ${spec.covid.extent.toFixed(2)}` : `non-COVID${spec.confounders.length ? `, ${spec.confounders.join(' + ')}` : ''}`;
    const row = pick(`phantom: ${what}, ${spec.pixelSpacingMm.toFixed(2)} mm, ${spec.sliceThicknessMm} mm`, c.volume, 0.45);
    if (spec.covid) {
      // The slice with the most lesion voxels, so that the opacities show.
      const most = c.lesionVoxelsPerSlice.reduce((best, n, k) => (n > c.lesionVoxelsPerSlice[best]! ? k : best), 0);
      rows.push({ ...row, k: most, label: row.label.replace(/slice \d+/, `slice ${most}`) });
    } else {
      rows.push(row);
    }
  }

  // Panels: the three images per row, each on the whole slice.
  const panels: Float32Array[][] = [];
  for (const row of rows) {
    const [w, h] = row.volume.dimensions;
    const windowed = windowHu(row.volume.slice(row.k), LUNG_WINDOW.centreHu, LUNG_WINDOW.widthHu);
    const tw = args.toneWindow;
    const toned = toneMap(tw ? windowHu(row.volume.slice(row.k), (tw[0] + tw[1]) / 2, tw[1] - tw[0]) : windowed, { gain: args.gain });
    const started = Date.now();
    const enhanced = await enhanceStochastic(windowed, w, h, stochastic);
    console.log(`${row.label}: stochastic ${((Date.now() - started) / 1000).toFixed(1)} s`);
    panels.push([windowed, toned, enhanced]);
  }

  const tile = args.tile;
  const heights = rows.map((r) => {
    const [cx0, cy0, cx1, cy1] = r.crop;
    const [sx, sy] = r.volume.spacingMm;
    return Math.round((tile * (cy1 - cy0) * sy) / ((cx1 - cx0) * sx));
  });
  const width = 3 * tile + 2 * GAP;
  const height = HEADER_H + heights.reduce((s, h) => s + LABEL_H + h + GAP, 0);
  const canvas = new Canvas(width, height);
  const p = { ...DEFAULT_STOCHASTIC, ...stochastic };
  const t = { ...DEFAULT_TONE_MAP, gain: args.gain };
  const titles = [
    ['original', `lung window ${LUNG_WINDOW.centreHu}/${LUNG_WINDOW.widthHu} HU`],
    ['tone mapped (Eq. 5)', `${args.toneWindow ? `window ${args.toneWindow.join('…')} HU, ` : ''}γ ${t.gamma}, a ${t.centre}, gain ${t.gain}`],
    ['stochastic', `n ${p.chains}, M ${p.samples}, σI ${p.sigmaIntensity}, σg ${p.sigmaGradient}, K ${p.gain}`],
  ];
  titles.forEach(([title, detail], c) => {
    const x = c * (tile + GAP);
    canvas.text(x + (tile - textWidth(title!, 2)) / 2, 4, title!, [255, 255, 255], 2);
    canvas.text(x + (tile - textWidth(detail!, 1)) / 2, 26, detail!, [190, 190, 190], 1);
  });
  let y = HEADER_H;
  rows.forEach((row, i) => {
    canvas.text(4, y + 4, row.label, [255, 210, 80], 2);
    y += LABEL_H;
    for (let c = 0; c < 3; c++) drawTile(canvas, c * (tile + GAP), y, tile, heights[i]!, panels[i]![c]!, row.volume.dimensions[0], row.crop);
    y += heights[i]! + GAP;
  });

  mkdirSync(path.dirname(path.resolve(args.out)), { recursive: true });
  let bytes: Buffer;
  if (args.out.endsWith('.png')) {
    bytes = canvas.toPng();
  } else {
    let quality = 90;
    do {
      bytes = canvas.toJpeg(quality);
      quality -= 5;
    } while (bytes.length > args.maxKb * 1024 && quality >= 40);
    console.log(`JPEG quality ${quality + 5}`);
  }
  writeFileSync(args.out, bytes);
  console.log(`${args.out}: ${width}×${height}, ${(bytes.length / 1024).toFixed(0)} KB`);
}

await main();
