/**
 * Reads a JPEG stream's frame header (SOFn) without decoding it, to route the frame to the
 * decoder for its actual process: DICOM files sometimes label one JPEG process as another.
 */
import { LungLensError } from '../../errors.js';
import { corruptJpeg } from './jpeg-huffman.js';

/** One marker segment of a JPEG stream: its marker byte, where its body starts and where it ends. */
export interface MarkerSegment {
  marker: number;
  /** Offset of the first byte after the two length bytes. */
  body: number;
  /** Offset just past the segment (for SOS: where the entropy-coded data starts). */
  end: number;
}

/** SOFn markers (every frame header but DHT, JPG and DAC, which share the range), and JPEG-LS's SOF55. */
export function isFrameMarker(marker: number): boolean {
  return (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) || marker === 0xf7;
}

/**
 * The marker segments of a JPEG stream from its start-of-image marker on, skipping fill bytes and
 * stopping at end-of-image; a caller stops at SOS, where the entropy-coded data begins. Throws
 * `corrupt-file` for a stream that does not start with SOI, has data where a marker should be,
 * or a segment that runs past the end.
 */
export function* markerSegments(data: Uint8Array): Generator<MarkerSegment> {
  if (data.length < 4 || data[0] !== 0xff || data[1] !== 0xd8) throw corruptJpeg('the frame does not start with a start-of-image marker');
  let p = 2;
  while (p + 4 <= data.length) {
    if (data[p] !== 0xff) throw corruptJpeg('data where a marker segment should start');
    const marker = data[p + 1]!;
    if (marker === 0xff) {
      p++; // fill byte
      continue;
    }
    if (marker === 0xd9) return;
    const end = p + 2 + ((data[p + 2]! << 8) | data[p + 3]!);
    if (end > data.length) throw corruptJpeg('a marker segment runs past the end of the frame');
    yield { marker, body: p + 4, end };
    p = end;
  }
}

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
  for (const { marker, body } of markerSegments(data)) {
    if (isFrameMarker(marker)) {
      return {
        process: PROCESS[marker] ?? 'other',
        marker,
        precision: data[body]!,
        rows: (data[body + 1]! << 8) | data[body + 2]!,
        columns: (data[body + 3]! << 8) | data[body + 4]!,
        components: data[body + 5]!,
      };
    }
    if (marker === 0xda) break;
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
