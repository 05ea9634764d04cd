import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeLungMask } from '../lung/index.js';
import { generateCase, planCases, writePngStack, type PhantomCase } from '../phantom/index.js';
import { hasSharedData, sharedData, sharedDataSkipReason } from '../testing/shared-data.js';
import { failure, jpegBytes, pngBytes, scratchDir } from './__tests__/fixtures.js';
import { decodeImage } from './image-decode.js';
import { readImageStack, sniffImageSize } from './image-stack.js';
import { naturalCompare, sortSliceFiles } from './natural-sort.js';

const scratch = scratchDir();
afterAll(() => scratch.cleanup());

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

describe('readImageStack on a phantom written as 8-bit PNG slices (the truth known, the spacing dropped)', () => {
  let phantom: PhantomCase;
  let lungFiles: string[];
  let mediastinalFiles: string[];
  beforeAll(async () => {
    const [spec] = planCases({ count: 1, seed: 'image-stack-tests', size: 256, slices: [60, 60] });
    phantom = generateCase(spec!);
    lungFiles = await writePngStack(phantom.volume, path.join(scratch.dir, 'lung'), { window: 'lung' });
    mediastinalFiles = await writePngStack(phantom.volume, path.join(scratch.dir, 'mediastinal'), { window: 'mediastinal' });
  });

  it('orders the slices by name, recognises the lung window and says what it assumed', async () => {
    const r = await readImageStack([...lungFiles].reverse());
    expect(r.files).toEqual(lungFiles);
    const v = r.volume;
    expect(v.dimensions).toEqual(phantom.volume.dimensions);
    expect(v.units).toBe('unknown');
    expect(v.assumedWindow?.basis?.rendering).toBe('lung');
    expect(Math.abs(v.assumedWindow!.lowHu - -1350)).toBeLessThan(60);
    expect(v.contiguous).toBe(true);
    expect(v.spacing.source).toBe('estimated');
    expect(v.spacing.basis).toMatch(/Pixel size .* mm estimated from the lungs' width/);
    expect(r.warnings.map((w) => w.code)).toEqual(['values-uncalibrated', 'spacing-estimated', 'slice-order-from-names']);
    expect(r.warnings[0]!.message).toMatch(/lung window .* placed by the air around the body/);
    expect(r.source).toBe('image-stack');
    // Each slice is the same whether read alone or in the stack (one window for the stack).
    const [nx, ny] = v.dimensions;
    const truth = phantom.volume.slice(30);
    let err = 0;
    let n = 0;
    for (let i = 0; i < nx * ny; i++) {
      if (truth[i]! > -1300 && truth[i]! < 100) {
        err += Math.abs(v.slice(30)[i]! - truth[i]!);
        n++;
      }
    }
    expect(err / n).toBeLessThan(40);
  });

  it('estimates the spacing from anatomy, within the spread of adult sizes, and the given spacing wins', async () => {
    const r = await readImageStack(lungFiles);
    const [sx, , sz] = phantom.volume.spacingMm;
    const [ex, ey, ez] = r.volume.spacingMm;
    expect(ex).toBe(ey);
    // The phantom's patient is drawn from adult and child sizes; the estimate assumes an adult.
    expect(ex / sx).toBeGreaterThan(0.6);
    expect(ex / sx).toBeLessThan(1.6);
    expect(ez / sz).toBeGreaterThan(0.6);
    expect(ez / sz).toBeLessThan(1.6);
    const given = await readImageStack(lungFiles, { spacingMm: [0.8, 0.8, 2.5] });
    expect(given.volume.spacingMm).toEqual([0.8, 0.8, 2.5]);
    expect(given.volume.spacing).toEqual({ source: 'given' });
    expect(given.warnings.map((w) => w.code)).toContain('spacing-given');
  });

  it('reads a mediastinal-window stack with the lungs as air, so that the lung mask finds them', async () => {
    const r = await readImageStack(mediastinalFiles);
    expect(r.volume.assumedWindow?.basis?.rendering).toBe('soft-tissue');
    expect(r.warnings[0]!.message).toMatch(/read as air \(−1000 HU\)/);
    const mask = computeLungMask(r.volume);
    expect(mask.status).toBe('ok');
    expect(mask.slicesWithLung).toBeGreaterThan(20);
  });

  it('analyses a sparse set (a few slices far apart) slice by slice, with a warning', async () => {
    const picked = [8, 22, 30, 45].map((k) => lungFiles[k]!);
    const r = await readImageStack(picked);
    expect(r.volume.contiguous).toBe(false);
    expect(r.warnings.map((w) => w.code)).toContain('not-contiguous');
    expect(r.warnings.find((w) => w.code === 'not-contiguous')!.message).toMatch(/do not form a contiguous volume/);
    const mask = computeLungMask(r.volume);
    expect(mask.status).toBe('ok');
    expect(mask.slicesWithLung).toBeGreaterThanOrEqual(3);
  });

  it('reads a pre-masked export (black outside the lungs) and masks what it kept, saying so', async () => {
    const n = phantom.volume.sliceLength;
    const kept = phantom.volume.voxels.map((v, i) => (phantom.lungMask[i] ? v : -2000));
    const masked = { ...phantom.volume, voxels: kept, slice: (k: number) => kept.subarray(k * n, (k + 1) * n) } as unknown as PhantomCase['volume'];
    const files = await writePngStack(masked, path.join(scratch.dir, 'masked'), { window: 'lung' });
    const r = await readImageStack(files);
    expect(r.volume.assumedWindow?.basis?.rendering).toBe('pre-masked');
    const mask = computeLungMask(r.volume);
    expect(mask.status).toBe('ok');
    expect(mask.warnings?.map((w) => w.code)).toEqual(['pre-masked']);
    let both = 0;
    let truth = 0;
    let found = 0;
    for (let i = 0; i < mask.mask.length; i++) {
      truth += phantom.lungMask[i]!;
      found += mask.mask[i]!;
      if (mask.mask[i] && phantom.lungMask[i]) both++;
    }
    // Dice against the truth (partial-volume voxels at the lungs' edge make up the difference).
    expect((2 * both) / (truth + found)).toBeGreaterThan(0.85);
  });

  it('reads an inverted rendering the same as the plain one', async () => {
    const files = await writePngStack(phantom.volume, path.join(scratch.dir, 'inverted'), { window: 'lung', invert: true });
    const [plain, inverted] = [await readImageStack(lungFiles), await readImageStack(files)];
    expect(inverted.volume.assumedWindow?.basis?.inverted).toBe(true);
    expect(inverted.warnings.map((w) => w.code)).toContain('inverted-rendering');
    expect(Array.from(inverted.volume.slice(30).subarray(0, 4096))).toEqual(Array.from(plain.volume.slice(30).subarray(0, 4096)));
  });

  it('reads JPEG slices (lossy) to the same window within a few HU', async () => {
    const [nx, ny] = phantom.volume.dimensions;
    const jpegs = lungFiles.slice(20, 30).map((f, i) => {
      const grey = decodeImage(readFileSync(f), f).grey;
      return scratch.file(`img${i + 1}.jpg`, jpegBytes(nx, ny, grey, 95));
    });
    const r = await readImageStack(jpegs);
    expect(r.volume.assumedWindow?.basis?.rendering).toBe('lung');
    expect(Math.abs(r.volume.assumedWindow!.lowHu - -1350)).toBeLessThan(100);
  });
});

describe('readImageStack refusals: a sentence each, nothing crashes', () => {
  it('a blank image, a colour photo, images of different sizes, a broken file, an empty list', async () => {
    const blank = scratch.file('blank.png', pngBytes(64, 64, new Array(64 * 64).fill(0)));
    expect((await failure(readImageStack([blank]))).code).toBe('blank-image');
    const rgb = Array.from({ length: 96 * 64 }, (_, p) => [(p * 7) % 256, (p % 96) * 2, 255 - ((p * 3) % 256)]).flat();
    const photo = scratch.file('photo.png', pngBytes(96, 64, rgb, { channels: 3 }));
    const e = await failure(readImageStack([photo]));
    expect(e.code).toBe('not-ct-colour');
    expect(e.message).toMatch(/photo\.png is a colour picture/);
    const a = scratch.file('size-a.png', pngBytes(2, 2, [0, 0, 0, 0]));
    const b = scratch.file('size-b.png', pngBytes(3, 1, [0, 0, 0]));
    expect((await failure(readImageStack([a, b]))).code).toBe('inconsistent-series');
    expect((await failure(readImageStack([scratch.file('text.png', 'not a picture')]))).code).toBe('not-an-image');
    expect((await failure(readImageStack([scratch.file('empty.png', '')]))).code).toBe('empty-file');
    expect((await failure(readImageStack([]))).code).toBe('nothing-found');
    expect((await failure(readImageStack([path.join(scratch.dir, 'missing.png')]))).code).toBe('unreadable');
  });
});

describe.skipIf(!hasSharedData)(`readImageStack on the shared COVID slices (skipped when absent: ${sharedDataSkipReason})`, () => {
  for (const folder of ['COVID', 'NonCOVID']) {
    it(`every same-size group of slices-2d/${folder} reads, with a window and its basis, an estimated spacing and a lung mask`, async () => {
      const dir = sharedData('slices-2d', folder);
      const groups = new Map<string, string[]>();
      for (const f of readdirSync(dir).filter((n) => /\.(png|jpe?g)$/i.test(n))) {
        const size = sniffImageSize(readFileSync(path.join(dir, f)))!;
        const key = `${size.width}x${size.height}`;
        groups.set(key, [...(groups.get(key) ?? []), path.join(dir, f)]);
      }
      for (const [key, whole] of groups) {
        // jpeg-js needs ≈ 40 ms per 512² slice: 24 slices of the large group keep the test quick.
        const files = sortSliceFiles(whole).slice(0, 24);
        const r = await readImageStack(files);
        expect(r.volume.assumedWindow?.basis?.rule, key).toBeTruthy();
        expect(r.volume.spacing.source, key).toBe('estimated');
        expect(r.volume.spacingMm[0], key).toBeGreaterThan(0.3);
        expect(r.volume.spacingMm[0], key).toBeLessThan(2);
        // Single slices, or slices of different patients: not a contiguous volume.
        expect(r.volume.contiguous, key).toBe(false);
        const mask = computeLungMask(r.volume);
        expect(mask.status, `${key}: ${mask.reason ?? ''}`).toBe('ok');
        expect(mask.slicesWithLung, key).toBeGreaterThan(0);
      }
    });
  }
});
