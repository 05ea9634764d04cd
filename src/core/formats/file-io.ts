/**
 * File reading for the format readers: every failure becomes a LungLensError with a sentence.
 * This is the folder's only module that touches the file system (besides tests).
 */
import { constants as bufferConstants } from 'node:buffer';
import { readFile, stat } from 'node:fs/promises';
import { constants as zlibConstants, gunzip, inflate, unzip } from 'node:zlib';
import { promisify } from 'node:util';
import { LungLensError } from '../errors.js';

/** The most bytes any reader will decompress or allocate for one file (Node's Buffer limit is near it). */
export const MAX_FILE_BYTES = Math.min(2 ** 32 - 1, bufferConstants.MAX_LENGTH);
/** The most voxels a volume may declare (an Int16 volume of this size already needs 4 GiB). */
export const MAX_VOXELS = 2 ** 31;

const gunzipAsync = promisify(gunzip);
const inflateAsync = promisify(inflate);
const unzipAsync = promisify(unzip);

export async function readWholeFile(path: string): Promise<Buffer> {
  let size: number;
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new LungLensError('unreadable', `${path} is not a regular file.`);
    size = info.size;
  } catch (error) {
    if (error instanceof LungLensError) throw error;
    throw new LungLensError('unreadable', `The file ${path} could not be opened: ${describe(error)}.`, { cause: error });
  }
  if (size === 0) throw new LungLensError('empty-file', `The file ${path} is empty.`);
  if (size > MAX_FILE_BYTES) throw new LungLensError('too-large', `The file ${path} is ${size} bytes, more than this reader handles.`);
  try {
    return await readFile(path);
  } catch (error) {
    throw new LungLensError('unreadable', `The file ${path} could not be read: ${describe(error)}.`, { cause: error });
  }
}

export type Compression = 'gzip' | 'zlib' | 'auto';

/**
 * Decompresses a whole buffer, refusing to produce more than `maxBytes` (a zip bomb or a lying
 * header must not take the process down). Errors say which file was broken.
 */
export async function decompress(data: Uint8Array, kind: Compression, what: string, maxBytes = MAX_FILE_BYTES): Promise<Buffer> {
  const options = { maxOutputLength: Math.min(maxBytes, MAX_FILE_BYTES) };
  try {
    if (kind === 'gzip') return await gunzipAsync(data, options);
    if (kind === 'zlib') return await inflateAsync(data, options);
    return await unzipAsync(data, options);
  } catch (error) {
    if (error instanceof RangeError || (error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new LungLensError('too-large', `${what} decompresses to more than ${options.maxOutputLength} bytes.`, { cause: error });
    }
    throw new LungLensError('corrupt-file', `${what} is not valid compressed data (${describe(error)}); the file may be truncated.`, {
      cause: error,
    });
  }
}

/**
 * The first bytes of a gzip stream, from at most `inputBytes` of it, without failing on the cut
 * (to read a header before deciding how much the whole file may decompress to).
 */
export async function gunzipPrefix(data: Uint8Array, what: string, inputBytes = 64 * 1024): Promise<Buffer> {
  try {
    return await gunzipAsync(data.subarray(0, inputBytes), { finishFlush: zlibConstants.Z_SYNC_FLUSH });
  } catch (error) {
    throw new LungLensError('corrupt-file', `${what} is not valid gzip data (${describe(error)}).`, { cause: error });
  }
}

export function isGzip(data: Uint8Array): boolean {
  return data.length >= 2 && data[0] === 0x1f && data[1] === 0x8b;
}

/** Throws 'too-large' when a declared size is beyond what can be held in memory. */
export function checkVoxelCount(dimensions: readonly number[], what: string): number {
  const count = dimensions.reduce((a, b) => a * b, 1);
  if (!Number.isSafeInteger(count) || count > MAX_VOXELS) {
    throw new LungLensError('too-large', `${what} declares ${dimensions.join(' × ')} voxels, more than the ${MAX_VOXELS} this app can hold.`);
  }
  return count;
}

export function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
