// The reading room's stores against the real backend (its services with the shipped model),
// called in-process through the contract's dispatcher: what a reader does, and what they see.
import { mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createPinia, setActivePinia } from 'pinia';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { inProcessTransport } from '../../backend/in-process-transport.js';
import { LocalBackend } from '../../backend/backend.js';
import { writePhantoms, type PhantomLabels } from '../../core/phantom/index.js';
import { modelWithoutAbstention } from '../../core/testing/abstaining-model.js';
import type { JobEvent, ScanRow } from '../../shared/api.js';
import { ApiCallError, ApiClient, setApi } from '../api/client.js';
import { useAppStore } from './app.js';
import { sortRows, useScanStore } from './scan.js';
import { useStudiesStore } from './studies.js';
import { useViewerStore, ZOOM_MAX } from './viewer.js';

let ws: LocalBackend;
let studies: string;
let labels: PhantomLabels;

beforeAll(async () => {
  studies = mkdtempSync(path.join(tmpdir(), 'lunglens-stores-'));
  labels = await writePhantoms({ out: path.join(studies, 'in'), count: 2, seed: 'stores-test', positiveRate: 0.5, size: 128, slices: [40, 50] });
  renameSync(path.join(studies, 'in', 'labels.json'), path.join(studies, 'labels.json')); // the answers are not part of the scanned folder
  writeFileSync(path.join(studies, 'in', 'corrupt.dcm'), Buffer.concat([Buffer.alloc(128), Buffer.from('DICM'), Buffer.from([2, 0, 0x10, 0, 0xff])]));
  ws = await LocalBackend.start({ dataDir: mkdtempSync(path.join(tmpdir(), 'lunglens-stores-data-')), transport: 'http', version: 'test' });
  setApi(new ApiClient(inProcessTransport(ws, (code, message) => new ApiCallError(code, message))));
}, 120_000);
afterAll(async () => ws?.close());
beforeEach(() => setActivePinia(createPinia()));

describe('studies store', () => {
  it('opening a study selects its first series and brings its verdict without another click', async () => {
    const s = useStudiesStore();
    const folder = path.join(studies, 'in', labels.cases[0]!.path);
    await s.open([folder]);
    expect(s.series).toHaveLength(1);
    expect(s.selectedId).toBe(s.series[0]!.id);
    expect(s.analysisState[s.selectedId!]).toBe('done');
    const a = s.analysis!;
    expect(a.status).toBe('ok');
    expect(a.verdict).toBe(a.reasons?.length ? 'indeterminate' : a.probability! >= a.threshold ? 'covid' : 'non-covid');
    expect(a.sliceAttention).toHaveLength(labels.cases[0]!.slicePositive.length);
    expect(a.slicesWithLung).toBeGreaterThan(0);
    expect(performance.getEntriesByName('lunglens:verdict')).toHaveLength(1);
    // and it is remembered as a recent study
    await useAppStore().load();
    expect(useAppStore().info!.recent[0]!.path).toBe(folder);
  });

  it('a folder with no series is a notice with what to do, not a crash', async () => {
    const s = useStudiesStore();
    await s.open([path.join(studies, 'nothing-here')]);
    expect(s.series).toHaveLength(0);
    expect(useAppStore().notice?.code).toBe('nothing-found');
    expect(useAppStore().notice?.hint).toMatch(/DICOM/);
  });

  it('an uncalibrated PNG stack: its verdict comes with the assumptions in words; the spacing setting replaces the estimate', async () => {
    const pngs = path.join(studies, 'png');
    const written = await writePhantoms({ out: pngs, count: 1, seed: 'stores-png', size: 160, slices: [40, 40], format: 'png', window: 'lung' });
    const folder = path.join(pngs, written.cases[0]!.path);
    const s = useStudiesStore();
    await s.open([folder]);
    expect(s.series[0]).toMatchObject({ source: 'image-stack', units: 'unknown', spacingSource: 'estimated', contiguous: true });
    const a = s.analysis!;
    expect(a.status).toBe('ok');
    expect(a).toMatchObject({ units: 'unknown', calibrated: false, spacingSource: 'estimated' });
    expect(a.assumptions?.title).toBe('Uncalibrated input');
    expect(a.assumptions?.lines.join(' ')).toMatch(/not Hounsfield units.*lung window.*Pixel size/s);
    expect(a.assumptions?.lungVolumeEstimated).toBe(true);

    const app = useAppStore();
    await app.load();
    const truth = written.cases[0]!.truth!.spacingMm;
    await app.saveSettings({ ...app.info!.settings, imageSpacingMm: truth });
    await s.open([folder]);
    const given = s.series.find((x) => x.path === folder && x.spacingSource === 'given')!;
    expect(given.spacingMm).toEqual(truth);
    await app.saveSettings({ ...app.info!.settings, imageSpacingMm: null });
  }, 120_000);

  it('after the model changes in Settings, the verdict on screen is the new model’s, not the old one’s', async () => {
    const s = useStudiesStore();
    const app = useAppStore();
    await app.load();
    await s.open([path.join(studies, 'in', labels.cases[1]!.path)]);
    expect(s.analysis).toHaveProperty('oodScore'); // the bundled model can abstain
    const before = app.info!.settings;
    await app.saveSettings({ ...before, modelPath: modelWithoutAbstention() });
    await s.modelChanged();
    expect(s.analysisState[s.selectedId!]).toBe('done');
    expect(s.analysis).not.toHaveProperty('oodScore'); // that model never abstains
    await app.saveSettings(before);
  }, 120_000);

  it('a series that is no longer open gives the backend’s sentence', async () => {
    const s = useStudiesStore();
    await s.select('not-a-series');
    expect(s.analysisState['not-a-series']).toBe('failed');
    expect(useAppStore().notice).toMatchObject({ code: 'unknown-series' });
  });
});

describe('viewer store', () => {
  it('keeps the slice inside the series, the zoom inside its limits, and knows the presets', () => {
    const v = useViewerStore();
    v.reset(80, 'mediastinum');
    expect(v.index).toBe(40);
    expect(v.window).toEqual({ centre: 40, width: 400 });
    v.scrollBy(100);
    expect(v.index).toBe(79);
    v.goTo(-3);
    expect(v.index).toBe(0);
    for (let i = 0; i < 30; i++) v.zoomBy(2);
    expect(v.zoom).toBe(ZOOM_MAX);
    v.setWindow({ centre: -500, width: 1200 });
    expect(v.preset).toBeNull();
    v.setPreset('bone');
    expect(v.window).toEqual({ centre: 480, width: 2500 });
  });

  it('jumps between the high-attention slices', () => {
    const v = useViewerStore();
    v.reset(6, 'lung', 0);
    const attention = [0.1, 0.3, 0.1, 0.05, 0.4, 0.05];
    const positive = [false, true, false, false, true, false];
    v.jump(attention, positive, [4, 1], 1);
    expect(v.index).toBe(1);
    v.jump(attention, positive, [4, 1], 1);
    expect(v.index).toBe(4);
    v.jump(attention, positive, [4, 1], 1);
    expect(v.index).toBe(1);
  });
});

describe('scan store', () => {
  it('sorts by any column, nulls (error rows) last in both directions', () => {
    const row = (path: string, status: ScanRow['status'], probability: number | null): ScanRow => ({ id: path, path, seriesDescription: '', status, probability, verdict: null, slices: null, lungVolumeMl: null, totalMs: null });
    const rows = [row('b', 'ok', 0.2), row('a', 'error', null), row('c', 'ok', 0.9)];
    expect(sortRows(rows, 'probability', -1).map((r) => r.path)).toEqual(['c', 'b', 'a']);
    expect(sortRows(rows, 'probability', 1).map((r) => r.path)).toEqual(['b', 'c', 'a']);
    expect(sortRows(rows, 'status', 1).map((r) => r.path)).toEqual(['a', 'b', 'c']);
  });

  it('a batch scan of a folder with a corrupt file ends with a row per series and an error row', async () => {
    const scan = useScanStore();
    const finished = new Promise<void>((resolve) => {
      const off = ws.onEvent((e: JobEvent) => {
        scan.apply(e);
        if (e.type !== 'progress') {
          off();
          resolve();
        }
      });
    });
    await scan.start([path.join(studies, 'in')]);
    await finished;
    expect(scan.state).toBe('done');
    expect(scan.rows).toHaveLength(3);
    expect(scan.counts.error).toBe(1);
    expect(scan.rows.find((r) => r.status === 'error')!.path).toMatch(/corrupt\.dcm$/);
    expect(scan.done).toBe(scan.total);
    expect(scan.outDir).toMatch(/scans/);
  });

  it('events that arrive before the job id are not lost', () => {
    const scan = useScanStore();
    scan.state = 'running';
    scan.apply({ type: 'progress', jobId: 'job-1', done: 0, total: 4 });
    expect(scan.early).toHaveLength(1);
    scan.jobId = 'job-1';
    for (const e of scan.early.splice(0)) scan.apply(e);
    expect(scan.total).toBe(4);
  });
});
