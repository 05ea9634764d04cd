import { describe, expect, it } from 'vitest';
import { attentionColour, attentionLevels, highAttentionSlices, indexAtFraction, nextMark } from './timeline.js';

describe('timeline navigation', () => {
  it('maps a position along the bar to a slice, clamped', () => {
    expect(indexAtFraction(0, 80)).toBe(0);
    expect(indexAtFraction(0.5, 80)).toBe(40);
    expect(indexAtFraction(0.9999, 80)).toBe(79);
    expect(indexAtFraction(1.2, 80)).toBe(79);
    expect(indexAtFraction(-0.1, 80)).toBe(0);
  });

  it('marks the top slices and the peak of each run of positive slices', () => {
    const attention = [0.01, 0.02, 0.3, 0.1, 0.01, 0.05, 0.2, 0.06, 0.01, 0.24];
    const positive = [false, false, true, true, false, true, true, true, false, false];
    expect(highAttentionSlices(attention, positive, [2, 9])).toEqual([2, 6, 9]);
  });

  it('jumps to the next focus and wraps around, both ways', () => {
    const marks = [2, 6, 9];
    expect(nextMark(marks, 0, 1)).toBe(2);
    expect(nextMark(marks, 2, 1)).toBe(6);
    expect(nextMark(marks, 9, 1)).toBe(2);
    expect(nextMark(marks, 6, -1)).toBe(2);
    expect(nextMark(marks, 1, -1)).toBe(9);
    expect(nextMark([], 4, 1)).toBe(4);
  });

  it('grades attention against the uniform weight: at or below it 0, the peak 1, uniform attention 0 everywhere', () => {
    expect(attentionLevels([0.1, 0.1, 0.4, 0.4])).toEqual([0, 0, 1, 1]);
    expect(attentionLevels([0.05, 0.25, 0.45, 0.25])).toEqual([0, 0, 1, 0]);
    expect(attentionLevels([0.2, 0.3, 0.5]).map((v) => Math.round(v * 100) / 100)).toEqual([0, 0, 1]);
    expect(attentionLevels([0.25, 0.25, 0.25, 0.25])).toEqual([0, 0, 0, 0]);
    expect(attentionLevels([])).toEqual([]);
  });

  it('colours low attention blue and high attention red', () => {
    expect(attentionColour(0)).toBe(0x28468c);
    expect(attentionColour(1)).toBe(0xe12d2d);
    expect((attentionColour(0.5) >> 16) & 255).toBe(240);
  });
});
