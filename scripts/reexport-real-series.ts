// Re-exports every real series under the given folders as an 8-bit PNG stack in a lung window
// (into a temporary folder, removed at the end: real data never leaves ../shared/data), reads it
// back as an uncalibrated image stack and prints, per series, how far the recognised window, the
// estimated spacing and the lung mask are from what the DICOM/NIfTI headers and HU say.
//
//   npx tsx scripts/reexport-real-series.ts [--window C,W] [--json] [--keep DIR] PATH...
//   (default: ../shared/data/chest-ct, window -600,1500; --keep writes the stacks into DIR, outside
//   the project, for `lunglens scan DIR` — delete it afterwards: it is real data)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readImageStack } from '../src/core/formats/index.js';
import { inspectPaths } from '../src/core/ingest/inspect.js';
import { computeLungMask } from '../src/core/lung/index.js';
import { writePngStack } from '../src/core/phantom/index.js';
import { sharedData } from '../src/core/testing/shared-data.js';
import type { Volume } from '../src/core/volume/volume.js';

const args = process.argv.slice(2);
const json = args.includes('--json');
const w = args.indexOf('--window');
const [centre, width] = w >= 0 ? args[w + 1]!.split(',').map(Number) as [number, number] : [-600, 1500];
const k = args.indexOf('--keep');
const keep = k >= 0 ? path.resolve(args[k + 1]!) : null;
const paths = args.filter((a, i) => !a.startsWith('--') && (w < 0 || i !== w + 1) && (k < 0 || i !== k + 1));
const inputs = paths.length ? paths : [sharedData('chest-ct')];
const low = centre - width / 2;
const high = centre + width / 2;

interface Row {
  series: string;
  slices: number;
  rendering: string;
  window: string;
  meanHuError: number;
  lungAgreement: number;
  pixelMm: [number, number];
  pixelError: number;
  sliceMm: [number, number];
  sliceError: number;
  contiguous: boolean;
  lungMl: { truth: number | null; png: number | null; pngTrueSpacing: number | null };
  status: string;
}

const rows: Row[] = [];
const scratch = keep ?? mkdtempSync(path.join(tmpdir(), 'lunglens-reexport-'));
const pct = (a: number, b: number) => Math.round((a / b - 1) * 1000) / 10;
try {
  let n = 0;
  await inspectPaths(inputs, {
    onVolume: async (summary, volume) => {
      const folder = path.join(scratch, `series-${++n}`);
      const files = await writePngStack(volume, folder, { window: { centreHu: centre, widthHu: width } });
      const read = await readImageStack(files);
      const png = read.volume;
      const truthMask = computeLungMask(volume);
      const pngMask = computeLungMask(png);
      const respaced = png.respaced(volume.spacingMm, { source: 'given' });
      const pngTrueMask = computeLungMask(respaced);
      rows.push({
        series: path.relative(sharedData('chest-ct'), summary.path) || summary.path,
        slices: volume.dimensions[2],
        rendering: png.assumedWindow?.basis?.rendering ?? '?',
        window: `${png.assumedWindow?.lowHu}…${png.assumedWindow?.highHu}`,
        ...huErrors(volume, png, truthMask.mask),
        pixelMm: [round(png.spacingMm[0]), round(volume.spacingMm[0])],
        pixelError: pct(png.spacingMm[0], volume.spacingMm[0]),
        sliceMm: [round(png.spacingMm[2]), round(volume.spacingMm[2])],
        sliceError: pct(png.spacingMm[2], volume.spacingMm[2]),
        contiguous: png.contiguous,
        lungMl: {
          truth: truthMask.status === 'ok' ? Math.round(truthMask.lungVolumeMl) : null,
          png: pngMask.status === 'ok' ? Math.round(pngMask.lungVolumeMl) : null,
          pngTrueSpacing: pngTrueMask.status === 'ok' ? Math.round(pngTrueMask.lungVolumeMl) : null,
        },
        status: pngMask.status,
      });
      if (!keep) rmSync(folder, { recursive: true, force: true });
    },
  });
} finally {
  if (!keep) rmSync(scratch, { recursive: true, force: true });
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

/** Mean |HU error| over voxels the window shows unclipped; share of truth-mask voxels on the same side of −600 HU. */
function huErrors(truth: Volume, png: Volume, lungs: Uint8Array): { meanHuError: number; lungAgreement: number } {
  let err = 0;
  let shown = 0;
  let agree = 0;
  let lung = 0;
  for (let i = 0; i < truth.voxels.length; i++) {
    const t = truth.voxels[i]!;
    const p = png.voxels[i]!;
    if (t > low + 20 && t < high - 20) {
      err += Math.abs(p - t);
      shown++;
    }
    if (lungs[i]) {
      lung++;
      if (t < -600 === p < -600) agree++;
    }
  }
  return { meanHuError: Math.round(err / Math.max(1, shown)), lungAgreement: lung ? Math.round((agree / lung) * 1000) / 10 : NaN };
}

if (json) process.stdout.write(`${JSON.stringify(rows, null, 1)}\n`);
else {
  console.log(`Window of the re-export: centre ${centre}, width ${width} (${low} … ${high} HU)\n`);
  console.log('| series | slices | read as | window (HU) | mean abs HU error | lung voxels same side of -600 | pixel mm est / true (err) | slice mm est / true (err) | contiguous | lung mL: truth / PNG est. spacing / PNG true spacing | mask |');
  console.log('|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    console.log(`| ${r.series} | ${r.slices} | ${r.rendering} | ${r.window} | ${r.meanHuError} | ${r.lungAgreement} % | ${r.pixelMm[0]} / ${r.pixelMm[1]} (${r.pixelError} %) | ${r.sliceMm[0]} / ${r.sliceMm[1]} (${r.sliceError} %) | ${r.contiguous} | ${r.lungMl.truth ?? '—'} / ${r.lungMl.png ?? '—'} / ${r.lungMl.pngTrueSpacing ?? '—'} | ${r.status} |`);
  }
}
