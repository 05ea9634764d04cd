/**
 * Value representations the writer knows, grouped by how their values are encoded
 * (PS3.5 §6.2). The groups drive both the value types a caller may pass and the encoder.
 */

/** Character-string VRs whose values are text. */
export type TextVR = 'AE' | 'AS' | 'CS' | 'DA' | 'DT' | 'LO' | 'LT' | 'PN' | 'SH' | 'ST' | 'TM' | 'UC' | 'UI' | 'UR' | 'UT';
/** Character-string VRs that hold numbers (decimal and integer strings). */
export type NumberStringVR = 'DS' | 'IS';
/** Fixed-size binary numbers. AT holds tags written as numbers (0xGGGGEEEE). */
export type BinaryVR = 'US' | 'SS' | 'UL' | 'SL' | 'FL' | 'FD' | 'AT';
/** "Other" byte streams. */
export type BytesVR = 'OB' | 'OW' | 'OF' | 'OD' | 'OL' | 'UN';
export type VR = TextVR | NumberStringVR | BinaryVR | BytesVR | 'SQ';

export type TypedNumbers = Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | Float32Array | Float64Array;

/** VRs written in explicit VR with two reserved bytes and a 32-bit length (PS3.5 §7.1.2). */
export const LONG_LENGTH_VRS: ReadonlySet<VR> = new Set<VR>(['OB', 'OD', 'OF', 'OL', 'OW', 'SQ', 'UC', 'UN', 'UR', 'UT']);

/** VRs whose value is a single string in which a backslash is an ordinary character. */
export const SINGLE_VALUED_TEXT_VRS: ReadonlySet<VR> = new Set<VR>(['LT', 'ST', 'UT', 'UR']);

/** Maximum length in characters of one value (PS3.5 Table 6.2-1); absent = limited only by the length field. */
export const MAX_VALUE_CHARS: Partial<Record<VR, number>> = {
  AE: 16, AS: 4, CS: 16, DA: 8, DS: 16, DT: 26, IS: 12, LO: 64, LT: 10240, PN: 64 * 3 + 2, SH: 16, ST: 1024, TM: 14, UI: 64,
};

/** Bytes per value of the binary VRs. */
export const BINARY_SIZE: Record<BinaryVR, number> = { US: 2, SS: 2, UL: 4, SL: 4, FL: 4, FD: 8, AT: 4 };

const TEXT = new Set<string>(['AE', 'AS', 'CS', 'DA', 'DT', 'LO', 'LT', 'PN', 'SH', 'ST', 'TM', 'UC', 'UI', 'UR', 'UT']);
const BINARY = new Set<string>(['US', 'SS', 'UL', 'SL', 'FL', 'FD', 'AT']);
const BYTES = new Set<string>(['OB', 'OW', 'OF', 'OD', 'OL', 'UN']);

export const isTextVR = (vr: VR): vr is TextVR => TEXT.has(vr);
export const isNumberStringVR = (vr: VR): vr is NumberStringVR => vr === 'DS' || vr === 'IS';
export const isBinaryVR = (vr: VR): vr is BinaryVR => BINARY.has(vr);
export const isBytesVR = (vr: VR): vr is BytesVR => BYTES.has(vr);
