/**
 * Real CT re-encoded by independent encoders (dcmtk, GDCM) into a temporary folder, then decoded
 * by us: lossless encodings must give back every pixel of the source; lossy ones must equal the
 * same tools' own decoders pixel for pixel (IJG for JPEG, CharLS for JPEG-LS, OpenJPEG for
 * JPEG 2000). A missing tool skips its cases and says which.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hasSharedData, sharedData, sharedDataSkipReason } from '../../testing/shared-data.js';
import { frameBytes } from './frame-bytes.js';
import { IDENTICAL, comparePixels, decodeFile, frameInfoOf, framesOf, hasTool, jpegLsNear, nativeReference, readDicom, runTool, transferSyntaxOf } from './test-support.js';

let work: string | null = null;
/** A scratch folder, made on first use (so skipped runs leave nothing behind) and removed after. */
const workDir = (): string => (work ??= mkdtempSync(path.join(tmpdir(), 'lunglens-encoders-')));
afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Uncompressed sources: signed 16-bit, signed 14 of 16 bits, unsigned 12 of 16 bits, and a 2-frame enhanced CT. */
const SOURCES = {
  signed16: 'cornerstone_wado_testimages/testImages/CTImage.dcm_LittleEndianExplicitTransferSyntax_1.2.840.10008.1.2.1.dcm',
  signed14: 'pydicom_data/data_store/data/693_UNCI.dcm',
  unsigned12: 'okieraised_sample_dicom/1-001.dcm',
  multiframe: 'pydicom_data/data_store/data/eCT_Supplemental.dcm',
} as const;
type Source = keyof typeof SOURCES;
const ALL: Source[] = ['signed16', 'signed14', 'unsigned12', 'multiframe'];

interface Recipe {
  name: string;
  tool: string;
  args: string[];
  sources: Source[];
}

const lossless: Recipe[] = [
  { name: 'JPEG lossless SV1 (dcmcjpeg +e1)', tool: 'dcmcjpeg', args: ['+e1'], sources: ALL },
  ...[1, 2, 3, 4, 5, 6, 7].map((sv) => ({ name: `JPEG lossless process 14, predictor ${sv} (dcmcjpeg +el +sv ${sv})`, tool: 'dcmcjpeg', args: ['+el', '+sv', String(sv)], sources: ['signed16', 'signed14', 'unsigned12'] as Source[] })),
  { name: 'JPEG lossless in 16 kB fragments, no offset table (dcmcjpeg +fs 16 -ot)', tool: 'dcmcjpeg', args: ['+e1', '+fs', '16', '-ot'], sources: ['signed16', 'multiframe'] },
  { name: 'JPEG lossless in 16 kB fragments with offset table (dcmcjpeg +fs 16)', tool: 'dcmcjpeg', args: ['+e1', '+fs', '16'], sources: ['multiframe'] },
  { name: 'JPEG lossless (gdcmconv --jpeg)', tool: 'gdcmconv', args: ['--jpeg'], sources: ['signed16', 'signed14', 'unsigned12'] },
  { name: 'JPEG-LS lossless (dcmcjpls)', tool: 'dcmcjpls', args: [], sources: ALL },
  { name: 'JPEG-LS lossless (gdcmconv --jpegls)', tool: 'gdcmconv', args: ['--jpegls'], sources: ['signed16', 'signed14', 'unsigned12'] },
  { name: 'RLE (dcmcrle)', tool: 'dcmcrle', args: [], sources: ALL },
  { name: 'RLE (gdcmconv --rle)', tool: 'gdcmconv', args: ['--rle'], sources: ['signed16', 'signed14', 'unsigned12'] },
  { name: 'JPEG 2000 lossless (gdcmconv --j2k)', tool: 'gdcmconv', args: ['--j2k'], sources: ALL },
  { name: 'JPEG 2000 lossless in 128² tiles (gdcmconv --j2k -t 128,128)', tool: 'gdcmconv', args: ['--j2k', '-t', '128,128'], sources: ['signed16', 'unsigned12'] },
  { name: 'explicit VR big endian (dcmconv +tb)', tool: 'dcmconv', args: ['+tb'], sources: ALL },
  { name: 'deflated explicit VR little endian (dcmconv +td)', tool: 'dcmconv', args: ['+td'], sources: ALL },
  { name: 'implicit VR little endian (dcmconv +ti)', tool: 'dcmconv', args: ['+ti'], sources: ['signed14', 'unsigned12'] },
];

/** Lossy recipes and the tool that decodes them for reference: [recipe, decoder, its arguments]. */
const lossy: [Recipe, string, string[]][] = [
  [{ name: 'JPEG extended 12-bit (dcmcjpeg +ee)', tool: 'dcmcjpeg', args: ['+ee'], sources: ['signed16', 'signed14', 'unsigned12'] }, 'dcmdjpeg', []],
  [{ name: 'JPEG lossless with point transform 2 (dcmcjpeg +el +pt 2)', tool: 'dcmcjpeg', args: ['+el', '+pt', '2'], sources: ['signed14', 'unsigned12'] }, 'dcmdjpeg', []],
  [{ name: 'JPEG-LS near-lossless, NEAR 3 (dcmcjpls +en +md 3)', tool: 'dcmcjpls', args: ['+en', '+md', '3'], sources: ['unsigned12'] }, 'dcmdjpls', []],
  [{ name: 'JPEG 2000 irreversible (gdcmconv --j2k --irreversible)', tool: 'gdcmconv', args: ['--j2k', '--irreversible'], sources: ['signed16', 'signed14', 'unsigned12'] }, 'gdcmconv', ['--raw']],
];

function encode(recipe: Recipe, source: Source): string {
  const out = path.join(workDir(), `${recipe.tool}${recipe.args.join('')}-${source}.dcm`.replace(/[^\w.+-]/g, '_'));
  runTool(recipe.tool, [...recipe.args, sharedData('dicom-corpus', SOURCES[source]), out]);
  return out;
}

function missing(...tools: string[]): string {
  const absent = tools.filter((t) => !hasTool(t));
  return absent.length ? ` — skipped: ${absent.join(', ')} not installed` : '';
}

const noData = hasSharedData ? '' : ` — skipped: ${sharedDataSkipReason}`;

describe.skipIf(!hasSharedData)(`lossless re-encodings give back every pixel of the source${noData}`, () => {
  for (const recipe of lossless) {
    const why = missing(recipe.tool);
    describe.skipIf(why !== '')(`${recipe.name}${why}`, () => {
      it.each(recipe.sources)('%s', async (source) => {
        const file = encode(recipe, source);
        const decoded = await decodeFile(file);
        const expected = nativeReference(sharedData('dicom-corpus', SOURCES[source]));
        expect(decoded.frames).toHaveLength(expected.length);
        decoded.frames.forEach((frame, i) => expect(comparePixels(frame, expected[i]!)).toEqual(IDENTICAL));
      });
    });
  }
});

describe.skipIf(!hasSharedData)(`lossy re-encodings equal the reference decoders pixel for pixel${noData}`, () => {
  for (const [recipe, decoder, decoderArgs] of lossy) {
    const why = missing(recipe.tool, decoder);
    describe.skipIf(why !== '')(`${recipe.name}, against ${decoder}${why}`, () => {
      it.each(recipe.sources)('%s', async (source) => {
        const file = encode(recipe, source);
        const reference = path.join(workDir(), `reference-${path.basename(file)}`);
        runTool(decoder, [...decoderArgs, file, reference]);
        const decoded = await decodeFile(file);
        const expected = nativeReference(reference);
        decoded.frames.forEach((frame, i) => expect(comparePixels(frame, expected[i]!)).toEqual(IDENTICAL));
        if (recipe.tool === 'dcmcjpls') {
          // And NEAR bounds the error against the original.
          const ds = readDicom(file);
          const near = jpegLsNear(frameBytes(ds, 0, frameInfoOf(ds), framesOf(ds), transferSyntaxOf(ds)));
          expect(near).toBe(3);
          const original = nativeReference(sharedData('dicom-corpus', SOURCES[source]))[0]!;
          expect(comparePixels(decoded.frames[0]!, original).maxAbsDiff).toBeLessThanOrEqual(near);
        }
      });
    });
  }
});
