/**
 * Files that trip readers up: fragmented frames without an offset table, a JP2 wrapper inside a
 * fragment, JPEG 2000 whose signedness disagrees with PixelRepresentation, a lossless JPEG from
 * a buggy encoder, and transfer syntaxes we refuse. Where a reference decoder is installed
 * (GDCM's gdcmconv, dcmtk's dcmdjpeg) its output is compared pixel for pixel.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { LungLensError } from '../../errors.js';
import { hasSharedData, sharedData, sharedDataSkipReason } from '../../testing/shared-data.js';
import { decodeFrame } from './decode-frame.js';
import { frameBytes } from './frame-bytes.js';
import { IDENTICAL, comparePixels, decodeFile, frameInfoOf, framesOf, hasTool, nativeReference, readDicom, runTool, transferSyntaxOf } from './test-support.js';
import { unsupportedTransferSyntaxReason } from './transfer-syntax.js';

const skipped = hasSharedData ? '' : ` — skipped: ${sharedDataSkipReason}`;
const corpus = (...parts: string[]) => sharedData('dicom-corpus', ...parts);
let work: string | null = null;
/** A scratch folder, made on first use (so skipped runs leave nothing behind) and removed after. */
const workDir = (): string => (work ??= mkdtempSync(path.join(tmpdir(), 'lunglens-pixels-')));
afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

/** The file decompressed by a reference tool, as stored values per frame (null when the tool is missing). */
function referenceDecode(tool: 'gdcmconv' | 'dcmdjpeg', file: string, extra: string[] = []): number[][] | null {
  if (!hasTool(tool)) return null;
  const out = path.join(workDir(), `${tool}-${path.basename(file)}-${extra.join('')}.dcm`);
  runTool(tool, tool === 'gdcmconv' ? ['--raw', ...extra, file, out] : [...extra, file, out]);
  return nativeReference(out);
}

function mostCommon(values: ArrayLike<number>): number {
  const counts = new Map<number, number>();
  for (let i = 0; i < values.length; i++) counts.set(values[i]!, (counts.get(values[i]!) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1])[0]![0];
}

function range(values: ArrayLike<number>): [number, number] {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    min = Math.min(min, values[i]!);
    max = Math.max(max, values[i]!);
  }
  return [min, max];
}

describe.skipIf(!hasSharedData)(`fragmented and wrapped codestreams${skipped}`, () => {
  const twoFrames = corpus('cornerstone_wado_testimages/testImages/CT0012.fragmented_no_bot_jpeg_baseline.51.dcm');

  it('splits a 2-frame file with many fragments and no offset table into its two JPEG frames', async () => {
    const ds = readDicom(twoFrames);
    const el = ds.elements.x7fe00010!;
    expect(el.basicOffsetTable).toEqual([]);
    expect(el.fragments!.length).toBeGreaterThan(2);
    const info = frameInfoOf(ds);
    const frames = [0, 1].map((i) => frameBytes(ds, i, info, 2, transferSyntaxOf(ds)));
    for (const f of frames) {
      expect([f[0], f[1]]).toEqual([0xff, 0xd8]);
      expect(Array.from(f.subarray(-2))).toEqual([0xff, 0xd9]);
    }
    expect(frames[0]!.length + frames[1]!.length).toBe(el.fragments!.reduce((sum, f) => sum + f.length, 0));
    const decoded = await decodeFile(twoFrames);
    expect(decoded.frames).toHaveLength(2);
    expect(comparePixels(decoded.frames[0]!, decoded.frames[1]!).mismatches).toBeGreaterThan(1000);
    const reference = referenceDecode('dcmdjpeg', twoFrames);
    if (reference) decoded.frames.forEach((f, i) => expect(comparePixels(f, reference[i]!)).toEqual(IDENTICAL));
  });

  it.each([
    ['ELSCINT1_JP2vsJ2K.dcm (JP2 header in the fragment)', corpus('pylibjpeg_data/ljdata/ds/JPEG2000/ELSCINT1_JP2vsJ2K.dcm')],
    ['MAROTECH_CT_JP2Lossy.dcm (JP2 header, 716 rows)', corpus('pylibjpeg_data/ljdata/ds/JPEG2000/MAROTECH_CT_JP2Lossy.dcm')],
  ])('decodes %s like GDCM', async (_name, file) => {
    const ds = readDicom(file);
    const encoded = frameBytes(ds, 0, frameInfoOf(ds), 1, transferSyntaxOf(ds));
    expect(Array.from(encoded.subarray(4, 8), (c) => String.fromCharCode(c)).join('')).toBe('jP  ');
    const decoded = await decodeFile(file);
    expect(decoded.frames[0]).toBeInstanceOf(Uint16Array);
    const [, max] = range(decoded.frames[0]!);
    expect(max).toBeLessThanOrEqual(4095);
    expect(max).toBeGreaterThan(3000);
    const reference = referenceDecode('gdcmconv', file);
    if (reference) expect(comparePixels(decoded.frames[0]!, reference[0]!)).toEqual(IDENTICAL);
  });
});

/**
 * JPEG 2000 codestreams whose signedness disagrees with PixelRepresentation: whichever says signed
 * wins. With a signed header that is what pydicom's J2K sign correction and GDCM do; with a signed
 * codestream under an unsigned header GDCM keeps the header (air becomes 63488), and we keep the
 * codestream's sign instead, which gives exactly the image of the correctly labelled twin.
 * [file, array type, most common value (the padding), min, max]
 */
const mismatched: [string, string, number, number, number][] = [
  ['pylibjpeg_data/ljdata/ds/JPEG2000Lossless/J2K_pixelrep_mismatch.dcm', 'Int16Array', -2000, -2000, 1896],
  ['debian_python3_pydicom_2.3.1/J2K_pixelrep_mismatch.dcm', 'Int16Array', -2000, -2000, 1896],
  ['pylibjpeg_data/ljdata/ds/JPEG2000Lossless/TOSHIBA_J2K_SIZ0_PixRep1.dcm', 'Int16Array', -2048, -2048, 1717],
  ['pylibjpeg_data/ljdata/ds/JPEG2000Lossless/TOSHIBA_J2K_OpenJPEGv2Regression.dcm', 'Int16Array', -2048, -2048, 1969],
  // Signed codestream, unsigned header: the codestream's sign wins (GDCM differs, see above).
  ['pylibjpeg_data/ljdata/ds/JPEG2000Lossless/TOSHIBA_J2K_SIZ1_PixRep0.dcm', 'Int16Array', -2048, -2048, 1717],
];
const TWINS: Record<string, string> = {
  'pylibjpeg_data/ljdata/ds/JPEG2000Lossless/TOSHIBA_J2K_SIZ1_PixRep0.dcm': 'pylibjpeg_data/ljdata/ds/JPEG2000Lossless/TOSHIBA_J2K_SIZ0_PixRep1.dcm',
};

describe.skipIf(!hasSharedData)(`JPEG 2000 signedness that disagrees with PixelRepresentation${skipped}`, () => {
  it.each(mismatched)('%s', async (file, type, padding, min, max) => {
    const decoded = await decodeFile(corpus(file));
    const pixels = decoded.frames[0]!;
    expect(pixels.constructor.name).toBe(type);
    expect(mostCommon(pixels)).toBe(padding);
    expect(range(pixels)).toEqual([min, max]);
    expect(decoded.warnings.map((w) => w.code)).toEqual(['j2k-signedness-mismatch']);
    const twin = TWINS[file];
    if (twin) {
      expect(comparePixels(pixels, (await decodeFile(corpus(twin))).frames[0]!)).toEqual(IDENTICAL);
      return;
    }
    const reference = referenceDecode('gdcmconv', corpus(file));
    if (reference) expect(comparePixels(pixels, reference[0]!)).toEqual(IDENTICAL);
  });
});

describe.skipIf(!hasSharedData)(`lossless JPEG from an encoder with the predictor-6 overflow bug${skipped}`, () => {
  const files = ['okieraised_sample_dicom/SignedShortLosslessBug.dcm', 'pylibjpeg_data/ljdata/ds/JPEGLossless/JPEGLossless_1s_1f_i_16_16_bad.dcm'];

  it.each(files)('%s decodes to a CT image, as dcmtk does with +w6', async (file) => {
    const decoded = await decodeFile(corpus(file));
    const pixels = decoded.frames[0]!;
    expect(decoded.warnings.map((w) => w.code)).toEqual(['jpeg-predictor6-overflow']);
    expect(range(pixels)).toEqual([-2000, 4095]);
    expect(mostCommon(pixels)).toBe(-2000);
    // dcmdjpeg (without +w6) and GDCM decode the stream literally and give a garbled image,
    // a third of it beyond ±4000; with +w6 dcmtk agrees with us on every pixel.
    const workaround = referenceDecode('dcmdjpeg', corpus(file), ['+w6']);
    if (workaround) expect(comparePixels(pixels, workaround[0]!)).toEqual(IDENTICAL);
    const literal = referenceDecode('dcmdjpeg', corpus(file));
    if (literal) expect(literal[0]!.filter((v) => Math.abs(v) > 4000).length).toBeGreaterThan(pixels.length / 4);
  });
});

/** The transfer syntax of a file whose file meta group is written in implicit VR (GE's habit). */
function implicitMetaTransferSyntax(bytes: Uint8Array): string {
  for (let p = 132; p + 8 <= bytes.length; ) {
    const view = new DataView(bytes.buffer, bytes.byteOffset + p, 8);
    const length = view.getUint32(4, true);
    if (view.getUint16(0, true) === 0x0002 && view.getUint16(2, true) === 0x0010) {
      return new TextDecoder().decode(bytes.subarray(p + 8, p + 8 + length)).replace(/[\0 ]+$/, '');
    }
    p += 8 + length;
  }
  throw new Error('no transfer syntax');
}

describe.skipIf(!hasSharedData)(`files LungLens refuses, with a code and a sentence${skipped}`, () => {
  const info = { rows: 512, columns: 512, bitsAllocated: 16, bitsStored: 12, highBit: 11, pixelRepresentation: 0 as const, samplesPerPixel: 1, planarConfiguration: 0 as const, photometricInterpretation: 'MONOCHROME2' };

  it('GE private implicit VR big endian (1.2.840.113619.5.2)', async () => {
    const bytes = readFileSync(corpus('okieraised_sample_dicom/PrivateGEImplicitVRBigEndianTransferSyntax16Bits.dcm'));
    const uid = implicitMetaTransferSyntax(bytes);
    expect(uid).toBe('1.2.840.113619.5.2');
    expect(unsupportedTransferSyntaxReason(uid)).toMatch(/^The transfer syntax GE's private Implicit VR Big Endian \(1\.2\.840\.113619\.5\.2\) .*\.$/);
    await expect(decodeFrame(uid, bytes.subarray(-512 * 512 * 2), info)).rejects.toMatchObject({ name: 'LungLensError', code: 'unsupported-transfer-syntax' });
  });

  it.each([
    ['CTImage.dcm_JPEGProcess6_8TransferSyntax_1.2.840.10008.1.2.4.53.dcm', /Process 6 & 8\) \(1\.2\.840\.10008\.1\.2\.4\.53\) is a retired JPEG process/],
    ['CTImage.dcm_JPEGProcess10_12TransferSyntax_1.2.840.10008.1.2.4.55.dcm', /Process 10 & 12\) \(1\.2\.840\.10008\.1\.2\.4\.55\) is a retired JPEG process/],
  ])('%s', async (name, sentence) => {
    const ds = readDicom(corpus('cornerstone_wado_testimages/testImages', name));
    const uid = transferSyntaxOf(ds);
    const frame = frameBytes(ds, 0, frameInfoOf(ds), framesOf(ds), uid);
    const error: unknown = await decodeFrame(uid, frame, frameInfoOf(ds)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LungLensError);
    expect(error).toMatchObject({ code: 'unsupported-transfer-syntax', message: expect.stringMatching(sentence) });
  });

  it('a file without pixel data', () => {
    const ds = readDicom(corpus('cornerstone_wado_testimages/testImages/no-pixel-data.dcm'));
    expect(() => frameBytes(ds, 0, info, 1, transferSyntaxOf(ds))).toThrowError(expect.objectContaining({ code: 'no-pixel-data' }));
  });

  it('a palette-colour image', async () => {
    const ds = readDicom(corpus('cornerstone_wado_testimages/testImages/no-pixel-spacing.dcm'));
    const uid = transferSyntaxOf(ds);
    const frameInfo = frameInfoOf(ds);
    await expect(decodeFrame(uid, frameBytes(ds, 0, frameInfo, 1, uid), frameInfo)).rejects.toMatchObject({ code: 'unsupported-pixel-format', message: expect.stringMatching(/PALETTE COLOR/) });
  });

  it('a truncated native file', () => {
    const bytes = readFileSync(corpus('cornerstone_wado_testimages/testImages/CTImage.dcm_LittleEndianExplicitTransferSyntax_1.2.840.10008.1.2.1.dcm'));
    const ds = readDicom(corpus('cornerstone_wado_testimages/testImages/CTImage.dcm_LittleEndianExplicitTransferSyntax_1.2.840.10008.1.2.1.dcm'));
    const truncated = { ...ds, byteArray: ds.byteArray.subarray(0, bytes.length - 1000) };
    expect(() => frameBytes(truncated, 0, frameInfoOf(ds), 1, transferSyntaxOf(ds))).toThrowError(expect.objectContaining({ code: 'corrupt-file', message: expect.stringMatching(/truncated/) }));
  });
});

describe.skipIf(!hasSharedData)(`damaged frames through the WASM codecs${skipped}`, () => {
  const cases = [
    'CTImage.dcm_JPEG2000LosslessOnlyTransferSyntax_1.2.840.10008.1.2.4.90.dcm',
    'CTImage.dcm_JPEGLSLosslessTransferSyntax_1.2.840.10008.1.2.4.80.dcm',
    'CTImage.dcm_JPEGProcess1TransferSyntax_1.2.840.10008.1.2.4.50.dcm',
  ];

  it.each(cases)('%s: a truncated frame is a LungLensError, nothing is printed, and the codec still works after', async (name) => {
    const ds = readDicom(corpus('cornerstone_wado_testimages/testImages', name));
    const uid = transferSyntaxOf(ds);
    const info = frameInfoOf(ds);
    const whole = frameBytes(ds, 0, info, 1, uid);
    const stdout = vi.spyOn(process.stdout, 'write');
    try {
      for (const broken of [whole.subarray(0, whole.length >> 1), whole.subarray(0, 64)]) {
        const error: unknown = await decodeFrame(uid, broken, info).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(LungLensError);
        expect((error as LungLensError).code).toMatch(/^(codec-failed|corrupt-file)$/);
      }
      expect(stdout).not.toHaveBeenCalled();
    } finally {
      stdout.mockRestore();
    }
    expect(process.exitCode).toBeUndefined();
    const decoded = await decodeFrame(uid, whole, info);
    expect(decoded.pixels).toHaveLength(512 * 512);
  });

  it('a JPEG-LS frame damaged inside fails in CharLS as codec-failed, and the next frame decodes', async () => {
    const ds = readDicom(corpus('cornerstone_wado_testimages/testImages', cases[1]!));
    const uid = transferSyntaxOf(ds);
    const info = frameInfoOf(ds);
    const whole = frameBytes(ds, 0, info, 1, uid);
    const damaged = whole.slice();
    for (let i = 2000; i < 2100; i++) damaged[i]! ^= 0x5a;
    await expect(decodeFrame(uid, damaged, info)).rejects.toMatchObject({ code: 'codec-failed', message: expect.stringMatching(/^The JPEG-LS decoder could not decode the frame/) });
    expect(comparePixels((await decodeFrame(uid, whole, info)).pixels, nativeReference(corpus('cornerstone_wado_testimages/testImages', 'CTImage.dcm_LittleEndianExplicitTransferSyntax_1.2.840.10008.1.2.1.dcm'))[0]!)).toEqual(IDENTICAL);
  });
});
