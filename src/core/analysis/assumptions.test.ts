import { describe, expect, it } from 'vitest';
import { assumptionsOf, lungVolumeText } from './assumptions.js';

describe('what an analysis assumed, in plain words', () => {
  it('nothing for calibrated CT with its own spacing', () => {
    expect(assumptionsOf({ units: 'HU', calibrated: true, spacingSource: 'header', contiguous: true, warnings: [{ code: 'slice-gap', message: 'A slice is missing.' }] })).toBeNull();
    expect(lungVolumeText({ lungVolumeMl: 4321.4, spacingSource: 'header', contiguous: true })).toBe('4,321 mL');
  });

  it('an uncalibrated stack: the reader\'s sentences in order, the volume an estimate', () => {
    const a = assumptionsOf({
      units: 'unknown', calibrated: false, spacingSource: 'estimated', contiguous: true,
      warnings: [
        { code: 'spacing-estimated', message: 'Pixel size estimated.' },
        { code: 'slice-order-from-names', message: 'Ordered by name.' },
        { code: 'values-uncalibrated', message: 'The grey levels are not Hounsfield units.' },
        { code: 'pre-masked', message: 'The images were already masked.' },
      ],
    })!;
    expect(a.title).toBe('Uncalibrated input');
    expect(a.lines).toEqual(['The grey levels are not Hounsfield units.', 'The images were already masked.', 'Pixel size estimated.']);
    expect(a.lungVolumeEstimated).toBe(true);
    expect(lungVolumeText({ lungVolumeMl: 2140.2, spacingSource: 'estimated', contiguous: true })).toBe('≈ 2,140 mL (estimated)');
  });

  it('a given spacing on DICOM is said, and the volume is not an estimate', () => {
    const a = assumptionsOf({ units: 'HU', calibrated: true, spacingSource: 'given', contiguous: true, warnings: [{ code: 'spacing-given', message: 'The spacing given replaced the file\'s.' }] })!;
    expect(a.title).toBe('Assumptions');
    expect(a.lungVolumeEstimated).toBe(false);
  });
});
