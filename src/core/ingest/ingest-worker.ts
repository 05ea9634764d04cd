/**
 * Runs inside the ingest worker threads (ingest-pool.ts): every function here is a task.
 * Files are read synchronously — this thread has nothing else to do — and results go back as
 * plain data; voxels are written straight into the caller's SharedArrayBuffer.
 */
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { LungLensError, toRejection, type Rejection, type Warning } from '../errors.js';
import { readInstance, type DicomInstance } from '../dicom/header.js';
import { parseDicomBytes, parsedOffsetShift } from '../dicom/parse.js';
import { decodeFrame, frameBytes, unsupportedTransferSyntaxReason } from '../dicom/pixels/index.js';
import type { FormatKind } from '../formats/index.js';
import { readPrefix } from './read-prefix.js';
import { nativeLittleEndian16ToHu, storedToHu, type HuTransform, type SliceStats } from './hu.js';
import { huKernel } from './hu-simd.js';

/** Headers rarely exceed this; a longer header is re-read whole. */
const HEADER_PREFIX_BYTES = 16 * 1024;
/** Larger files are not CT slices (and would exhaust memory in a worker). */
const MAX_FILE_BYTES = 2 ** 31 - 1;

function readHeader(path: string): DicomInstance {
  const buffer = readPrefix(path, HEADER_PREFIX_BYTES);
  const whole = buffer.length < HEADER_PREFIX_BYTES;
  if (!whole) {
    try {
      return readInstance(parseDicomBytes(buffer, { headerOnly: true }), path, parsedOffsetShift(buffer));
    } catch (error) {
      // A long header (or a deflated data set) does not fit the prefix: fall through to the whole file.
      if (error instanceof LungLensError && (error.code === 'not-dicom' || error.code === 'dicomdir')) throw error;
    }
  }
  const all = whole ? buffer : readFileSync(path);
  if (all.length > MAX_FILE_BYTES) throw new LungLensError('too-large', 'The file is larger than 2 GB, far beyond any CT image file.');
  return readInstance(parseDicomBytes(all, { headerOnly: true }), path, parsedOffsetShift(all));
}

export interface HeaderResult {
  instances: DicomInstance[];
  rejected: Rejection[];
}

/** Parses the headers of a batch of candidate DICOM files. */
export function readHeaders(task: { paths: string[] }): HeaderResult {
  const instances: DicomInstance[] = [];
  const rejected: Rejection[] = [];
  for (const path of task.paths) {
    try {
      const instance = readHeader(path);
      const unsupported = unsupportedTransferSyntaxReason(instance.transferSyntaxUid);
      if (unsupported) {
        rejected.push({ path, code: 'unsupported-transfer-syntax', message: unsupported });
      } else if (instance.pixel.samplesPerPixel !== 1) {
        rejected.push({ path, code: 'unsupported-pixel-format', message: `The image has ${instance.pixel.samplesPerPixel} samples per pixel (${instance.pixel.photometricInterpretation}); CT images have one.` });
      } else {
        instances.push(instance);
      }
    } catch (error) {
      rejected.push(toRejection(path, error));
    }
  }
  return { instances, rejected };
}

export interface DecodeItem {
  path: string;
  transferSyntaxUid: string;
  pixel: DicomInstance['pixel'];
  numberOfFrames: number;
  padding: HuTransform['padding'];
  nativePixelData: DicomInstance['nativePixelData'];
  frames: { frameIndex: number; sliceIndex: number; slope: number; intercept: number }[];
}

export interface DecodeTask {
  /** The volume's voxels (Int16, slice-major), shared with the caller. */
  target: SharedArrayBuffer;
  sliceLength: number;
  items: DecodeItem[];
}

export interface DecodeResult {
  stats: (SliceStats & { sliceIndex: number })[];
  warnings: Warning[];
  /** Files that could not be decoded; their slices are left unwritten. */
  failures: Rejection[];
}

/** Decodes frames into HU, writing each into its slice of the shared volume. */
export async function decodeSlices(task: DecodeTask): Promise<DecodeResult> {
  const voxels = new Int16Array(task.target);
  const stats: DecodeResult['stats'] = [];
  const warnings: Warning[] = [];
  const failures: Rejection[] = [];
  for (const item of task.items) {
    try {
      const fast = item.nativePixelData ? readNativeFrames(item, voxels, task.sliceLength) : null;
      if (fast) {
        stats.push(...fast);
        continue;
      }
      const dataSet = parseDicomBytes(readFileSync(item.path));
      for (const f of item.frames) {
        const encoded = frameBytes(dataSet, f.frameIndex, item.pixel, item.numberOfFrames, item.transferSyntaxUid);
        const decoded = await decodeFrame(item.transferSyntaxUid, encoded, item.pixel);
        warnings.push(...decoded.warnings);
        const out = voxels.subarray(f.sliceIndex * task.sliceLength, (f.sliceIndex + 1) * task.sliceLength);
        const s = storedToHu(decoded.pixels, out, { slope: f.slope, intercept: f.intercept, padding: item.padding });
        stats.push({ ...s, sliceIndex: f.sliceIndex });
      }
    } catch (error) {
      failures.push(toRejection(item.path, error, 'codec-failed'));
    }
  }
  return { stats, warnings, failures };
}

/** One reusable, aligned buffer per thread for reading uncompressed frames. */
let frameBuffer = Buffer.allocUnsafeSlow(0);

/**
 * The fast path for uncompressed little-endian 16-bit frames: read each frame's bytes straight
 * from its offset (no second parse) into the SIMD kernel's memory and convert them to HU in one
 * pass (the plain-JS loop where WebAssembly SIMD is missing). Null when the data is not of that
 * kind, and the general decoder is used instead.
 */
function readNativeFrames(item: DecodeItem, voxels: Int16Array, sliceLength: number): DecodeResult['stats'] | null {
  const location = item.nativePixelData!;
  const frameLength = sliceLength * 2;
  if (item.pixel.bitsAllocated !== 16 || location.length < frameLength * item.numberOfFrames) return null;
  const stats: DecodeResult['stats'] = [];
  const fd = openSync(item.path, 'r');
  try {
    const kernel = huKernel();
    const read = (bytes: Uint8Array, frameIndex: number) => {
      if (readSync(fd, bytes, 0, frameLength, location.offset + frameIndex * frameLength) < frameLength) {
        throw new LungLensError('corrupt-file', 'The file ends inside its pixel data (it was cut short).');
      }
    };
    for (const f of item.frames) {
      const out = voxels.subarray(f.sliceIndex * sliceLength, (f.sliceIndex + 1) * sliceLength);
      const transform = { slope: f.slope, intercept: f.intercept, padding: item.padding };
      let s: SliceStats | null = null;
      if (kernel) {
        read(kernel.inputBytes(frameLength), f.frameIndex);
        s = kernel.convert(sliceLength, item.pixel, transform, out);
      }
      if (!s) {
        if (frameBuffer.length < frameLength) frameBuffer = Buffer.allocUnsafeSlow(frameLength);
        const bytes = frameBuffer.subarray(0, frameLength);
        read(bytes, f.frameIndex);
        s = nativeLittleEndian16ToHu(bytes, item.pixel, out, transform);
      }
      if (!s) return null;
      stats.push({ ...s, sliceIndex: f.sliceIndex });
    }
  } finally {
    closeSync(fd);
  }
  return stats;
}

export interface FormatTask {
  kind: FormatKind;
  paths: string[];
  /** A spacing the user gave (image stacks use it instead of estimating one). */
  spacingMm?: [number, number, number];
}

/**
 * Reads a NIfTI, MetaImage or image-stack volume; voxels come back in a SharedArrayBuffer. A
 * reader's refusal comes back as a value (`refused`): an error thrown across the thread boundary
 * would lose its code.
 */
export async function readFormat(task: FormatTask) {
  // Loaded on first use: most scans are DICOM, and these readers cost start-up time.
  const { readFormatFile } = await import('../formats/index.js');
  let loaded: Awaited<ReturnType<typeof readFormatFile>>;
  try {
    loaded = await readFormatFile(task.kind, task.paths, task.spacingMm ? { spacingMm: task.spacingMm } : {});
  } catch (error) {
    if (error instanceof LungLensError) return { refused: { code: error.code, message: error.message } as Omit<Rejection, 'path'> };
    throw error;
  }
  const v = loaded.volume;
  const shared = new SharedArrayBuffer(v.voxels.byteLength);
  new Int16Array(shared).set(v.voxels);
  return {
    source: loaded.source,
    description: loaded.description,
    files: loaded.files,
    warnings: loaded.warnings,
    dimensions: v.dimensions,
    spacingMm: v.spacingMm,
    originLps: v.originLps,
    direction: v.direction,
    units: v.units,
    assumedWindow: v.assumedWindow,
    spacing: v.spacing,
    contiguous: v.contiguous,
    statistics: v.statistics(),
    voxels: shared,
  };
}
