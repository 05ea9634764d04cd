/**
 * Real CT from ../shared/data: every pixel of every lossless transfer syntax against an
 * uncompressed twin of the same image, and the lossy ones within bounds justified per codec.
 */
import { describe, expect, it } from 'vitest';
import { hasSharedData, sharedData, sharedDataSkipReason } from '../../testing/shared-data.js';
import { frameBytes } from './frame-bytes.js';
import { IDENTICAL, comparePixels, decodeFile, framesOf, frameInfoOf, jpegLsNear, nativeReference, readDicom, transferSyntaxOf } from './test-support.js';

const skipped = hasSharedData ? '' : ` — skipped: ${sharedDataSkipReason}`;
const testImages = (name: string) => sharedData('dicom-corpus/cornerstone_wado_testimages/testImages', `CTImage.dcm_${name}`);
const wg04 = (folder: string, name: string) => sharedData('dicom-corpus/dicom_test_files_wg04/data/WG04', folder, name);
const wg04Reference = (ct: string) => sharedData('dicom-corpus/dicom_test_files_wg04/derived_decompressed', `WG04__REF__${ct}_UNC`);
const CT_IMAGE = testImages('LittleEndianExplicitTransferSyntax_1.2.840.10008.1.2.1.dcm');

/** [file, its uncompressed twin] */
const lossless: [string, string][] = [
  [sharedData('dicom-corpus/cornerstone_wado_testimages/testImages/CTImage.dcm'), CT_IMAGE],
  [testImages('LittleEndianImplicitTransferSyntax_1.2.840.10008.1.2.dcm'), CT_IMAGE],
  [testImages('BigEndianExplicitTransferSyntax_1.2.840.10008.1.2.2.dcm'), CT_IMAGE],
  [testImages('DeflatedExplicitVRLittleEndianTransferSyntax_1.2.840.10008.1.2.1.99.dcm'), CT_IMAGE],
  [testImages('JPEGProcess14TransferSyntax_1.2.840.10008.1.2.4.57.dcm'), CT_IMAGE],
  [testImages('JPEGProcess14SV1TransferSyntax_1.2.840.10008.1.2.4.70.dcm'), CT_IMAGE],
  [testImages('JPEGLSLosslessTransferSyntax_1.2.840.10008.1.2.4.80.dcm'), CT_IMAGE],
  [testImages('JPEG2000LosslessOnlyTransferSyntax_1.2.840.10008.1.2.4.90.dcm'), CT_IMAGE],
  [testImages('RLELosslessTransferSyntax_1.2.840.10008.1.2.5.dcm'), CT_IMAGE],
  ...['J2KR', 'JLSL', 'JPLL', 'RLE'].flatMap((folder) =>
    ['CT1', 'CT2'].map((ct): [string, string] => [wg04(folder, `${ct}_${folder}`), wg04Reference(ct)]),
  ),
  [sharedData('dicom-corpus/cornerstone_wado_testimages/testImages/CT1_J2KR'), wg04Reference('CT1')],
  [sharedData('dicom-corpus/cornerstone_wado_testimages/testImages/CT2_J2KR'), wg04Reference('CT2')],
  [sharedData('dicom-corpus/pydicom_data/data_store/data/693_J2KR.dcm'), sharedData('dicom-corpus/pydicom_data/data_store/data/693_UNCR.dcm')],
  // 693_UNCI is the irreversible 693_J2KI decompressed by its publisher: equal value for value.
  [sharedData('dicom-corpus/debian_python3_pydicom_2.3.1/693_J2KI.dcm'), sharedData('dicom-corpus/pydicom_data/data_store/data/693_UNCI.dcm')],
];

const short = (path: string) => path.split('/').slice(-2).join('/');

describe.skipIf(!hasSharedData)(`lossless transfer syntaxes, every pixel against the uncompressed image${skipped}`, () => {
  it.each(lossless.map(([file, reference]) => [short(file), file, reference]))('%s', async (_name, file, reference) => {
    const decoded = await decodeFile(file);
    const expected = nativeReference(reference);
    expect(decoded.frames).toHaveLength(expected.length);
    decoded.frames.forEach((frame, i) => expect(comparePixels(frame, expected[i]!)).toEqual(IDENTICAL));
    expect(decoded.warnings).toEqual([]);
  });
});

/** HU of a file's first frame, from its own RescaleSlope and RescaleIntercept. */
function hu(path: string, stored: ArrayLike<number>): number[] {
  const ds = readDicom(path);
  const slope = ds.floatString('x00281053') ?? 1;
  const intercept = ds.floatString('x00281052') ?? 0;
  return Array.from(stored, (v) => v * slope + intercept);
}

describe.skipIf(!hasSharedData)(`JPEG-LS near-lossless: no pixel further from the original than NEAR${skipped}`, () => {
  it.each([
    [testImages('JPEGLSLossyTransferSyntax_1.2.840.10008.1.2.4.81.dcm'), CT_IMAGE],
    [wg04('JLSN', 'CT1_JLSN'), wg04Reference('CT1')],
    [wg04('JLSN', 'CT2_JLSN'), wg04Reference('CT2')],
    [sharedData('dicom-corpus/pylibjpeg_data/ljdata/ds/JPEGLS/CT1_JLSN.dcm'), wg04Reference('CT1')],
  ].map(([f, r]) => [short(f!), f!, r!]))('%s', async (_name, file, reference) => {
    const ds = readDicom(file);
    const near = jpegLsNear(frameBytes(ds, 0, frameInfoOf(ds), framesOf(ds), transferSyntaxOf(ds)));
    expect(near).toBeGreaterThan(0);
    const decoded = await decodeFile(file);
    const result = comparePixels(decoded.frames[0]!, nativeReference(reference)[0]!);
    expect(result.maxAbsDiff).toBeLessThanOrEqual(near);
    expect(result.mismatches).toBeGreaterThan(0); // really lossy: a bound, not an accident
  });
});

/**
 * Lossy DCT and wavelet codecs have no hard bound. The bounds below sit above what these files
 * measured (in HU, against the original) and far below what any decoding fault gives (a wrong
 * sign, byte order, bit depth or block order errs by hundreds to thousands of HU over much of
 * the image). Exactness against IJG (dcmtk) and OpenJPEG (GDCM) is checked in
 * third-party-encoders.test.ts.
 * [file, original, max |ΔHU|, RMS ΔHU, what was measured]
 */
const lossy: [string, string, number, number, string][] = [
  // 8-bit baseline of a 16-bit slice: one stored step is 32.1 HU (RescaleSlope).
  [testImages('JPEGProcess1TransferSyntax_1.2.840.10008.1.2.4.50.dcm'), CT_IMAGE, 100, 30, 'max 64, rms 22.7'],
  // 12-bit extended, RescaleSlope 2.0, compression ratio 7.2.
  [testImages('JPEGProcess2_4TransferSyntax_1.2.840.10008.1.2.4.51.dcm'), CT_IMAGE, 50, 8, 'max 35.6, rms 5.2'],
  [testImages('JPEG2000TransferSyntax_1.2.840.10008.1.2.4.91.dcm'), CT_IMAGE, 10, 1.5, 'max 5, rms 0.89'],
  // WG04 irreversible JPEG 2000 at compression ratios 69 and 106.
  [wg04('J2KI', 'CT1_J2KI'), wg04Reference('CT1'), 500, 50, 'max 352, rms 38'],
  [wg04('J2KI', 'CT2_J2KI'), wg04Reference('CT2'), 500, 45, 'max 402, rms 30'],
];

describe.skipIf(!hasSharedData)(`lossy JPEG and JPEG 2000 within measured bounds of the original${skipped}`, () => {
  it.each(lossy.map(([f, r, max, rms, measured]) => [`${short(f)} (measured ${measured})`, f, r, max, rms]))('%s', async (_name, file, reference, maxHu, rmsHu) => {
    const decoded = await decodeFile(file);
    const result = comparePixels(hu(file, decoded.frames[0]!), hu(reference, nativeReference(reference)[0]!));
    expect(result.maxAbsDiff).toBeLessThanOrEqual(maxHu);
    expect(result.rmsDiff).toBeLessThanOrEqual(rmsHu);
  });
});
