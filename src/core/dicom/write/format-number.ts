/**
 * Number formatting for the numeric string VRs: a DS value has at most 16 characters, an IS
 * value at most 12 and must fit a signed 32-bit integer (PS3.5 Table 6.2-1).
 */

const DS_PATTERN = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const IS_PATTERN = /^[+-]?\d+$/;

function trimMantissa(s: string): string {
  const [mantissa, exponent] = s.split('e') as [string, string | undefined];
  const m = mantissa.includes('.') ? mantissa.replace(/0+$/, '').replace(/\.$/, '') : mantissa;
  return exponent === undefined ? m : `${m}e${exponent}`;
}

/** The most precise decimal string of `value` that is a valid DS of at most 16 characters. */
export function formatDS(value: number): string {
  if (!Number.isFinite(value)) throw new RangeError(`A decimal string (DS) cannot hold ${value}.`);
  if (Object.is(value, -0)) return '0';
  const plain = String(value);
  if (plain.length <= 16) return plain;
  for (let digits = 16; digits >= 1; digits--) {
    for (const candidate of [value.toPrecision(digits), value.toExponential(digits - 1)]) {
      const s = trimMantissa(candidate);
      if (s.length <= 16) return s;
    }
  }
  throw new RangeError(`${value} cannot be written as a 16-character decimal string.`);
}

/** An integer string (IS): a signed 32-bit integer, at most 12 characters. */
export function formatIS(value: number): string {
  if (!Number.isInteger(value) || value < -(2 ** 31) || value > 2 ** 31 - 1) {
    throw new RangeError(`An integer string (IS) must hold a signed 32-bit integer, got ${value}.`);
  }
  return String(value);
}

/** Checks a caller-formatted DS or IS string (surrounding spaces allowed, as the standard says). */
export function checkNumberString(vr: 'DS' | 'IS', value: string): string {
  const max = vr === 'DS' ? 16 : 12;
  const core = value.trim();
  const ok = (vr === 'DS' ? DS_PATTERN : IS_PATTERN).test(core) && value.length <= max;
  if (!ok) throw new RangeError(`"${value}" is not a valid ${vr} value (at most ${max} characters of ${vr === 'DS' ? 'a decimal number' : 'an integer'}).`);
  return value;
}
