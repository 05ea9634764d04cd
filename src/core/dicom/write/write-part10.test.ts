import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import dicomParser, { type DataSet } from 'dicom-parser';
import { afterAll, describe, expect, it } from 'vitest';
import {
  LUNGLENS_IMPLEMENTATION_CLASS_UID, WRITABLE_TRANSFER_SYNTAXES, createUid, tag, writePart10,
  type DataElement, type KeyedDataset, type WritePart10Options,
} from './index.js';

const CT_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.2';
const hasDcmdump = spawnSync('dcmdump', ['--version']).status === 0;
const work = mkdtempSync(path.join(tmpdir(), 'lunglens-write-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const pixels = Int16Array.from({ length: 6 * 4 }, (_, i) => (i % 2 === 0 ? -1000 + i : 700 - i));

function ctDataset(overrides: KeyedDataset = {}): KeyedDataset {
  return {
    SOPClassUID: CT_IMAGE_STORAGE,
    SOPInstanceUID: '2.25.1234567890',
    StudyInstanceUID: '2.25.1',
    SeriesInstanceUID: '2.25.2',
    PatientName: 'Phantom^Odd',
    PatientID: 'ODD',
    Modality: 'CT',
    ImageType: ['ORIGINAL', 'PRIMARY', 'AXIAL'],
    ImagePositionPatient: [-125.5, -100.25, 37],
    ImageOrientationPatient: [1, 0, 0, 0, 1, 0],
    PixelSpacing: [0.75, 0.5],
    SliceThickness: 1.25,
    InstanceNumber: 7,
    Rows: 4,
    Columns: 6,
    SamplesPerPixel: 1,
    PhotometricInterpretation: 'MONOCHROME2',
    BitsAllocated: 16,
    BitsStored: 16,
    HighBit: 15,
    PixelRepresentation: 1,
    PixelPaddingValue: -2000,
    RescaleIntercept: 0,
    RescaleSlope: 1,
    PixelData: pixels,
    ...overrides,
  };
}

function parse(bytes: Buffer, transferSyntaxUid?: string): DataSet {
  return dicomParser.parseDicom(bytes, transferSyntaxUid ? { TransferSyntaxUID: transferSyntaxUid } : {});
}

function dcmdump(bytes: Buffer, name: string, args: string[] = []): { status: number | null; stdout: string; stderr: string } {
  const file = path.join(work, name);
  writeFileSync(file, bytes);
  const r = spawnSync('dcmdump', ['-q', '+L', ...args, file], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const pixelBytes = (ds: DataSet): Int16Array => {
  const e = ds.elements.x7fe00010!;
  return new Int16Array(ds.byteArray.buffer.slice(ds.byteArray.byteOffset + e.dataOffset, ds.byteArray.byteOffset + e.dataOffset + e.length));
};

describe('writePart10 file layout', () => {
  it('writes preamble, DICM and a file meta group whose length covers exactly its elements', () => {
    const bytes = writePart10(ctDataset());
    expect(bytes.subarray(0, 128).every((b) => b === 0)).toBe(true);
    expect(bytes.toString('latin1', 128, 132)).toBe('DICM');
    expect(bytes.readUInt16LE(132)).toBe(0x0002);
    expect(bytes.toString('latin1', 136, 138)).toBe('UL');
    const groupLength = bytes.readUInt32LE(140);
    const afterMeta = 144 + groupLength;
    expect(bytes.readUInt16LE(afterMeta)).toBe(0x0008); // first data set element follows immediately
    expect(bytes.readUInt16LE(afterMeta - 0)).not.toBe(0x0002);
    const ds = parse(bytes);
    expect(ds.uint32('x00020000')).toBe(groupLength);
    expect(ds.string('x00020002')).toBe(CT_IMAGE_STORAGE);
    expect(ds.string('x00020003')).toBe('2.25.1234567890');
    expect(ds.string('x00020010')).toBe(WRITABLE_TRANSFER_SYNTAXES['explicit-little']);
    expect(ds.string('x00020012')).toBe(LUNGLENS_IMPLEMENTATION_CLASS_UID);
    expect([...(ds.elements.x00020001 ? bytes.subarray(ds.elements.x00020001.dataOffset, ds.elements.x00020001.dataOffset + 2) : [])]).toEqual([0, 1]);
  });

  it.each([
    ['explicit-little', { transferSyntax: 'explicit-little' }],
    ['implicit-little', { transferSyntax: 'implicit-little' }],
    ['deflated-explicit-little', { transferSyntax: 'deflated-explicit-little' }],
  ] as [string, WritePart10Options][])('round-trips every value through dicom-parser in %s', (_name, options) => {
    const ds = parse(writePart10(ctDataset(), options));
    expect(ds.string('x00020010')).toBe(WRITABLE_TRANSFER_SYNTAXES[options.transferSyntax!]);
    expect(ds.string('x00100010')).toBe('Phantom^Odd');
    expect(ds.string('x00080008')).toBe('ORIGINAL\\PRIMARY\\AXIAL');
    expect([0, 1, 2].map((i) => ds.floatString('x00200032', i))).toEqual([-125.5, -100.25, 37]);
    expect([0, 1].map((i) => ds.floatString('x00280030', i))).toEqual([0.75, 0.5]);
    expect(ds.intString('x00200013')).toBe(7);
    expect(ds.uint16('x00280010')).toBe(4);
    expect(ds.uint16('x00280011')).toBe(6);
    expect(ds.int16('x00280120')).toBe(-2000);
    expect(Array.from(pixelBytes(ds))).toEqual(Array.from(pixels));
  });

  it('writes PixelPaddingValue as US when PixelRepresentation is 0 and as SS when it is 1', () => {
    const unsigned = writePart10(ctDataset({ PixelRepresentation: 0, PixelPaddingValue: 63536, PixelData: new Uint16Array(24) }));
    const signed = writePart10(ctDataset());
    const vrOf = (bytes: Buffer) => parse(bytes).elements.x00280120!.vr;
    expect(vrOf(unsigned)).toBe('US');
    expect(parse(unsigned).uint16('x00280120')).toBe(63536);
    expect(vrOf(signed)).toBe('SS');
  });

  it('without preamble starts with the file meta group; without file meta, with the data set', () => {
    const noPreamble = writePart10(ctDataset(), { preamble: false });
    expect(noPreamble.readUInt16LE(0)).toBe(0x0002);
    expect(noPreamble.readUInt16LE(2)).toBe(0x0000);
    const raw = writePart10(ctDataset(), { fileMeta: false, transferSyntax: 'implicit-little' });
    expect(raw.readUInt16LE(0)).toBe(0x0008);
    expect(raw.readUInt16LE(2)).toBe(0x0008); // ImageType, the lowest tag
    const ds = parse(raw, WRITABLE_TRANSFER_SYNTAXES['implicit-little']);
    expect(ds.string('x00080018')).toBe('2.25.1234567890');
    expect(Array.from(pixelBytes(ds))).toEqual(Array.from(pixels));
    const rawExplicit = writePart10(ctDataset(), { fileMeta: false });
    expect(rawExplicit.toString('latin1', 4, 6)).toBe('CS');
  });

  it('refuses layouts that no reader could interpret', () => {
    expect(() => writePart10(ctDataset(), { fileMeta: false, preamble: true })).toThrow(/preamble/);
    expect(() => writePart10(ctDataset(), { fileMeta: false, transferSyntax: 'deflated-explicit-little' })).toThrow(/deflated/);
    expect(() => writePart10(ctDataset({ SOPInstanceUID: undefined }))).toThrow(/SOP class and instance/);
  });
});

describe('value encoding', () => {
  const elementBytes = (bytes: Buffer, t: string): Buffer => {
    const e = parse(bytes).elements[t]!;
    return bytes.subarray(e.dataOffset, e.dataOffset + e.length);
  };

  it.each([
    ['UI pads with NUL', { SOPInstanceUID: '2.25.1234' }, 'x00080018', '2.25.1234\0'],
    ['text pads with space', { PatientID: 'ABC' }, 'x00100020', 'ABC '],
    ['even text is not padded', { PatientID: 'ABCD' }, 'x00100020', 'ABCD'],
    ['multi-valued strings join with backslash', { ImageType: ['DERIVED', 'SECONDARY'] }, 'x00080008', 'DERIVED\\SECONDARY '],
    ['DS numbers', { PixelSpacing: [1 / 3, 0.25] }, 'x00280030', '0.33333333333333\\0.25 '],
    ['IS numbers', { InstanceNumber: -12 }, 'x00200013', '-12 '],
    ['empty value (Type 2)', { PatientName: null }, 'x00100010', ''],
  ] as [string, KeyedDataset, string, string][])('%s', (_name, values, t, expected) => {
    const bytes = writePart10(ctDataset(values));
    expect(elementBytes(bytes, t).toString('latin1')).toBe(expected);
    expect(elementBytes(bytes, t).length % 2).toBe(0);
  });

  it('writes the binary VRs little endian with their sizes', () => {
    const elements: DataElement[] = [
      { tag: tag(0x0008, 0x0016), vr: 'UI', value: CT_IMAGE_STORAGE },
      { tag: tag(0x0008, 0x0018), vr: 'UI', value: '1.2.3' },
      { tag: tag(0x0009, 0x1001), vr: 'US', value: [1, 65535] },
      { tag: tag(0x0009, 0x1002), vr: 'SS', value: -32768 },
      { tag: tag(0x0009, 0x1003), vr: 'UL', value: 4294967295 },
      { tag: tag(0x0009, 0x1004), vr: 'SL', value: new Int32Array([-5, 6]) },
      { tag: tag(0x0009, 0x1005), vr: 'FL', value: 1.5 },
      { tag: tag(0x0009, 0x1006), vr: 'FD', value: [Math.PI, -0.1] },
      { tag: tag(0x0009, 0x1007), vr: 'AT', value: 0x7fe00010 },
      { tag: tag(0x0009, 0x1008), vr: 'OB', value: new Uint8Array([1, 2, 3]) },
      { tag: tag(0x0009, 0x1009), vr: 'OF', value: new Float32Array([0.25]) },
    ];
    for (const syntax of ['explicit-little', 'implicit-little'] as const) {
      const bytes = writePart10(elements, { transferSyntax: syntax });
      const ds = parse(bytes);
      expect([ds.uint16('x00091001', 0), ds.uint16('x00091001', 1)]).toEqual([1, 65535]);
      expect(ds.int16('x00091002')).toBe(-32768);
      expect(ds.uint32('x00091003')).toBe(4294967295);
      expect([ds.int32('x00091004', 0), ds.int32('x00091004', 1)]).toEqual([-5, 6]);
      expect(ds.float('x00091005')).toBe(1.5);
      expect([ds.double('x00091006', 0), ds.double('x00091006', 1)]).toEqual([Math.PI, -0.1]);
      expect(ds.attributeTag('x00091007')).toBe('x7fe00010');
      expect(ds.elements.x00091008!.length).toBe(4); // OB padded with one NUL
      expect(ds.float('x00091009')).toBe(0.25);
    }
  });

  it('gives OB/OW/SQ/UT a 32-bit length in explicit VR (two reserved bytes), others 16 bits', () => {
    const bytes = writePart10(ctDataset(), { fileMeta: false });
    const at = bytes.indexOf(Buffer.from([0xe0, 0x7f, 0x10, 0x00]));
    expect(bytes.toString('latin1', at + 4, at + 6)).toBe('OW');
    expect(bytes.readUInt16LE(at + 6)).toBe(0);
    expect(bytes.readUInt32LE(at + 8)).toBe(pixels.byteLength);
  });

  it.each([
    ['a UID with a leading zero', { SOPInstanceUID: '1.02.3' }, /not a UID/],
    ['a UID over 64 characters', { SOPInstanceUID: `2.25.${'1'.repeat(60)}` }, /longer than 64/],
    ['a CS value in lower case', { Modality: 'ct' }, /upper-case/],
    ['a backslash inside a value', { PatientID: 'A\\B' }, /backslash/],
    ['a DS that is not a number', { SliceThickness: 'thick' }, /not a valid DS/],
    ['an IS that is not an integer', { InstanceNumber: 1.5 }, /signed 32-bit integer/],
    ['a US out of range', { Rows: 70000 }, /does not fit US/],
    ['non-ASCII text without ISO_IR 192', { PatientName: 'Müller' }, /not ASCII/],
    ['a group length element', [{ tag: 0x00080000, vr: 'UL', value: 0 }], /group length/],
    ['a file meta element in the data set', [{ tag: 0x00020010, vr: 'UI', value: '1.2' }], /file meta/],
    ['the same tag twice', [{ tag: 0x00100020, vr: 'LO', value: 'A' }, { tag: 0x00100020, vr: 'LO', value: 'B' }], /twice/],
    ['a short-length value over 64 KiB', [{ tag: 0x00091001, vr: 'US', value: new Uint16Array(40000) }], /16-bit length/],
  ] as [string, KeyedDataset | DataElement[], RegExp][])('refuses %s, naming the tag', (_name, values, message) => {
    const dataset = Array.isArray(values) ? values : ctDataset(values);
    expect(() => writePart10(dataset, { fileMeta: false })).toThrow(message);
  });

  it('writes UTF-8 text when SpecificCharacterSet says ISO_IR 192', () => {
    const bytes = writePart10(ctDataset({ SpecificCharacterSet: 'ISO_IR 192', PatientName: 'Müller^Jürgen' }));
    expect(elementBytes(bytes, 'x00100010').toString('utf8').trimEnd()).toBe('Müller^Jürgen');
  });
});

describe('sequences', () => {
  const nested: KeyedDataset = {
    PlanePositionSequence: [{ ImagePositionPatient: [1, 2, 3] }],
    PixelMeasuresSequence: [{ PixelSpacing: [0.5, 0.5], SliceThickness: 1 }],
  };
  const withSequences = (undefinedLength: boolean): DataElement[] => [
    { tag: 0x00080016, vr: 'UI', value: CT_IMAGE_STORAGE },
    { tag: 0x00080018, vr: 'UI', value: '1.2.3.4' },
    { tag: 0x52009229, vr: 'SQ', value: [nested], undefinedLength },
    {
      tag: 0x52009230, vr: 'SQ', undefinedLength,
      value: [{ FrameContentSequence: [{ InStackPositionNumber: 1 }] }, [{ tag: 0x00209111, vr: 'SQ', value: [], undefinedLength }]],
    },
    { tag: 0x7fe00010, vr: 'OW', value: pixels },
  ];

  it.each([
    ['defined', false, 'explicit-little'],
    ['undefined', true, 'explicit-little'],
    ['defined', false, 'implicit-little'],
    ['undefined', true, 'implicit-little'],
  ] as const)('nests items with %s length (%s) and the data after them still parses', (_n, undefinedLength, syntax) => {
    const bytes = writePart10(withSequences(undefinedLength), { transferSyntax: syntax });
    const ds = parse(bytes);
    const shared = ds.elements.x52009229!;
    expect(shared.hadUndefinedLength ?? false).toBe(undefinedLength);
    const item = shared.items![0]!.dataSet!;
    expect(item.elements.x00209113!.items![0]!.dataSet!.floatString('x00200032', 2)).toBe(3);
    expect(item.elements.x00289110!.items![0]!.dataSet!.floatString('x00280030', 0)).toBe(0.5);
    const perFrame = ds.elements.x52009230!.items!;
    expect(perFrame).toHaveLength(2);
    expect(perFrame[0]!.dataSet!.elements.x00209111!.items![0]!.dataSet!.uint32('x00209057')).toBe(1);
    expect(perFrame[1]!.dataSet!.elements.x00209111!.items ?? []).toHaveLength(0);
    expect(Array.from(pixelBytes(ds))).toEqual(Array.from(pixels));
  });

  it.skipIf(!hasDcmdump)('dcmdump reads the sequences as nested items without complaint', () => {
    for (const undefinedLength of [false, true]) {
      const r = dcmdump(writePart10(withSequences(undefinedLength)), `seq-${undefinedLength}.dcm`);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(r.stdout).toContain(undefinedLength ? 'Sequence with undefined length' : 'Sequence with explicit length #=2');
      expect(r.stdout).toMatch(/\(0020,0032\) DS \[1\\2\\3\]/);
    }
  });
});

describe.skipIf(!hasDcmdump)('dcmtk reads what the writer writes', () => {
  it.each([
    ['explicit-little', {}, 'Little Endian Explicit'],
    ['implicit-little', { transferSyntax: 'implicit-little' }, 'Little Endian Implicit'],
    ['deflated', { transferSyntax: 'deflated-explicit-little' }, 'Deflated Explicit VR Little Endian'],
    ['no preamble', { preamble: false }, 'Little Endian Explicit'],
    ['no preamble, no file meta', { fileMeta: false, transferSyntax: 'implicit-little' }, 'Little Endian Implicit'],
  ] as [string, WritePart10Options, string][])('%s', (name, options, syntaxName) => {
    const r = dcmdump(writePart10(ctDataset(), options), `${name.replace(/\W+/g, '-')}.dcm`);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`# Used TransferSyntax: ${syntaxName}`);
    expect(r.stdout).toMatch(/\(0020,0032\) DS \[-125.5\\-100.25\\37\]/);
    expect(r.stdout).toMatch(/\(0028,0120\) SS -2000/);
    expect(r.stdout).toMatch(/\(7fe0,0010\) OW .* # +48, 1 PixelData/);
    if (options.fileMeta !== false) expect(r.stdout).toMatch(/\(0002,0003\) UI \[2\.25\.1234567890\]/);
  });

  it('keeps a fresh UID readable and within 64 characters', () => {
    const uid = createUid();
    const r = dcmdump(writePart10(ctDataset({ SOPInstanceUID: uid })), 'uid.dcm');
    expect(r.stdout).toContain(`(0008,0018) UI [${uid}]`);
  });
});
