import { describe, expect, it } from 'vitest';
import { formatDS, formatIS } from './format-number.js';

describe('formatDS', () => {
  it.each([
    [0, '0'], [-0, '0'], [1, '1'], [-1.5, '-1.5'], [0.1 + 0.2, '0.3'], [1 / 3, '0.33333333333333'],
    [-123.45678901234568, '-123.45678901235'], [1e-20, '1e-20'], [-1.2345678901234568e-7, '-1.2345678901e-7'],
    [1.2345678901234568e20, '1.2345678901e+20'], [-2147483648.125, '-2147483648.125'],
  ])('%d → %s', (value, expected) => {
    expect(formatDS(value)).toBe(expected);
  });

  it('stays within 16 characters and keeps as many digits as fit, for many awkward numbers', () => {
    for (let i = 0; i < 2000; i++) {
      const v = (Math.sin(i * 12.9898) * 43758.5453) * 10 ** ((i % 41) - 20);
      const s = formatDS(v);
      expect(s.length).toBeLessThanOrEqual(16);
      expect(s).toMatch(/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/);
      expect(Math.abs(Number(s) - v)).toBeLessThanOrEqual(Math.abs(v) * 1e-9);
    }
  });

  it.each([NaN, Infinity, -Infinity])('refuses %d', (v) => {
    expect(() => formatDS(v)).toThrow(RangeError);
  });
});

describe('formatIS', () => {
  it.each([[0, '0'], [-2147483648, '-2147483648'], [2147483647, '2147483647']])('%d → %s', (v, s) => {
    expect(formatIS(v)).toBe(s);
  });
  it.each([2147483648, 1.5, NaN])('refuses %d', (v) => {
    expect(() => formatIS(v)).toThrow(RangeError);
  });
});
