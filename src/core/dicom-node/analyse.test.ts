// What a PACS receives for a series the model gave no answer for: the analysis' indeterminate
// verdict and its reasons become the SR's qualitative evaluation (SCT 82334004 Indeterminate) with
// one sentence each, and the key-object note says so; an answered series is written as before.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SeriesResult } from '../analysis/index.js';
import { keyObjectSelection, measurementReport, readReport } from '../dicom-results/index.js';
import { writeSyntheticSeries } from '../samples/synthetic-series.js';
import { fixtureAnalysis, fixtureInput, readSource, type ReadSource } from '../testing/result-fixtures.js';
import { resultAnalysisOf } from './analyse.js';

const work = mkdtempSync(path.join(tmpdir(), 'lunglens-abstain-sr-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let source: ReadSource;
beforeAll(async () => {
  await writeSyntheticSeries(path.join(work, 'ct'), { columns: 48, rows: 40, slices: 10, seed: 19 });
  source = await readSource([path.join(work, 'ct')]);
});

const reasons = [
  { code: 'thick-slices', message: 'The slices are 8.0 mm apart, more than the 5.0 mm the model was trained on.' },
  { code: 'out-of-distribution', message: 'The scan\'s features lie at distance 41.20 from the training data (limit 30.00): unlike the scans the model was trained on.' },
];

function result(over: Partial<SeriesResult>): SeriesResult {
  const a = fixtureAnalysis(10, null);
  return {
    id: 'a', identity: 'f'.repeat(64), seriesInstanceUid: '1.2.3', studyInstanceUid: '1.2', seriesDescription: 'CHEST', path: '/data/a', status: 'ok',
    probability: 0.91, verdict: 'covid', threshold: 0.5, sliceAttention: a.sliceAttention, slicePositive: a.slicePositive, topSlices: a.topSlices,
    lungVolumeMl: 900, dimensions: [48, 40, 10], spacingMm: [1, 1, 8], executionProvider: 'cpu', timingsMs: {}, warnings: [], ...over,
  };
}

describe('resultAnalysisOf: the analysis as the DICOM results are written from it', () => {
  it('an indeterminate series: SR qualitative evaluation Indeterminate with each reason, the key-object note says no answer', () => {
    const analysis = resultAnalysisOf(result({ verdict: 'indeterminate', slicePositive: new Array<boolean>(10).fill(false), oodScore: 41.2, reasons }), undefined)!;
    expect(analysis).toMatchObject({ verdict: 'indeterminate', probability: 0.91, reasons: reasons.map((r) => r.message) });
    const input = fixtureInput(source, analysis);
    expect(readReport(measurementReport(input).bytes)).toMatchObject({ verdict: 'indeterminate', probability: 0.91, reasons: reasons.map((r) => r.message) });
    const kos = keyObjectSelection(input)!;
    expect(Buffer.from(kos.bytes).toString('latin1')).toContain('verdict no answer (indeterminate), probability 0.910');
  });

  it('an answered series, from a card with or without abstention, carries no reasons', () => {
    expect(resultAnalysisOf(result({ reasons: [], oodScore: 2.5 }), undefined)).toMatchObject({ verdict: 'covid', reasons: [] });
    expect(resultAnalysisOf(result({ verdict: 'non-covid', probability: 0.2 }), undefined)).toMatchObject({ verdict: 'non-covid', reasons: [] });
    expect(resultAnalysisOf(result({ status: 'error', probability: null, verdict: null }), undefined)).toBeNull();
  });
});
