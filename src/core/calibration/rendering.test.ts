import { beforeAll, describe, expect, it } from 'vitest';
import { LungLensError } from '../errors.js';
import type { PhantomCase } from '../phantom/index.js';
import { chartGrey, photoRgba, projectionOf, renderStack, stackOf, testPhantom, WINDOWS } from '../testing/renderings.js';
import { greyToHu, recogniseRendering, type GreyStack } from './rendering.js';

let phantom: PhantomCase;
beforeAll(() => {
  phantom = testPhantom();
});

function refusal(stack: GreyStack): LungLensError {
  try {
    recogniseRendering(stack, 'The test image');
  } catch (error) {
    expect(error).toBeInstanceOf(LungLensError);
    return error as LungLensError;
  }
  throw new Error('expected a refusal');
}

/** Mean |HU read − HU true| over the voxels the window shows unclipped, and over the lungs. */
function errors(stack: GreyStack, window: { centre: number; width: number }) {
  const decision = recogniseRendering(stack, 'The test stack');
  const v = phantom.volume;
  const n = v.sliceLength;
  const out = new Int16Array(n);
  let shown = 0;
  let shownErr = 0;
  let lung = 0;
  let lungBelow = 0;
  const lo = window.centre - window.width / 2;
  const hi = window.centre + window.width / 2;
  stack.slices.forEach((grey, k) => {
    greyToHu(grey, 255, decision.window, out);
    const truth = v.slice(k);
    for (let i = 0; i < n; i++) {
      const t = truth[i]!;
      if (t > lo + 20 && t < hi - 20) {
        shown++;
        shownErr += Math.abs(out[i]! - t);
      }
      if (phantom.lungMask[k * n + i] && t < -650) {
        lung++;
        if (out[i]! < -600) lungBelow++;
      }
    }
  });
  return { decision, meanError: shownErr / shown, lungBelowThreshold: lungBelow / lung };
}

describe('recognising the display window of a CT rendering', () => {
  it('a lung window: air and soft tissue place it within 60 HU at both ends', () => {
    const { decision, meanError, lungBelowThreshold } = errors(renderStack(phantom.volume, WINDOWS.lung), WINDOWS.lung);
    expect(decision.window.basis.rendering).toBe('lung');
    expect(decision.window.basis.inverted).toBe(false);
    expect(Math.abs(decision.window.lowHu - -1350)).toBeLessThan(60);
    expect(Math.abs(decision.window.highHu - 150)).toBeLessThan(60);
    expect(decision.window.basis.anchors.map((a) => a.tissue)).toEqual(['air', 'soft-tissue']);
    expect(decision.window.note).toMatch(/lung window/);
    expect(meanError).toBeLessThan(40);
    // The lung mask thresholds at −600 HU: the lungs must read as air.
    expect(lungBelowThreshold).toBeGreaterThan(0.95);
  });

  it('a mediastinal window: fat and soft tissue place it within 30 HU; the clipped lungs read as air', () => {
    const { decision, meanError, lungBelowThreshold } = errors(renderStack(phantom.volume, WINDOWS.mediastinal), WINDOWS.mediastinal);
    expect(decision.window.basis.rendering).toBe('soft-tissue');
    expect(Math.abs(decision.window.lowHu - -160)).toBeLessThan(30);
    expect(Math.abs(decision.window.highHu - 240)).toBeLessThan(30);
    expect(decision.window.belowWindow?.hu).toBe(-1000);
    expect(decision.window.note).toMatch(/soft-tissue \(mediastinal\) window.*read as air/);
    expect(meanError).toBeLessThan(20);
    expect(lungBelowThreshold).toBeGreaterThan(0.9);
  });

  it('a bone window (the lungs below it read as air)', () => {
    const { decision, lungBelowThreshold } = errors(renderStack(phantom.volume, WINDOWS.bone), WINDOWS.bone);
    expect(decision.window.basis.rendering).toBe('bone');
    // Fat and soft tissue lie 15 grey levels apart in a 2,500 HU window: one level is 7 % of its
    // width, so both ends are placed within 12 % of it.
    expect(Math.abs(decision.window.lowHu - -770)).toBeLessThan(300);
    expect(Math.abs(decision.window.highHu - 1730)).toBeLessThan(300);
    expect(lungBelowThreshold).toBeGreaterThan(0.9);
  });

  it('an inverted (MONOCHROME1-like) lung window is recognised and turned back', () => {
    const { decision, meanError } = errors(renderStack(phantom.volume, WINDOWS.lung, { invert: true }), WINDOWS.lung);
    expect(decision.window.basis.inverted).toBe(true);
    expect(decision.window.basis.rendering).toBe('lung');
    expect(decision.warnings.map((w) => w.code)).toContain('inverted-rendering');
    expect(meanError).toBeLessThan(40);
  });

  it('a tight crop to the chest (no air around the body) is still a lung window', () => {
    const [nx, ny] = phantom.volume.dimensions;
    const full = renderStack(phantom.volume, WINDOWS.lung);
    // The crop keeps the middle 70 % of the width and height: body wall on every side.
    const x0 = Math.round(nx * 0.15);
    const y0 = Math.round(ny * 0.2);
    const w = Math.round(nx * 0.7);
    const h = Math.round(ny * 0.6);
    const slices = full.slices.map((s) => {
      const out = new Uint8Array(w * h);
      for (let y = 0; y < h; y++) out.set(s.subarray((y0 + y) * nx + x0, (y0 + y) * nx + x0 + w), y * w);
      return out;
    });
    const decision = recogniseRendering(stackOf(w, h, slices), 'The crop');
    expect(decision.window.basis.inverted).toBe(false);
    expect(decision.window.basis.rendering).toBe('lung');
    expect(decision.window.lowHu).toBeLessThan(-1000);
  });

  it('a pre-masked export (black outside the lungs) is recognised as such', () => {
    const v = phantom.volume;
    const n = v.sliceLength;
    const full = renderStack(v, WINDOWS.lung);
    const slices = full.slices.map((s, k) => s.map((g, i) => (phantom.lungMask[k * n + i] ? g : 0)));
    const decision = recogniseRendering(stackOf(full.width, full.height, slices), 'The masked stack');
    expect(decision.window.basis.rendering).toBe('pre-masked');
    expect(decision.window.note).toMatch(/pre-masked/);
  });

  it('16-bit images holding stored CT numbers (HU + 1024) are read as such', () => {
    const v = phantom.volume;
    const [nx, ny, nz] = v.dimensions;
    const slices = Array.from({ length: nz }, (_, k) => Uint16Array.from(v.slice(k), (x) => Math.max(0, x + 1024)));
    const decision = recogniseRendering(stackOf(nx, ny, slices, 65535), 'The 16-bit stack');
    expect(decision.window.basis.rendering).toBe('ct-numbers');
    const out = new Int16Array(nx * ny);
    greyToHu(slices[30]!, 65535, decision.window, out);
    expect(Array.from(out.subarray(0, 1000))).toEqual(Array.from(v.slice(30).subarray(0, 1000), (x) => Math.max(-1024, x)));
  });

  it('a 16-bit rendering (a window spread over 0…65535) is read like an 8-bit one', () => {
    const stack = renderStack(phantom.volume, WINDOWS.lung);
    const deep = stackOf(stack.width, stack.height, stack.slices.map((s) => Uint16Array.from(s, (g) => g * 257)), 65535);
    const decision = recogniseRendering(deep, 'The deep stack');
    expect(decision.window.basis.rendering).toBe('lung');
    expect(Math.abs(decision.window.lowHu - -1350)).toBeLessThan(60);
  });
});

describe('refusing what is not a CT rendering, with a code and a sentence', () => {
  it('a blank image', () => {
    const e = refusal(stackOf(64, 64, [new Uint8Array(64 * 64).fill(17)]));
    expect(e.code).toBe('blank-image');
    expect(e.message).toMatch(/blank: a single grey level/);
  });

  it('a colour photo with smooth gradients', () => {
    // The decoder gives luminance and the coloured share; here 100 % of the pixels are coloured.
    const rgba = photoRgba(160, 120);
    const grey = new Uint8Array(160 * 120).map((_, p) => Math.round(0.299 * rgba[4 * p]! + 0.587 * rgba[4 * p + 1]! + 0.114 * rgba[4 * p + 2]!));
    const e = refusal(stackOf(160, 120, [grey], 255, 0.9));
    expect(e.code).toBe('not-ct-colour');
    expect(e.message).toMatch(/colour picture .* photo, a chart or a colour map/);
  });

  it('a grey chart', () => {
    const e = refusal(stackOf(160, 120, [chartGrey(160, 120)]));
    expect(e.code).toBe('not-ct-graphics');
    expect(e.message).toMatch(/handful of grey levels/);
  });

  it('a chest X-ray-like projection of the same phantom', () => {
    const p = projectionOf(phantom);
    const e = refusal(stackOf(p.width, p.height, [p.grey]));
    expect(['not-ct-projection', 'not-ct-image']).toContain(e.code);
    expect(e.message).toMatch(/X-ray|not look like a CT slice/);
  });

  it('a 16-bit image that is neither CT numbers nor a rendering', () => {
    const w = 96;
    const ramp = Uint16Array.from({ length: w * w }, (_, p) => Math.round(((p % w) / w) * 40000 + (Math.floor(p / w) / w) * 20000));
    const e = refusal(stackOf(w, w, [ramp], 65535));
    expect(e.code).toBe('not-ct-values');
    expect(e.message).toMatch(/16-bit image whose values are neither stored CT numbers/);
  });

  it('an image too small to be a CT slice', () => {
    expect(refusal(stackOf(4, 3, [new Uint8Array(12).fill(9)])).code).toBe('not-ct-image');
  });
});

describe('sparse sets: each slice decided on its own', () => {
  it('slices rendered in different windows each get their own', () => {
    const lung = renderStack(phantom.volume, WINDOWS.lung, { slices: [20, 40] });
    const med = renderStack(phantom.volume, WINDOWS.mediastinal, { slices: [30] });
    const stack = stackOf(lung.width, lung.height, [lung.slices[0]!, med.slices[0]!, lung.slices[1]!]);
    const decision = recogniseRendering(stack, 'The mixed set', { perSlice: true });
    expect(decision.sliceWindows?.map((w) => w.basis.rendering)).toEqual(['lung', 'soft-tissue', 'lung']);
    expect(decision.warnings.map((w) => w.code)).toContain('rendering-per-slice');
  });
});
