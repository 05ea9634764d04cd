// @vitest-environment happy-dom
import { mount } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import type { Analysis } from '../../shared/api.js';
import VerdictCard from './VerdictCard.vue';

const base: Analysis = {
  seriesId: 's', status: 'ok', probability: 0.8, verdict: 'covid', threshold: 0.5, sliceAttention: [0.5, 0.5], slicePositive: [true, false],
  topSlices: [0, 1], lungVolumeMl: 2140.4, slicesWithLung: 2, reviewKey: null, executionProvider: 'cpu', timingsMs: { total: 900 }, assumptions: null,
};

// The card's "Send to PACS" control talks to the DICOM node's store: not what these tests look at.
const global = { stubs: { SendToPacs: true } };

describe('VerdictCard', () => {
  it('calibrated CT: no band, the lung volume as measured', () => {
    const w = mount(VerdictCard, { props: { analysis: base, state: 'done', model: null }, global });
    expect(w.find('[data-testid="uncalibrated-band"]').exists()).toBe(false);
    expect(w.get('[data-testid="lung-volume"]').text()).toBe('2,140 mL');
  });

  it('uncalibrated input: a band beside the verdict says what was assumed, the lung volume is an estimate', () => {
    const analysis: Analysis = {
      ...base, units: 'unknown', calibrated: false, spacingSource: 'estimated',
      assumptions: { title: 'Uncalibrated input', lines: ['The grey levels are not Hounsfield units.', 'Pixel size 0.71 mm estimated from the lungs\' width.'], lungVolumeEstimated: true },
    };
    const w = mount(VerdictCard, { props: { analysis, state: 'done', model: null }, global });
    const band = w.get('[data-testid="uncalibrated-band"]');
    expect(band.text()).toMatch(/Uncalibrated input.*less reliable than on calibrated CT.*not Hounsfield units.*Pixel size 0\.71 mm/s);
    expect(w.get('[data-testid="lung-volume"]').text()).toBe('≈ 2,140 mL (estimated)');
  });
});
