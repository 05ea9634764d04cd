/**
 * JPEG lossless, process 14 (ITU T.81 Annex H), Huffman-coded, one component: predictors 1–7,
 * point transform and restart intervals. Arithmetic modulo 2^16 as in the IJG reference codec.
 *
 * We decode this ourselves instead of with jpeg-lossless-decoder-js 2.1.2, which measured here
 * returned a wrong last pixel on SV1 frames and rounded predictor 7 wrongly for negative results.
 */
import { LungLensError } from '../../errors.js';
import { BitReader, corruptJpeg, readCodingSegment, type HuffmanCoding, type HuffmanTable } from './jpeg-huffman.js';
import { isFrameMarker, markerSegments } from './jpeg-markers.js';

export interface LosslessJpegImage {
  /** Decoded samples, row by row, as unsigned bit patterns of `precision` bits (shifted by the point transform). */
  samples: Uint16Array;
  width: number;
  height: number;
  precision: number;
  predictor: number;
  pointTransform: number;
}

export interface LosslessJpegOptions {
  /**
   * Reproduces a known encoder bug (dcmtk's `+w6` workaround): predictor 6 computed in signed
   * 16-bit arithmetic that overflowed, so a standard decoder gets wrong values for 16-bit data.
   */
  predictor6Overflow?: boolean;
}

export function decodeJpegLossless(data: Uint8Array, options: LosslessJpegOptions = {}): LosslessJpegImage {
  const coding: HuffmanCoding = { tables: [], restartInterval: 0 };
  let frame: { precision: number; height: number; width: number; id: number } | null = null;
  for (const { marker, body, end } of markerSegments(data)) {
    if (readCodingSegment(data, marker, body, end, coding)) continue;
    if (marker === 0xc3) {
      const components = data[body + 5]!;
      if (components !== 1) {
        throw new LungLensError('unsupported-pixel-format', `The lossless JPEG frame has ${components} components; LungLens reads single-component greyscale CT only.`);
      }
      frame = {
        precision: data[body]!,
        height: (data[body + 1]! << 8) | data[body + 2]!,
        width: (data[body + 3]! << 8) | data[body + 4]!,
        id: data[body + 6]!,
      };
      if (frame.precision < 2 || frame.precision > 16) throw corruptJpeg(`a lossless sample precision of ${frame.precision} bits`);
      if (frame.height === 0) {
        throw new LungLensError('unsupported-pixel-format', 'The lossless JPEG frame defines its height with a DNL marker, which LungLens does not support.');
      }
    } else if (isFrameMarker(marker)) {
      throw new LungLensError('unsupported-pixel-format', `The frame is not a Huffman-coded lossless JPEG (SOF marker FF${marker.toString(16).toUpperCase()}).`);
    } else if (marker === 0xda) {
      if (frame === null) throw corruptJpeg('the scan comes before the frame header');
      const ns = data[body]!;
      if (ns !== 1) throw corruptJpeg(`a scan of ${ns} components in a one-component frame`);
      const table = coding.tables[(data[body + 2]! >> 4) & 3];
      if (table === undefined) throw corruptJpeg('the scan uses a Huffman table that was never defined');
      const predictor = data[body + 3]!;
      const pointTransform = data[body + 5]! & 0x0f;
      if (predictor < 1 || predictor > 7) throw corruptJpeg(`lossless predictor ${predictor}`);
      const reader = new BitReader(data, end);
      const samples = decodeScan(reader, table, frame, predictor, pointTransform, coding.restartInterval, options);
      return { samples, width: frame.width, height: frame.height, precision: frame.precision, predictor, pointTransform };
    }
  }
  throw corruptJpeg('the frame ends before its image data');
}

function decodeScan(
  reader: BitReader,
  table: HuffmanTable,
  frame: { precision: number; height: number; width: number },
  predictor: number,
  pointTransform: number,
  restartInterval: number,
  options: LosslessJpegOptions,
): Uint16Array {
  const { width: w, height: h } = frame;
  if (restartInterval % w !== 0) {
    throw new LungLensError('unsupported-pixel-format', 'The lossless JPEG restart interval is not a whole number of rows, which LungLens does not support.');
  }
  const out = new Uint16Array(w * h);
  const initial = 1 << (frame.precision - pointTransform - 1);
  const rowsPerInterval = restartInterval === 0 ? h : restartInterval / w;
  const overflow6 = predictor === 6 && options.predictor6Overflow === true;
  let rowsToGo = rowsPerInterval;
  let firstLine = true;
  for (let y = 0; y < h; y++) {
    if (rowsToGo === 0) {
      reader.restart();
      rowsToGo = rowsPerInterval;
      firstLine = true;
    }
    rowsToGo--;
    const row = y * w;
    if (firstLine) {
      out[row] = (initial + readDiff(reader, table)) & 0xffff;
      for (let x = 1; x < w; x++) out[row + x] = (out[row + x - 1]! + readDiff(reader, table)) & 0xffff;
      firstLine = false;
      continue;
    }
    const up = row - w;
    out[row] = (out[up]! + readDiff(reader, table)) & 0xffff;
    for (let x = 1; x < w; x++) {
      const ra = out[row + x - 1]!;
      const rb = out[up + x]!;
      const rc = out[up + x - 1]!;
      let px: number;
      switch (predictor) {
        case 1: px = ra; break;
        case 2: px = rb; break;
        case 3: px = rc; break;
        case 4: px = ra + rb - rc; break;
        case 5: px = ra + ((rb - rc) >> 1); break;
        case 6: px = overflow6 ? predict6Overflow(ra, rb, rc) : rb + ((ra - rc) >> 1); break;
        default: px = (ra + rb) >> 1;
      }
      out[row + x] = (px + readDiff(reader, table)) & 0xffff;
    }
  }
  if (reader.overran()) throw corruptJpeg('the lossless JPEG data ends before the last pixel');
  if (pointTransform > 0) for (let i = 0; i < out.length; i++) out[i] = out[i]! << pointTransform;
  return out;
}

/** One Huffman-coded difference (T.81 H.1.2.2; category 16 means 32768 with no extra bits). */
function readDiff(reader: BitReader, table: HuffmanTable): number {
  const s = reader.decode(table);
  if (s === 0) return 0;
  if (s === 16) return 32768;
  if (s > 16) throw corruptJpeg(`a difference category of ${s}`);
  return reader.receiveExtend(s);
}

/** Predictor 6 as a buggy encoder computed it: samples taken as signed 16-bit. */
function predict6Overflow(ra: number, rb: number, rc: number): number {
  return ((rb << 16) >> 16) + ((((ra << 16) >> 16) - ((rc << 16) >> 16)) >> 1);
}
