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
    expect(lines[0]).toMatch(/,units,calibrated,spacing_mm,spacing_source,contiguous$/);
    expect(lines[1]).toMatch(/,unknown,false,0\.7 0\.7 5,estimated,false$/);
    expect(lines[2]).toMatch(/,HU,true,0\.7 0\.7 5,header,true$/);
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
