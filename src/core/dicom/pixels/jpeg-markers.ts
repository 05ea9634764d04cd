/**
 * Reads a JPEG stream's frame header (SOFn) without decoding it, to route the frame to the
 * decoder for its actual process: DICOM files sometimes label one JPEG process as another.
 */
import { LungLensError } from '../../errors.js';

export type JpegProcess = 'baseline' | 'extended' | 'progressive' | 'lossless' | 'jpeg-ls' | 'other';

export interface JpegFrameHeader {
  process: JpegProcess;
  /** The SOF marker's low byte, e.g. 0xc3 for lossless Huffman. */
  marker: number;
  precision: number;
  rows: number;
  columns: number;
  components: number;
}

const PROCESS: Record<number, JpegProcess> = { 0xc0: 'baseline', 0xc1: 'extended', 0xc2: 'progressive', 0xc3: 'lossless', 0xf7: 'jpeg-ls' };

export function readJpegFrameHeader(data: Uint8Array): JpegFrameHeader {
  if (data.length < 4 || data[0] !== 0xff || data[1] !== 0xd8) {
    throw new LungLensError('corrupt-file', 'The JPEG frame does not start with a JPEG start-of-image marker.');
  }
  let p = 2;
  while (p + 4 <= data.length) {
    if (data[p] !== 0xff) {
      throw new LungLensError('corrupt-file', 'The JPEG frame has data where a marker segment should start.');
    }
    const marker = data[p + 1]!;
    if (marker === 0xff) {
      p++; // fill byte
      continue;
    }
    const length = (data[p + 2]! << 8) | data[p + 3]!;
    const isSof = (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) || marker === 0xf7;
    if (isSof) {
      if (p + 10 > data.length) break;
      return {
        process: PROCESS[marker] ?? 'other',
        marker,
        precision: data[p + 4]!,
        rows: (data[p + 5]! << 8) | data[p + 6]!,
        columns: (data[p + 7]! << 8) | data[p + 8]!,
        components: data[p + 9]!,
      };
    }
    if (marker === 0xda || marker === 0xd9) break;
    p += 2 + length;
  }
  throw new LungLensError('corrupt-file', 'The JPEG frame has no frame header (SOF marker) before its image data.');
}

/** A short human description of a SOF marker, for messages. */
export function describeJpegProcess(header: JpegFrameHeader): string {
  const names: Record<number, string> = {
    0xc0: 'baseline', 0xc1: 'extended sequential', 0xc2: 'progressive', 0xc3: 'lossless',
    0xc5: 'hierarchical sequential', 0xc6: 'hierarchical progressive', 0xc7: 'hierarchical lossless',
    0xc9: 'arithmetic-coded sequential', 0xca: 'arithmetic-coded progressive', 0xcb: 'arithmetic-coded lossless',
    0xcd: 'hierarchical arithmetic sequential', 0xce: 'hierarchical arithmetic progressive', 0xcf: 'hierarchical arithmetic lossless',
    0xf7: 'JPEG-LS',
  };
  return `${header.precision}-bit ${names[header.marker] ?? 'unknown-process'} JPEG`;
}
