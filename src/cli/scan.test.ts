// `lunglens scan` on real DICOM series written by the phantom generator, plus a corrupt file, with
// the shipped model: an item per series, the corrupt file as an error row, the same results every
// time, and a scan killed midway that `--resume` completes into the uninterrupted results.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { writePhantoms, type PhantomLabels } from '../core/phantom/index.js';
import { inspectPaths } from '../core/ingest/inspect.js';
import { JOURNAL_FILE } from '../core/scan/journal.js';
import { pngBytes } from '../core/testing/png-bytes.js';
import { chartGrey, photoRgba, projectionOf, testPhantom } from '../core/testing/renderings.js';
import { ScanResultsSchema, type ScanResults } from '../core/scan/results-schema.js';
import { abstainingModel, abstainingModelProblem } from '../core/testing/abstaining-model.js';
import { runCli } from './test-support.js';

const root = path.resolve(import.meta.dirname, '../..');
let studies: string;
let labels: PhantomLabels;

beforeAll(async () => {
  studies = mkdtempSync(path.join(tmpdir(), 'lunglens-scan-'));
  labels = await writePhantoms({ out: studies, count: 6, seed: 'scan-test', size: 128, slices: [40, 70], format: 'dicom' });
  renameSync(path.join(studies, 'labels.json'), `${studies}-labels.json`); // the answers are not part of the scanned folder
  writeFileSync(path.join(studies, 'corrupt.dcm'), Buffer.concat([Buffer.alloc(128), Buffer.from('DICM'), Buffer.from([0x02, 0x00, 0x10, 0x00, 0xff])]));
}, 120_000);

const outDir = () => mkdtempSync(path.join(tmpdir(), 'lunglens-scan-out-'));
const read = (dir: string) => JSON.parse(readFileSync(path.join(dir, 'results.json'), 'utf8')) as ScanResults;
/** results.json without the wall-clock timings, which differ from run to run. */
const stable = (r: ScanResults) => ({ ...r, items: r.items.map(({ timingsMs: _t, ...rest }) => rest) });

describe('lunglens scan', () => {
  let first: string;

  it('writes an item per series and an error row for the corrupt file', async () => {
    first = outDir();
    const { code, stderr } = await runCli('scan', studies, '--out', first);
    expect(code, stderr).toBe(0);
    const r = read(first);
    expect(r.complete).toBe(true);
    expect(r.model.executionProvider).toBe('cpu');
    const ok = r.items.filter((i) => i.status === 'ok');
    expect(ok.map((i) => i.seriesInstanceUid).sort()).toEqual(labels.cases.map((c) => c.seriesInstanceUid).sort());
    for (const item of ok) {
      const truth = labels.cases.find((c) => c.seriesInstanceUid === item.seriesInstanceUid)!;
      expect(item.sliceAttention).toHaveLength(truth.slicePositive.length);
      expect(item.slicePositive).toHaveLength(truth.slicePositive.length);
      expect(item.sliceAttention.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
      // the card's rule: no answer where it gives a reason, else the threshold
      expect(item.verdict).toBe(item.reasons?.length ? 'indeterminate' : item.probability! >= item.threshold ? 'covid' : 'non-covid');
      expect(item.topSlices.length).toBeGreaterThan(0);
      expect(item.lungVolumeMl).toBeGreaterThan(500);
      for (const stage of ['read', 'mask', 'tensors', 'inference', 'total']) expect(item.timingsMs[stage]).toBeGreaterThanOrEqual(0);
    }
    const bad = r.items.filter((i) => i.status === 'error');
    expect(bad).toHaveLength(1);
    expect(bad[0]!.path).toMatch(/corrupt\.dcm$/);
    expect(bad[0]!.error!.message.length).toBeGreaterThan(10);
    const csv = readFileSync(path.join(first, 'results.csv'), 'utf8').trim().split('\r\n');
    expect(csv).toHaveLength(1 + r.items.length);
    const html = readFileSync(path.join(first, 'report.html'), 'utf8');
    expect(html.match(/<svg class="timeline"/g)).toHaveLength(ok.length);
    expect(html).toContain('data:image/png;base64,');
    expect(html).not.toMatch(/<script|src="http/);
    expect(stderr).toMatch(/\[7\/7\]/);
    // Verdicts against the phantoms' truth, scored by `lunglens evaluate` (an indeterminate one is no answer, counted apart).
    const scored = await runCli('evaluate', '--results', path.join(first, 'results.json'), '--labels', `${studies}-labels.json`);
    const volume = (JSON.parse(scored.stdout) as { volume: { acc: number; count: number; tp: number; tn: number; indeterminate: number } }).volume;
    expect(volume.count + volume.indeterminate).toBe(6);
    expect(volume.indeterminate).toBeLessThanOrEqual(2); // it answers most of them…
    expect(volume.acc).toBeGreaterThanOrEqual(5 / 6); // …and those answers are right
  }, 240_000);

  it.skipIf(abstainingModelProblem() !== null)('with a model that can abstain: indeterminate with its reasons in results.json, results.csv and the report', async () => {
    // The limit at the thinnest phantom's slices: the thicker ones (the seed gives both kinds) abstain.
    const limit = Math.min(...labels.cases.map((c) => c.spec.sliceThicknessMm));
    const out = outDir();
    const { code, stderr } = await runCli('scan', studies, '--out', out, '--model', abstainingModel({ inputChecks: { maxSliceSpacingMm: limit } }));
    expect(code, stderr).toBe(0);
    const r = ScanResultsSchema.parse(read(out));
    const ok = r.items.filter((i) => i.status === 'ok');
    expect(ok).toHaveLength(6);
    for (const item of ok) {
      const thick = item.spacingMm![2] > limit + 1e-3;
      expect(item.verdict === 'indeterminate', `${item.spacingMm![2]} mm`).toBe(thick);
      expect(item.reasons!.map((x) => x.code)).toEqual(thick ? ['thick-slices'] : []);
      expect(item.oodScore).toBeGreaterThan(0);
      if (thick) expect(item.slicePositive.some(Boolean)).toBe(false);
    }
    const indeterminate = ok.filter((i) => i.verdict === 'indeterminate').length;
    expect(r.summary.indeterminate).toBe(indeterminate);
    expect(indeterminate).toBeGreaterThan(0);
    expect(indeterminate).toBeLessThan(6);
    const csv = readFileSync(path.join(out, 'results.csv'), 'utf8').trim().split('\r\n');
    expect(csv.filter((line) => /^[^,]+,ok,indeterminate,/.test(line) && line.includes('the model was trained on.'))).toHaveLength(indeterminate);
    const html = readFileSync(path.join(out, 'report.html'), 'utf8');
    expect(html.match(/class="badge indeterminate"/g) ?? []).toHaveLength(indeterminate);
    expect(stderr).toMatch(/indeterminate \(thick-slices\) p=/);
  }, 240_000);

  it('gives the same results for the same input every time', async () => {
    const again = outDir();
    expect((await runCli('scan', studies, '--out', again)).code).toBe(0);
    expect(stable(read(again))).toEqual(stable(read(first)));
  }, 240_000);

  it('completes a scan killed midway with --resume into the uninterrupted results', async () => {
    const out = outDir();
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'src/cli/run.ts'), 'scan', studies, '--out', out], { cwd: root, stdio: 'ignore' });
    const journal = path.join(out, JOURNAL_FILE);
    // Kill it (no chance to clean up) once at least one series is journaled and before the end.
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        const lines = existsSync(journal) ? readFileSync(journal, 'utf8').split('\n').filter(Boolean).length : 0;
        if (lines >= 2) {
          clearInterval(timer);
          child.kill('SIGKILL');
          resolve();
        }
      }, 20);
      child.on('exit', () => {
        clearInterval(timer);
        reject(new Error('the scan ended before it could be killed'));
      });
    });
    const journaled = readFileSync(journal, 'utf8').split('\n').filter(Boolean).length - 1;
    expect(journaled).toBeGreaterThanOrEqual(1);
    expect(journaled).toBeLessThan(7);
    const { code, stderr } = await runCli('scan', studies, '--out', out, '--resume');
    expect(code).toBe(0);
    expect(stderr).toMatch(/\(resumed\)/);
    expect(stable(read(out))).toEqual(stable(read(first)));
  }, 240_000);
});

const chestCt = path.join(root, '../shared/data/chest-ct');

describe.skipIf(!existsSync(chestCt))('lunglens scan on the real series in ../shared/data/chest-ct', () => {
  it('gives every series the reader accepts an item, and errors only where the reader rejects', async () => {
    const out = outDir();
    const { code } = await runCli('scan', chestCt, '--out', out);
    expect(code).toBe(0);
    const r = read(out);
    const inspected = await inspectPaths([chestCt]);
    expect(r.items.filter((i) => i.status !== 'error').map((i) => i.id).sort()).toEqual(inspected.series.map((s) => s.id).sort());
    expect(r.items.filter((i) => i.status === 'error').map((i) => i.path).sort()).toEqual(inspected.rejected.map((x) => x.path).sort());
    // The whole chest CT of a lung-cancer collection is analysed; series without lungs in HU are skipped with the reason.
    expect(r.items.find((i) => i.path.endsWith('lung_fused_ct_pathology_series/data'))?.status).toBe('ok');
    for (const i of r.items.filter((x) => x.status === 'skipped')) expect(i.error?.message.length).toBeGreaterThan(10);
  }, 240_000);
});

describe('lunglens scan of an uncalibrated PNG stack', () => {
  it('analyses it and says what it assumed: units, calibrated false, the spacing and its source, the warnings', async () => {
    const pngs = mkdtempSync(path.join(tmpdir(), 'lunglens-scan-png-'));
    const written = await writePhantoms({ out: pngs, count: 1, seed: 'scan-png', size: 192, slices: [50, 50], format: 'png', window: 'lung' });
    const truth = written.cases[0]!.truth!.spacingMm;
    writeFileSync(path.join(pngs, 'notes.txt'), 'exported from a viewer');
    const out = outDir();
    const { code, stderr } = await runCli('scan', pngs, '--out', out);
    expect(code, stderr).toBe(0);
    const r = read(out);
    // labels.json and the notes are stray files, not error rows.
    expect(r.items).toHaveLength(1);
    const item = r.items[0]!;
    expect(item.status).toBe('ok');
    expect(item).toMatchObject({ units: 'unknown', calibrated: false, spacingSource: 'estimated', contiguous: true });
    expect(item.warnings.map((w) => w.code)).toEqual(expect.arrayContaining(['values-uncalibrated', 'spacing-estimated']));
    expect(item.lungVolumeMl).toBeGreaterThan(500);
    const given = outDir();
    // The spacing the files lost, given back: it replaces the estimate.
    expect((await runCli('scan', pngs, '--out', given, '--spacing', truth.join(','))).code).toBe(0);
    expect(read(given).items[0]).toMatchObject({ status: 'ok', spacingMm: truth, spacingSource: 'given' });
    const html = readFileSync(path.join(out, 'report.html'), 'utf8');
    expect(html).toContain('Uncalibrated input');
    expect(html).toMatch(/lungs ≈ [\d,]+ mL \(estimated\)/);
  }, 240_000);

  it.skipIf(abstainingModelProblem() !== null)('with a model that can abstain: indeterminate, the grey levels not calibrated HU — unless its card only warns', async () => {
    const pngs = mkdtempSync(path.join(tmpdir(), 'lunglens-scan-png-abstain-'));
    await writePhantoms({ out: pngs, count: 1, seed: 'scan-png', size: 192, slices: [50, 50], format: 'png', window: 'lung' });
    const strict = outDir();
    expect((await runCli('scan', pngs, '--out', strict, '--model', abstainingModel({ inputChecks: { maxSliceSpacingMm: 100 } }))).code).toBe(0);
    const item = read(strict).items[0]!;
    expect(item).toMatchObject({ status: 'ok', calibrated: false, verdict: 'indeterminate' });
    expect(item.reasons).toEqual([{ code: 'uncalibrated-input', message: 'The grey levels are not calibrated Hounsfield units (an image stack); the model was trained on calibrated CT only.' }]);
    const lenient = outDir();
    expect((await runCli('scan', pngs, '--out', lenient, '--model', abstainingModel({ inputChecks: { maxSliceSpacingMm: 100, uncalibrated: 'warn' } }))).code).toBe(0);
    const warned = read(lenient).items[0]!;
    expect(warned.reasons).toEqual([]);
    expect(warned.verdict).toBe(warned.probability! >= warned.threshold ? 'covid' : 'non-covid');
  }, 240_000);

  it('skips a mediastinal-window stack with the reason: its lungs are black, the detector cannot read them', async () => {
    const pngs = mkdtempSync(path.join(tmpdir(), 'lunglens-scan-med-'));
    await writePhantoms({ out: pngs, count: 1, seed: 'scan-png', size: 192, slices: [50, 50], format: 'png', window: 'mediastinal' });
    const out = outDir();
    const { code } = await runCli('scan', pngs, '--out', out);
    expect(code).toBe(2); // nothing could be analysed
    const item = read(out).items[0]!;
    expect(item.status).toBe('skipped');
    expect(item.verdict).toBeNull();
    expect(item.error?.code).toBe('lungs-below-window');
    expect(item.error?.message).toMatch(/soft-tissue \(mediastinal\) window .* lungs black/);
    expect(item.lungVolumeMl).toBeGreaterThan(0);
  }, 240_000);

  it('gives each picture that is not a CT rendering an error row with its code and a sentence, and analyses the stack beside them', async () => {
    const folder = mkdtempSync(path.join(tmpdir(), 'lunglens-scan-refusals-'));
    const written = await writePhantoms({ out: folder, count: 1, seed: 'scan-png', size: 192, slices: [50, 50], format: 'png', window: 'lung' });
    const series = path.join(folder, written.cases[0]!.path);
    // An image of another size among the slices, named like them.
    writeFileSync(path.join(series, 'slice-0051.png'), pngBytes(64, 64, new Array(64 * 64).fill(40)));
    const other = path.join(folder, 'other');
    mkdirSync(other);
    writeFileSync(path.join(other, 'blank.png'), pngBytes(128, 128, new Array(128 * 128).fill(0)));
    writeFileSync(path.join(other, 'holiday.png'), pngBytes(160, 120, photoRgba(160, 120), { channels: 4 }));
    const xray = projectionOf(testPhantom());
    writeFileSync(path.join(other, 'xray.png'), pngBytes(xray.width, xray.height, xray.grey));
    const ramp = Array.from({ length: 100 * 90 }, (_, p) => Math.round(((p % 100) / 100) * 50000 + (Math.floor(p / 100) / 90) * 15000));
    writeFileSync(path.join(other, 'depth16.png'), pngBytes(100, 90, ramp, { bitDepth: 16 }));
    writeFileSync(path.join(other, 'chart.png'), pngBytes(160, 120, chartGrey(160, 120)));
    const out = outDir();
    const { code, stderr } = await runCli('scan', folder, '--out', out);
    expect(code, stderr).toBe(0);
    const r = read(out);
    expect(r.complete).toBe(true);
    const ok = r.items.filter((i) => i.status === 'ok');
    expect(ok.map((i) => i.path)).toEqual([series]);
    expect(ok[0]!.verdict).not.toBeNull();
    const errors = Object.fromEntries(r.items.filter((i) => i.status === 'error').map((i) => [path.basename(i.path), i.error!]));
    expect(Object.fromEntries(Object.entries(errors).map(([name, e]) => [name, e.code]))).toEqual({
      'slice-0051.png': 'mixed-image-sizes',
      'blank.png': 'blank-image',
      'holiday.png': 'not-ct-colour',
      'xray.png': 'not-ct-projection',
      'depth16.png': 'not-ct-values',
      'chart.png': 'not-ct-graphics',
    });
    for (const e of Object.values(errors)) expect(e.message).toMatch(/^\S.* \w+ \w+ .*\.$/);
  }, 240_000);
});

