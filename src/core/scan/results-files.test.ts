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
});
