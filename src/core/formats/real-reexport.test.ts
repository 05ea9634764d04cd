/**
 * Real CT re-exported as a lung-window PNG stack (into a temporary folder, removed after) and read
 * back: the window, the HU and the spacing recovered against what the DICOM header and HU say.
 * `scripts/reexport-real-series.ts` does the same for every series under ../shared/data/chest-ct.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openLargestVolume } from '../ingest/open-volume.js';
import { computeLungMask } from '../lung/index.js';
import { writePngStack } from '../phantom/index.js';
import { hasSharedData, sharedData, sharedDataSkipReason } from '../testing/shared-data.js';
import { readImageStack } from './image-stack.js';

const scratch = mkdtempSync(path.join(tmpdir(), 'lunglens-reexport-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe.skipIf(!hasSharedData)(`real series re-exported as lung-window PNG stacks (skipped when absent: ${sharedDataSkipReason})`, () => {
  for (const series of ['more/lungdx_a0002_lungcancer', 'acrin_flt_breast/axial_root']) {
    it(`${series}: the window within 60 HU, the pixel size within 15 %, the lungs found`, async () => {
      const opened = await openLargestVolume([sharedData('chest-ct', series)], { workers: 2 });
      const truth = opened.series!.volume;
      const files = await writePngStack(truth, path.join(scratch, series.replace(/\W+/g, '-')), { window: 'lung' });
      const r = await readImageStack(files);
      const window = r.volume.assumedWindow!;
      expect(window.basis?.rendering).toBe('lung');
      expect(Math.abs(window.lowHu - -1350)).toBeLessThan(60);
      expect(Math.abs(window.highHu - 150)).toBeLessThan(60);
      expect(Math.abs(r.volume.spacingMm[0] / truth.spacingMm[0] - 1)).toBeLessThan(0.15);
      expect(r.volume.contiguous).toBe(true);
      const mask = computeLungMask(r.volume);
      expect(mask.status).toBe('ok');
      // With the true spacing, the mask of the re-export holds the same lungs (within 3 %).
      const truthMl = computeLungMask(truth).lungVolumeMl;
      const sameSpacing = computeLungMask(r.volume.respaced(truth.spacingMm, { source: 'given' })).lungVolumeMl;
      expect(Math.abs(sameSpacing / truthMl - 1)).toBeLessThan(0.03);
    }, 120_000);
  }
});
