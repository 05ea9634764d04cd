import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { reportHtml, timelineSvg } from './report-html.js';
import { resultsCsv, summarize } from './results-files.js';
import type { SeriesResult } from '../analysis/index.js';
import type { ScanResults } from './results-schema.js';

function item(over: Partial<SeriesResult>): SeriesResult {
  return {
    id: 'a', identity: 'f'.repeat(64), seriesInstanceUid: '1.2.3', studyInstanceUid: '1.2', seriesDescription: 'CHEST', path: '/data/a',
    status: 'ok', probability: 0.9, verdict: 'covid', threshold: 0.5, sliceAttention: [0.1, 0.6, 0.3], slicePositive: [false, true, true],
    topSlices: [1, 2, 0], lungVolumeMl: 4000, dimensions: [512, 512, 3], spacingMm: [0.7, 0.7, 5], executionProvider: 'cpu',
    timingsMs: { total: 1234 }, warnings: [], ...over,
  };
}

describe('scan outputs', () => {
  it('writes one CSV row per series, quoting what needs it and defusing spreadsheet formulas', () => {
    const csv = resultsCsv([item({ seriesDescription: '=HYPERLINK("http://x")', path: '/data/a, b' }), item({ id: 'b', status: 'error', probability: null, verdict: null, error: { code: 'not-dicom', message: 'Not DICOM.' } })]);
    const lines = csv.trimEnd().split('\r\n');
    expect(lines).toHaveLength(3);
    expect(lines[1]).toContain(`"'=HYPERLINK(""http://x"")"`);
    expect(lines[1]).toContain('"/data/a, b"');
    expect(lines[2]).toMatch(/^b,error,,,/);
    expect(lines[2]).toContain('not-dicom,Not DICOM.');
  });

  it('reports a self-contained page with the verdicts, timelines and escaped text', () => {
    const items = [item({ seriesDescription: '<img src=x onerror=alert(1)>' }), item({ id: 'c', status: 'skipped', probability: null, verdict: null, error: { code: 'no-lung-found', message: 'No lung.' } })];
    const results: ScanResults = {
      format: 'lunglens-scan', version: 1, complete: false, summary: summarize(items), items,
      model: { name: 'm', version: 'v', sha256: 'a'.repeat(64), executionProvider: 'cpu', provider: { requested: 'auto', used: 'cpu', fallbackReason: 'no CUDA' }, threads: 2 },
    };
    const html = reportHtml(results, () => Buffer.from('png'), 'Not a clinical device.');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).not.toMatch(/<img src=x/);
    expect(html).toContain('COVID-19 suspected');
    expect(html).toContain('no-lung-found');
    expect(html).toContain('did not finish');
    expect(html).toContain('Not a clinical device.');
    expect(html.match(/data:image\/png;base64,/g)).toHaveLength(3);
    expect(html).not.toMatch(/<script|https?:\/\//);
  });

  it('says indeterminate in the CSV, the report and the summary, with the OOD score and the reasons', () => {
    const reasons = [
      { code: 'thick-slices', message: 'The slices are 8.0 mm apart, more than the 5.0 mm the model was trained on.' },
      { code: 'out-of-distribution', message: 'The scan\'s features lie at distance 41.20 from the training data (limit 30.00): unlike the scans the model was trained on.' },
    ];
    const abstained = item({ id: 'd', verdict: 'indeterminate', probability: 0.93, slicePositive: [false, false, false], oodScore: 41.2, reasons });
    const decided = item({ id: 'e', verdict: 'non-covid', probability: 0.1, oodScore: 3.5, reasons: [] });
    const csv = resultsCsv([abstained, decided]).trimEnd().split('\r\n');
    const header = csv[0]!.split(',');
    expect(header.slice(-2)).toEqual(['ood_score', 'reasons']);
    expect(csv[1]).toMatch(/^d,ok,indeterminate,0\.930000,/);
    expect(csv[1]).toContain(',41.200,"The slices are 8.0 mm apart, more than the 5.0 mm the model was trained on. The scan\'s features lie at distance 41.20');
    expect(parse(resultsCsv([decided]), { columns: true })).toMatchObject([{ verdict: 'non-covid', ood_score: '3.500', reasons: '' }]);
    const items = [abstained, decided];
    const summary = summarize(items);
    expect(summary).toMatchObject({ ok: 2, covid: 0, nonCovid: 1, indeterminate: 1 });
    const html = reportHtml({ format: 'lunglens-scan', version: 1, complete: true, summary, items, model: { name: 'm', version: 'v', sha256: 'a'.repeat(64), executionProvider: 'cpu', provider: { requested: 'cpu', used: 'cpu' }, threads: 2 } }, () => null, 'Not a clinical device.');
    expect(html).toContain('<span class="badge indeterminate">Indeterminate — no answer</span>');
    expect(html).not.toContain('badge covid');
    expect(html).toContain('<li>The slices are 8.0 mm apart, more than the 5.0 mm the model was trained on.</li>');
    expect(html).toContain('1 indeterminate');
  });

  it('leaves results from a model that cannot abstain as they were: no indeterminate count, empty OOD columns', () => {
    expect(summarize([item({})])).not.toHaveProperty('indeterminate');
    const [row] = parse(resultsCsv([item({})]), { columns: true }) as Array<Record<string, string>>;
    expect(row).toMatchObject({ verdict: 'covid', total_ms: '1234', ood_score: '', reasons: '' });
  });

  it('draws the timeline with the positive slices shaded and the top slices marked', () => {
    const svg = timelineSvg(item({}));
    expect(svg.match(/<rect /g)).toHaveLength(2);
    expect(svg.match(/<circle /g)).toHaveLength(3);
    expect(svg).toContain('slice 1: attention 1.80× uniform');
  });

  it('says what was assumed about uncalibrated input: CSV columns, a band beside the verdict, the lung volume as an estimate, a sparse set by slice', () => {
    const warnings = [
      { code: 'values-uncalibrated', message: 'The grey levels are not Hounsfield units. Grey levels read as a lung window (centre -600, width 1500 HU).' },
      { code: 'spacing-estimated', message: 'Pixel size 0.7 mm estimated from the lungs\' width.' },
      { code: 'not-contiguous', message: 'The slices do not form a contiguous volume.' },
      { code: 'slice-order-from-names', message: 'The slices were ordered by the numbers in their file names.' },
    ];
    const stack = item({ id: 's', units: 'unknown', calibrated: false, spacingSource: 'estimated', contiguous: false, warnings });
    const dicom = item({ id: 'd', units: 'HU', calibrated: true, spacingSource: 'header', contiguous: true });
    const lines = resultsCsv([stack, dicom]).trimEnd().split('\r\n');
    // (the two columns of a model that can abstain follow, empty here)
    expect(lines[0]).toMatch(/,units,calibrated,spacing_mm,spacing_source,contiguous,ood_score,reasons$/);
    expect(lines[1]).toMatch(/,unknown,false,0\.7 0\.7 5,estimated,false,,$/);
    expect(lines[2]).toMatch(/,HU,true,0\.7 0\.7 5,header,true,,$/);
    const results: ScanResults = {
      format: 'lunglens-scan', version: 1, complete: true, summary: summarize([stack, dicom]), items: [stack, dicom],
      model: { name: 'm', version: 'v', sha256: 'a'.repeat(64), executionProvider: 'cpu', provider: { requested: 'auto', used: 'cpu' }, threads: 2 },
    };
    const html = reportHtml(results, () => null, 'Not a clinical device.');
    expect(html.match(/class="assumed"/g)).toHaveLength(1);
    expect(html).toMatch(/<b>Uncalibrated input<\/b><ul><li>The grey levels are not Hounsfield units\./);
    expect(html).toContain('lungs ≈ 4,000 mL (estimated)');
    expect(html).toContain('lungs 4,000 mL');
    expect(html).toContain('slices 1–3 (separate sections, by file name)');
    // The assumptions are in the band, the other warnings below as before.
    expect(html).toMatch(/<code>slice-order-from-names<\/code>/);
    expect(html).not.toMatch(/<code>values-uncalibrated<\/code>/);
  });
});
