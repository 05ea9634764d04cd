import { describe, expect, it } from 'vitest';
import { combinePasses, covidProbability, interleavedPasses, slicePositives } from './slice-strategy.js';

describe('interleaved whole-volume passes', () => {
  it('reads a short volume in one pass and a long one in interleaved passes that cover every slice once', () => {
    expect(interleavedPasses(30, { kind: 'interleaved', sliceCount: 50 })).toEqual([Array.from({ length: 30 }, (_, i) => i)]);
    const plan = interleavedPasses(123, { kind: 'interleaved', sliceCount: 50 });
    expect(plan).toHaveLength(3);
    expect(plan[1]!.slice(0, 3)).toEqual([1, 4, 7]);
    expect(plan.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: 123 }, (_, i) => i));
    for (const pass of plan) expect(pass.length).toBeLessThanOrEqual(50);
  });

  it('merges passes so the volume attention sums to 1 and the probability is the passes’ mean', () => {
    const plan = interleavedPasses(5, { kind: 'interleaved', sliceCount: 3 }); // [0,2,4], [1,3]
    const { probability, attention } = combinePasses(5, plan, [
      { logits: [0, 0], attention: [0.2, 0.3, 0.5] },
      { logits: [0, Math.log(3)], attention: [0.4, 0.6] },
    ]);
    expect(probability).toBeCloseTo((0.5 + 0.75) / 2, 12);
    expect(Array.from(attention).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(attention[4]).toBeCloseTo(0.5 * (3 / 5), 12);
    expect(attention[3]).toBeCloseTo(0.6 * (2 / 5), 12);
  });

  it('refuses outputs that do not fit the plan', () => {
    expect(() => combinePasses(3, [[0, 1, 2]], [{ logits: [0, 1], attention: [1, 0] }])).toThrow(/3 slices but 2/);
    expect(() => interleavedPasses(0, { kind: 'interleaved', sliceCount: 50 })).toThrow(RangeError);
  });
});

describe('slice verdicts', () => {
  it('marks the slices whose attention exceeds the factor × uniform, only in a positive volume', () => {
    const attention = [0.05, 0.4, 0.3, 0.05, 0.2];
    expect(slicePositives(attention, 0.9, 0.5, { kind: 'attention-over-uniform', factor: 1.2 })).toEqual([false, true, true, false, false]);
    expect(slicePositives(attention, 0.2, 0.5, { kind: 'attention-over-uniform', factor: 1.2 })).toEqual([false, false, false, false, false]);
  });

  it('turns logits into a probability without overflow', () => {
    expect(covidProbability([0, 1000])).toBe(1);
    expect(covidProbability([1000, 0])).toBe(0);
    expect(covidProbability([2, 2])).toBe(0.5);
  });
});
