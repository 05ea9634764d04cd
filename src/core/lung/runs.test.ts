import { describe, expect, it } from 'vitest';
import { randomMask } from './test-volumes.js';
import { complementRuns, intersectRuns, keepComponents, runsFromDense, runsToDense, sliceVoxelCounts, subtractRuns, unionRuns, voxelCount } from './runs.js';

describe('RunVolume', () => {
  it('round-trips a dense mask, including runs that touch both ends of a row', () => {
    const mask = randomMask(9, 5, 3, 0.5);
    mask.fill(1, 0, 9); // a full row
    const runs = runsFromDense(mask, 9, 5, 3);
    expect(Array.from(runsToDense(runs))).toEqual(Array.from(mask));
    expect(voxelCount(runs)).toBe(mask.reduce((a, b) => a + b, 0));
    expect(runs.x0[0]).toBe(0);
    expect(runs.x1[0]).toBe(9);
    const perSlice = Array.from(sliceVoxelCounts(runs));
    expect(perSlice).toEqual([0, 1, 2].map((k) => mask.subarray(k * 45, (k + 1) * 45).reduce((a, b) => a + b, 0)));
  });

  it('complements, unites and filters voxel for voxel', () => {
    const a = randomMask(11, 4, 2, 0.4, 7);
    const b = randomMask(11, 4, 2, 0.3, 9);
    const ra = runsFromDense(a, 11, 4, 2);
    const rb = runsFromDense(b, 11, 4, 2);
    expect(Array.from(runsToDense(complementRuns(ra)))).toEqual(Array.from(a, (v) => 1 - v));
    expect(Array.from(runsToDense(unionRuns(ra, rb)))).toEqual(Array.from(a, (v, i) => v | b[i]!));
    expect(Array.from(runsToDense(intersectRuns(ra, rb)))).toEqual(Array.from(a, (v, i) => v & b[i]!));
    expect(Array.from(runsToDense(subtractRuns(ra, rb)))).toEqual(Array.from(a, (v, i) => v & (1 - b[i]!)));
    expect(Array.from(runsToDense(subtractRuns(rb, ra)))).toEqual(Array.from(b, (v, i) => v & (1 - a[i]!)));
    const firstHalf = keepComponents(ra, Int32Array.from({ length: ra.count }, (_, i) => i), Uint8Array.from({ length: ra.count }, (_, i) => (i < ra.count / 2 ? 1 : 0)));
    expect(voxelCount(firstHalf)).toBeLessThanOrEqual(voxelCount(ra));
    // Touching runs from the two inputs merge into one.
    const left = runsFromDense(Uint8Array.from([1, 1, 0, 0]), 4, 1, 1);
    const right = runsFromDense(Uint8Array.from([0, 0, 1, 1]), 4, 1, 1);
    expect(unionRuns(left, right).count).toBe(1);
  });
});
