/**
 * NumPy `.npy` files, format version 1.0 (numpy.lib.format): the arrays `lunglens prepare` hands
 * to the Python training package. Only what that needs: little-endian float32 (`<f4`) and uint8
 * (`|u1`), C order. Files are written atomically — a temporary name in the same folder, then a
 * rename — so an interrupted run never leaves a half file under the final name.
 */
import os from 'node:os';
import { LungLensError } from '../errors.js';
import { writeAtomically } from '../util/write-atomically.js';

export type NpyArray = Float32Array | Uint8Array;

const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]); // \x93NUMPY
/** numpy aligns the data to 64 bytes since 1.14 (so that it can be memory-mapped). */
const ALIGN = 64;
const PREAMBLE = MAGIC.length + 2 + 2; // magic, version 1.0, uint16 header length

const descrOf = (data: NpyArray) => (data instanceof Float32Array ? '<f4' : '|u1');

/** The header of a version 1.0 file: magic, version, length, and the dict padded with spaces to a multiple of 64 bytes. */
export function npyHeader(descr: '<f4' | '|u1', shape: readonly number[]): Buffer {
  if (!shape.every((d) => Number.isInteger(d) && d >= 0)) throw new RangeError(`npy shape must be integers ≥ 0, got ${JSON.stringify(shape)}`);
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const total = Math.ceil((PREAMBLE + dict.length + 1) / ALIGN) * ALIGN;
  const headerLength = total - PREAMBLE;
  if (headerLength > 0xffff) throw new RangeError('npy header too long for format version 1.0');
  const header = Buffer.alloc(total, 0x20);
  MAGIC.copy(header, 0);
  header[6] = 1;
  header[7] = 0;
  header.writeUInt16LE(headerLength, 8);
  header.write(dict, PREAMBLE, 'latin1');
  header[total - 1] = 0x0a;
  return header;
}

/** The array's bytes, little-endian (a copy with bytes swapped only on a big-endian machine). */
function littleEndianBytes(data: NpyArray): Buffer {
  const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (data instanceof Uint8Array || os.endianness() === 'LE') return bytes;
  return Buffer.from(bytes).swap32();
}

/** Writes `data` as an .npy file of the given shape, atomically (temporary file, then rename). */
export async function writeNpy(file: string, data: NpyArray, shape: readonly number[]): Promise<void> {
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length) throw new RangeError(`npy shape ${JSON.stringify(shape)} holds ${count} values, the array has ${data.length}`);
  await writeAtomically(file, [npyHeader(descrOf(data), shape), littleEndianBytes(data)]);
}

export interface NpyContents {
  descr: string;
  fortranOrder: boolean;
  shape: number[];
  /** Float32Array for `<f4`, Uint8Array for `|u1` (copies, aligned). */
  data: NpyArray;
  /** Byte offset of the data in the file. */
  dataOffset: number;
}

/** Parses an .npy file of version 1.0–3.0 holding `<f4` or `|u1` in C order (what `writeNpy` writes). */
export function parseNpy(bytes: Uint8Array): NpyContents {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fail = (why: string): never => {
    throw new LungLensError('corrupt-file', `This is not an .npy array LungLens can read: ${why}.`);
  };
  if (buffer.length < PREAMBLE || !buffer.subarray(0, MAGIC.length).equals(MAGIC)) fail('the magic string is missing');
  const major = buffer[6]!;
  const lengthBytes = major === 1 ? 2 : 4;
  const headerLength = major === 1 ? buffer.readUInt16LE(8) : buffer.readUInt32LE(8);
  const dataOffset = 8 + lengthBytes + headerLength;
  if (dataOffset > buffer.length) fail('the header runs past the end of the file');
  const header = buffer.subarray(8 + lengthBytes, dataOffset).toString('latin1');
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1] ?? fail('no descr in the header');
  const fortranOrder = /'fortran_order':\s*True/.test(header);
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1] ?? fail('no shape in the header');
  const shape = shapeText.split(',').map((s) => s.trim()).filter((s) => s !== '').map(Number);
  if (fortranOrder) fail('Fortran order is not supported');
  const count = shape.reduce((a, b) => a * b, 1);
  const body = buffer.subarray(dataOffset);
  let data: NpyArray;
  if (descr === '|u1') {
    if (body.length !== count) fail(`expected ${count} bytes of data, found ${body.length}`);
    data = Uint8Array.from(body);
  } else if (descr === '<f4') {
    if (body.length !== count * 4) fail(`expected ${count * 4} bytes of data, found ${body.length}`);
    data = new Float32Array(count);
    const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
    for (let i = 0; i < count; i++) data[i] = view.getFloat32(i * 4, true);
  } else {
    return fail(`dtype ${descr} is not supported`);
  }
  return { descr, fortranOrder, shape, data, dataOffset };
}
