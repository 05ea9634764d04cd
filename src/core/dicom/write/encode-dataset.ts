import type { DataElement, Dataset, KeyedDataset, Tag } from './dataset.js';
import { DICTIONARY, isKeyword } from './dictionary.js';
import { checkNumberString, formatDS, formatIS } from './format-number.js';
import {
  BINARY_SIZE, LONG_LENGTH_VRS, MAX_VALUE_CHARS, SINGLE_VALUED_TEXT_VRS,
  isBinaryVR, isBytesVR, isNumberStringVR, isTextVR,
  type BinaryVR, type TypedNumbers, type VR,
} from './vr.js';

/** How a data set is encoded; both are little endian. */
export interface DatasetEncoding {
  explicitVR: boolean;
  /** Text may hold any Unicode (SpecificCharacterSet ISO_IR 192); otherwise it must be ASCII. */
  utf8?: boolean;
}

/** An element after keyword lookup, in the form the encoder works on. */
export interface NormalizedElement {
  tag: Tag;
  vr: VR;
  value: unknown;
  undefinedLength: boolean;
}

const SPECIFIC_CHARACTER_SET = 0x00080005;
const ITEM = 0xfffee000;
const ITEM_DELIMITATION = 0xfffee00d;
const SEQUENCE_DELIMITATION = 0xfffee0dd;
const UNDEFINED_LENGTH = 0xffffffff;
const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export const tagName = (t: Tag): string => {
  const hex = t.toString(16).padStart(8, '0').toUpperCase();
  return `(${hex.slice(0, 4)},${hex.slice(4)})`;
};

/** Collects encoded chunks without copying them until the end. */
class Sink {
  readonly chunks: Uint8Array[] = [];
  length = 0;
  push(bytes: Uint8Array): void {
    this.chunks.push(bytes);
    this.length += bytes.length;
  }
  toBuffer(): Buffer {
    return Buffer.concat(this.chunks, this.length);
  }
}

function fail(t: Tag, vr: VR, why: string): never {
  throw new RangeError(`${tagName(t)} ${vr}: ${why}`);
}

/** Turns either form of a data set into elements sorted by tag, resolving keywords and `xs`. */
export function normalizeDataset(dataset: Dataset): NormalizedElement[] {
  let elements: NormalizedElement[];
  if (Array.isArray(dataset)) {
    elements = (dataset as readonly DataElement[]).map((e) => ({ tag: e.tag, vr: e.vr, value: e.value, undefinedLength: e.undefinedLength === true }));
  } else {
    const keyed = dataset as KeyedDataset;
    const signed = keyed.PixelRepresentation === 1;
    elements = [];
    for (const [name, value] of Object.entries(keyed)) {
      if (value === undefined) continue;
      if (!isKeyword(name)) throw new TypeError(`"${name}" is not in the writer's dictionary; use the element-list form with an explicit tag and VR.`);
      const [t, dictVr] = DICTIONARY[name];
      const vr: VR = dictVr === 'xs' ? (signed ? 'SS' : 'US') : dictVr;
      elements.push({ tag: t, vr, value, undefinedLength: false });
    }
  }
  for (const e of elements) {
    if (!Number.isInteger(e.tag) || e.tag < 0 || e.tag > 0xffffffff) throw new RangeError(`${String(e.tag)} is not a tag.`);
    if (e.tag >>> 16 === 0x0002) fail(e.tag, e.vr, 'file meta elements are written by writePart10 from its options, not from the data set.');
    if ((e.tag & 0xffff) === 0 ) fail(e.tag, e.vr, 'group length elements are not written (they are retired outside the file meta group).');
  }
  elements.sort((a, b) => a.tag - b.tag);
  for (let i = 1; i < elements.length; i++) {
    if (elements[i]!.tag === elements[i - 1]!.tag) fail(elements[i]!.tag, elements[i]!.vr, 'the tag appears twice in one data set.');
  }
  return elements;
}

function encodeText(e: NormalizedElement, text: string, utf8: boolean): Uint8Array {
  if (!utf8 && /[\u0080-\uffff]/.test(text)) {
    fail(e.tag, e.vr, `"${text}" is not ASCII; set SpecificCharacterSet to "ISO_IR 192" to write UTF-8.`);
  }
  const bytes = Buffer.from(text, utf8 ? 'utf8' : 'latin1');
  if (bytes.length % 2 === 0) return bytes;
  const padded = Buffer.alloc(bytes.length + 1, e.vr === 'UI' ? 0 : 0x20);
  bytes.copy(padded);
  return padded;
}

function stringValues(e: NormalizedElement): string[] {
  const v = e.value;
  const list = Array.isArray(v) ? (v as unknown[]) : [v];
  return list.map((item) => {
    if (isNumberStringVR(e.vr)) {
      if (typeof item === 'number') return e.vr === 'DS' ? formatDS(item) : formatIS(item);
      if (typeof item === 'string') return checkNumberString(e.vr, item);
      return fail(e.tag, e.vr, `expected numbers or numeric strings, got ${typeof item}.`);
    }
    if (typeof item !== 'string') return fail(e.tag, e.vr, `expected text, got ${typeof item}.`);
    return item;
  });
}

function encodeStrings(e: NormalizedElement, utf8: boolean): Uint8Array {
  const values = stringValues(e);
  if (SINGLE_VALUED_TEXT_VRS.has(e.vr) && values.length !== 1) fail(e.tag, e.vr, 'this VR holds a single value.');
  const max = MAX_VALUE_CHARS[e.vr];
  for (const s of values) {
    if (!SINGLE_VALUED_TEXT_VRS.has(e.vr) && s.includes('\\')) fail(e.tag, e.vr, `"${s}" contains a backslash, the value separator.`);
    if (max !== undefined && s.length > max) fail(e.tag, e.vr, `"${s}" is longer than ${max} characters.`);
    if (e.vr === 'UI' && !/^(0|[1-9]\d*)(\.(0|[1-9]\d*))*$/.test(s)) fail(e.tag, e.vr, `"${s}" is not a UID (digits and dots, no leading zeros).`);
    if (e.vr === 'CS' && !/^[A-Z0-9 _]*$/.test(s)) fail(e.tag, e.vr, `"${s}" may hold only upper-case letters, digits, space and underscore.`);
  }
  return encodeText(e, values.join('\\'), utf8);
}

const BINARY_RANGE: Partial<Record<BinaryVR, [number, number]>> = {
  US: [0, 0xffff], SS: [-0x8000, 0x7fff], UL: [0, 0xffffffff], SL: [-0x80000000, 0x7fffffff], AT: [0, 0xffffffff],
};

function encodeBinary(e: NormalizedElement, vr: BinaryVR): Uint8Array {
  const v = e.value;
  const list: ArrayLike<number> = typeof v === 'number' ? [v] : (v as ArrayLike<number>);
  const size = BINARY_SIZE[vr];
  const out = Buffer.alloc(list.length * size);
  const range = BINARY_RANGE[vr];
  for (let i = 0; i < list.length; i++) {
    const x = list[i]!;
    if (typeof x !== 'number' || (range && (!Number.isInteger(x) || x < range[0] || x > range[1]))) {
      fail(e.tag, vr, `${String(x)} does not fit ${vr}.`);
    }
    const at = i * size;
    switch (vr) {
      case 'US': out.writeUInt16LE(x, at); break;
      case 'SS': out.writeInt16LE(x, at); break;
      case 'UL': out.writeUInt32LE(x, at); break;
      case 'SL': out.writeInt32LE(x, at); break;
      case 'FL': out.writeFloatLE(x, at); break;
      case 'FD': out.writeDoubleLE(x, at); break;
      case 'AT': out.writeUInt16LE(x >>> 16, at); out.writeUInt16LE(x & 0xffff, at + 2); break;
    }
  }
  return out;
}

const BYTES_ARRAYS: Record<string, readonly string[]> = {
  OB: ['Uint8Array', 'Int8Array'],
  UN: ['Uint8Array', 'Int8Array'],
  OW: ['Uint16Array', 'Int16Array', 'Uint8Array'],
  OF: ['Float32Array'],
  OD: ['Float64Array'],
  OL: ['Uint32Array', 'Int32Array'],
};

function encodeBytes(e: NormalizedElement): Uint8Array {
  const v = e.value as TypedNumbers;
  const kind = Object.prototype.toString.call(v).slice(8, -1);
  if (!ArrayBuffer.isView(v) || !BYTES_ARRAYS[e.vr]?.includes(kind)) {
    fail(e.tag, e.vr, `expected one of ${BYTES_ARRAYS[e.vr]?.join(', ')}, got ${kind}.`);
  }
  let bytes = new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  if (!LITTLE_ENDIAN_HOST && v.BYTES_PER_ELEMENT > 1) {
    bytes = Uint8Array.from(bytes);
    const n = v.BYTES_PER_ELEMENT;
    for (let i = 0; i < bytes.length; i += n) bytes.subarray(i, i + n).reverse();
  }
  if (e.vr === 'OW' && bytes.length % 2 !== 0) fail(e.tag, e.vr, 'OW data must have an even number of bytes.');
  if (bytes.length % 2 === 0) return bytes;
  const padded = new Uint8Array(bytes.length + 1);
  padded.set(bytes);
  return padded;
}

function header(sink: Sink, t: Tag, vr: VR, length: number, enc: DatasetEncoding): void {
  const long = !enc.explicitVR || LONG_LENGTH_VRS.has(vr);
  if (!long && length > 0xfffe) fail(t, vr, `a value of ${length} bytes does not fit this VR's 16-bit length.`);
  const b = Buffer.alloc(enc.explicitVR ? (long ? 12 : 8) : 8);
  b.writeUInt16LE(t >>> 16, 0);
  b.writeUInt16LE(t & 0xffff, 2);
  if (!enc.explicitVR) {
    b.writeUInt32LE(length, 4);
  } else {
    b.write(vr, 4, 'latin1');
    if (long) b.writeUInt32LE(length, 8);
    else b.writeUInt16LE(length, 6);
  }
  sink.push(b);
}

function delimiter(sink: Sink, t: Tag, length: number): void {
  const b = Buffer.alloc(8);
  b.writeUInt16LE(t >>> 16, 0);
  b.writeUInt16LE(t & 0xffff, 2);
  b.writeUInt32LE(length, 4);
  sink.push(b);
}

function encodeSequence(sink: Sink, e: NormalizedElement, enc: DatasetEncoding): void {
  if (!Array.isArray(e.value)) fail(e.tag, e.vr, 'a sequence value is a list of data sets (items).');
  const items = (e.value as Dataset[]).map((item) => {
    const s = new Sink();
    encodeInto(s, normalizeDataset(item), enc);
    return s;
  });
  if (e.undefinedLength) {
    header(sink, e.tag, 'SQ', UNDEFINED_LENGTH, enc);
    for (const item of items) {
      delimiter(sink, ITEM, UNDEFINED_LENGTH);
      for (const c of item.chunks) sink.push(c);
      delimiter(sink, ITEM_DELIMITATION, 0);
    }
    delimiter(sink, SEQUENCE_DELIMITATION, 0);
    return;
  }
  const length = items.reduce((n, item) => n + 8 + item.length, 0);
  header(sink, e.tag, 'SQ', length, enc);
  for (const item of items) {
    delimiter(sink, ITEM, item.length);
    for (const c of item.chunks) sink.push(c);
  }
}

function encodeInto(sink: Sink, elements: NormalizedElement[], enc: DatasetEncoding): void {
  for (const e of elements) {
    if (e.vr === 'SQ') {
      encodeSequence(sink, e, enc);
      continue;
    }
    let value: Uint8Array;
    if (e.value === null || e.value === '') value = new Uint8Array(0);
    else if (isTextVR(e.vr) || isNumberStringVR(e.vr)) value = encodeStrings(e, enc.utf8 === true);
    else if (isBinaryVR(e.vr)) value = encodeBinary(e, e.vr);
    else if (isBytesVR(e.vr)) value = encodeBytes(e);
    else fail(e.tag, e.vr, 'unknown VR.');
    header(sink, e.tag, e.vr, value.length, enc);
    sink.push(value);
  }
}

/** Whether a data set declares UTF-8 text (SpecificCharacterSet ISO_IR 192). */
export function declaresUtf8(elements: NormalizedElement[]): boolean {
  const cs = elements.find((e) => e.tag === SPECIFIC_CHARACTER_SET)?.value;
  const values = Array.isArray(cs) ? cs : [cs];
  return values.some((v) => v === 'ISO_IR 192');
}

/** Reads a top-level string value back from normalized elements (for the file meta group). */
export function stringValue(elements: NormalizedElement[], t: Tag): string | undefined {
  const v = elements.find((e) => e.tag === t)?.value;
  return typeof v === 'string' ? v : undefined;
}

/** Encodes normalized elements (see `normalizeDataset`) as little-endian bytes. */
export function encodeElements(elements: NormalizedElement[], encoding: DatasetEncoding): Buffer {
  const sink = new Sink();
  encodeInto(sink, elements, { ...encoding, utf8: encoding.utf8 ?? declaresUtf8(elements) });
  return sink.toBuffer();
}

/**
 * A keyed data set as an element list, so a caller can add elements the keyed form cannot express
 * (another VR for a tag, e.g. Pixel Data as OB) and write both as one data set.
 */
export function keyedElements(dataset: KeyedDataset): DataElement[] {
  return normalizeDataset(dataset).map((e) => ({ tag: e.tag, vr: e.vr, value: e.value }) as DataElement);
}

/** Encodes a data set (no preamble, no file meta) as little-endian bytes. */
export function encodeDataset(dataset: Dataset, encoding: DatasetEncoding): Buffer {
  return encodeElements(normalizeDataset(dataset), encoding);
}
