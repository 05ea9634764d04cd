import { afterAll, describe, expect, it } from 'vitest';
import { LungLensError } from '../errors.js';
import { indexValues, niftiBytes, pngBytes, sampleBytes, scratchDir } from './__tests__/fixtures.js';
import { detectFormat, readFormatFile } from './index.js';

const scratch = scratchDir();
afterAll(() => scratch.cleanup());

describe('detectFormat', () => {
  const cases: [string, ReturnType<typeof detectFormat>][] = [
    ['/data/ct.nii', 'nifti'],
    ['/data/CT.NII.GZ', 'nifti'],
    ['scan.nii.gz', 'nifti'],
    ['scan.mhd', 'metaimage'],
    ['scan.MHA', 'metaimage'],
    ['Covid (1).png', 'image'],
    ['img3.jpg', 'image'],
    ['img3.JPEG', 'image'],
    ['scan.raw', null],
    ['scan.zraw', null],
    ['scan.gz', null],
    ['IM0001', null],
    ['scan.dcm', null],
    ['notes.nii.txt', null],
  ];
  for (const [path, expected] of cases) {
    it(`${path} → ${String(expected)}`, () => expect(detectFormat(path)).toBe(expected));
  }
});

describe('readFormatFile', () => {
  it('dispatches on the kind', async () => {
    const nii = scratch.file('a.nii', niftiBytes({ dims: [2, 2, 2], values: indexValues(2, 2, 2) }));
    expect((await readFormatFile('nifti', [nii])).source).toBe('nifti');
    const mha = scratch.file(
      'a.mha',
      Buffer.concat([
        Buffer.from('ObjectType = Image\nNDims = 3\nDimSize = 2 2 2\nElementType = MET_SHORT\nElementDataFile = LOCAL\n'),
        sampleBytes(indexValues(2, 2, 2), 'int16'),
      ]),
    );
    expect((await readFormatFile('metaimage', [mha])).source).toBe('metaimage');
    // A 1-pixel PNG reaches the image-stack reader, which judges it too small to be a CT slice.
    const png = scratch.file('a.png', pngBytes(1, 1, [9]));
    await expect(readFormatFile('image-stack', [png])).rejects.toMatchObject({ code: 'not-ct-image', message: expect.stringMatching(/too small to be a CT slice/) });
  });

  it('refuses several files for a one-file format', async () => {
    const error = await readFormatFile('nifti', ['a.nii', 'b.nii']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LungLensError);
    expect((error as LungLensError).code).toBe('usage');
  });
});
