import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hasSharedData, sharedData, sharedDataSkipReason } from '../testing/shared-data.js';
import { failure, jpegBytes, pngBytes, scratchDir } from './__tests__/fixtures.js';
import { ASSUMED_LUNG_WINDOW, readImageStack, sniffImageSize } from './image-stack.js';
import { naturalCompare, sortSliceFiles } from './natural-sort.js';

const scratch = scratchDir();
afterAll(() => scratch.cleanup());

/** The documented mapping: HU = −1350 + g / max · 1500, rounded. */
const hu = (g: number, max = 255): number => Math.round(-1350 + (g / max) * 1500);

describe('natural sort of slice file names', () => {
  const cases: [string[], string[]][] = [
    [['Covid (10).png', 'Covid (2).png', 'Covid (1).png'], ['Covid (1).png', 'Covid (2).png', 'Covid (10).png']],
    [['img10.jpg', 'img9.jpg', 'img100.jpg'], ['img9.jpg', 'img10.jpg', 'img100.jpg']],
    [['slice_010.png', 'slice_9.png', 'slice_0001.png'], ['slice_0001.png', 'slice_9.png', 'slice_010.png']],
    [['b.png', 'A.png', 'c.png'], ['A.png', 'b.png', 'c.png']],
    [['s2_10.png', 's10_1.png', 's2_9.png'], ['s2_9.png', 's2_10.png', 's10_1.png']],
    [['x7.png', 'x007.png'], ['x7.png', 'x007.png']],
  ];
  for (const [input, expected] of cases) {
    it(`orders ${input.join(', ')}`, () => {
      expect(sortSliceFiles(input)).toEqual(expected);
      expect(sortSliceFiles(input.map((n) => `/data/${n}`))).toEqual(expected.map((n) => `/data/${n}`));
    });
  }
  it('is a consistent comparison', () => {
    expect(naturalCompare('a2', 'a10')).toBeLessThan(0);
    expect(naturalCompare('a10', 'a2')).toBeGreaterThan(0);
    expect(naturalCompare('a2', 'a2')).toBe(0);
  });
});

describe('readImageStack', () => {
  it('stacks PNG slices in natural name order and maps grey through the assumed lung window', async () => {
    const w = 4;
    const h = 3;
    const names = ['Covid (10).png', 'Covid (2).png', 'Covid (1).png'];
    const sliceGrey = { 'Covid (1).png': 0, 'Covid (2).png': 100, 'Covid (10).png': 200 } as Record<string, number>;
    const files = names.map((n) => {
      const grey = Array.from({ length: w * h }, (_, p) => sliceGrey[n]! + p * 4);
      return scratch.file(n, pngBytes(w, h, grey));
    });
    const r = await readImageStack(files);
    expect(r.files.map((f) => path.basename(f))).toEqual(['Covid (1).png', 'Covid (2).png', 'Covid (10).png']);
    const v = r.volume;
    expect(v.dimensions).toEqual([4, 3, 3]);
    expect(v.units).toBe('unknown');
    expect(v.assumedWindow).toMatchObject({ lowHu: -1350, highHu: 150 });
    expect(v.spacingMm).toEqual([1, 1, 1]);
    expect(v.direction).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 1]);
    expect(v.originLps).toEqual([0, 0, 0]);
    for (let k = 0; k < 3; k++) {
      for (let p = 0; p < w * h; p++) expect(v.voxels[k * w * h + p]).toBe(hu(k * 100 + p * 4));
    }
    expect(r.warnings.map((w) => w.code)).toEqual(['spacing-unknown', 'values-uncalibrated', 'slice-order-from-names']);
    expect(r.source).toBe('image-stack');
  });

  it('maps the ends of the 8-bit range to the ends of the window', async () => {
    const file = scratch.file('ends.png', pngBytes(2, 1, [0, 255]));
    const r = await readImageStack([file]);
    expect(Array.from(r.volume.voxels)).toEqual([ASSUMED_LUNG_WINDOW.lowHu, ASSUMED_LUNG_WINDOW.highHu]);
  });

  it('converts colour to luminance and ignores alpha', async () => {
    const rgba = [255, 0, 0, 255, 0, 255, 0, 0, 10, 10, 10, 0, 0, 0, 255, 128];
    const r = await readImageStack([scratch.file('colour.png', pngBytes(4, 1, rgba, { channels: 4 }))]);
    expect(Array.from(r.volume.voxels)).toEqual([hu(0.299 * 255), hu(0.587 * 255), hu(10), hu(0.114 * 255)]);
    expect(r.warnings.map((w) => w.code)).toContain('colour-converted');
    const rgb = await readImageStack([scratch.file('rgb.png', pngBytes(1, 1, [30, 30, 30], { channels: 3 }))]);
    expect(Array.from(rgb.volume.voxels)).toEqual([hu(30)]);
  });

  it('scales 16-bit PNGs over their full range, as uncalibrated too', async () => {
    const r = await readImageStack([scratch.file('deep.png', pngBytes(3, 1, [0, 32768, 65535], { bitDepth: 16 }))]);
    expect(Array.from(r.volume.voxels)).toEqual([-1350, hu(32768, 65535), 150]);
    expect(r.volume.units).toBe('unknown');
    expect(r.warnings.map((w) => w.code)).toContain('bit-depth');
  });

  it('reads JPEG slices (lossy: within one grey level)', async () => {
    const a = scratch.file('img9.jpg', jpegBytes(16, 16, new Array(256).fill(60)));
    const b = scratch.file('img10.jpg', jpegBytes(16, 16, new Array(256).fill(180)));
    const r = await readImageStack([b, a]);
    expect(r.files).toEqual([a, b]);
    const [first, second] = [r.volume.slice(0), r.volume.slice(1)];
    for (const x of first) expect(Math.abs(x - hu(60))).toBeLessThanOrEqual(6);
    for (const x of second) expect(Math.abs(x - hu(180))).toBeLessThanOrEqual(6);
  });

  it('rejects images of different sizes', async () => {
    const a = scratch.file('size-a.png', pngBytes(2, 2, [0, 0, 0, 0]));
    const b = scratch.file('size-b.png', pngBytes(3, 1, [0, 0, 0]));
    const e = await failure(readImageStack([a, b]));
    expect(e.code).toBe('inconsistent-series');
    expect(e.message).toMatch(/3×1.*2×2/);
  });

  it('rejects what is not an image, a broken image, an empty file and an empty list', async () => {
    expect((await failure(readImageStack([scratch.file('text.png', 'not a picture')]))).code).toBe('not-an-image');
    const png = pngBytes(8, 8, new Array(64).fill(7));
    expect((await failure(readImageStack([scratch.file('cut.png', png.subarray(0, 40))]))).code).toBe('corrupt-file');
    const jpg = jpegBytes(16, 16, new Array(256).fill(7));
    expect((await failure(readImageStack([scratch.file('cut.jpg', jpg.subarray(0, 30))]))).code).toBe('corrupt-file');
    expect((await failure(readImageStack([scratch.file('empty.png', '')]))).code).toBe('empty-file');
    expect((await failure(readImageStack([]))).code).toBe('nothing-found');
    expect((await failure(readImageStack([path.join(scratch.dir, 'missing.png')]))).code).toBe('unreadable');
  });
});

describe.skipIf(!hasSharedData)(`readImageStack on the shared COVID slices (skipped when absent: ${sharedDataSkipReason})`, () => {
  for (const folder of ['COVID', 'NonCOVID']) {
    it(`stacks the largest same-size group of slices-2d/${folder} in natural order`, async () => {
      const dir = sharedData('slices-2d', folder);
      const files = readdirSync(dir)
        .filter((f) => /\.(png|jpe?g)$/i.test(f))
        .map((f) => path.join(dir, f));
      const groups = new Map<string, string[]>();
      for (const f of files) {
        const size = sniffImageSize(readFileSync(f));
        expect(size, f).not.toBeNull();
        const key = `${size!.width}x${size!.height}`;
        groups.set(key, [...(groups.get(key) ?? []), f]);
      }
      // The folder mixes sizes: stacking it whole must be refused, not garbled.
      if (groups.size > 1) expect((await failure(readImageStack(files))).code).toBe('inconsistent-series');

      // jpeg-js needs ≈ 40 ms per 512² slice: 16 slices keep the test quick and still make a stack.
      const [key, whole] = [...groups.entries()].sort((a, b) => b[1].length - a[1].length)[0]!;
      const group = sortSliceFiles(whole).slice(0, 16).reverse();
      const r = await readImageStack(group);
      const [w, h] = key.split('x').map(Number) as [number, number];
      expect(r.volume.dimensions).toEqual([w, h, group.length]);
      expect(r.files).toEqual([...group].sort((a, b) => naturalCompare(path.basename(a), path.basename(b))));
      const stats = r.volume.statistics();
      expect(stats.min).toBeGreaterThanOrEqual(-1350);
      expect(stats.max).toBeLessThanOrEqual(150);
      // Lung-window slices are mostly dark (air, lungs) with bright tissue: a spread of values.
      expect(stats.max - stats.min).toBeGreaterThan(500);
      // Each slice is the file read on its own.
      for (const k of [0, group.length - 1]) {
        const single = await readImageStack([r.files[k]!]);
        expect(r.volume.slice(k)).toEqual(single.volume.slice(0));
      }
    });
  }
});
