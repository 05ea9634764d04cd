import { describe, expect, it } from 'vitest';
import { labelRuns } from './components.js';
import { componentMoments2d, eccentricity } from './region-props.js';
import { runsFromDense } from './runs.js';

/** One slice holding a filled ellipse with semi-axes a (x) and b (y) voxels, rotated by θ. */
function ellipse(n: number, a: number, b: number, theta = 0): Uint8Array {
  const out = new Uint8Array(n * n);
  const c = (n - 1) / 2;
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      const u = (x - c) * Math.cos(theta) + (y - c) * Math.sin(theta);
      const v = -(x - c) * Math.sin(theta) + (y - c) * Math.cos(theta);
      if ((u / a) ** 2 + (v / b) ** 2 <= 1) out[y * n + x] = 1;
    }
  }
  return out;
}

function eccentricityOf(mask: Uint8Array, n: number, sx = 1, sy = 1): number {
  const runs = runsFromDense(mask, n, n, 1);
  const labels = labelRuns(runs, '2d-8');
  expect(labels.count).toBe(1);
  const m = componentMoments2d(runs, labels);
  return eccentricity(m, 0, sx, sy);
}

describe('eccentricity (scikit-image regionprops, in mm)', () => {
  it('is √(1 − b²/a²) for an ellipse, at any orientation', () => {
    for (const [a, b] of [[30, 30], [30, 20], [40, 10]] as const) {
      const expected = Math.sqrt(1 - (b / a) ** 2);
      for (const theta of [0, 0.4, Math.PI / 2]) {
        expect(eccentricityOf(ellipse(101, a, b, theta), 101)).toBeCloseTo(expected, 2);
      }
    }
  });

  it('measures in millimetres: an ellipse in voxels that is a circle in mm has eccentricity ≈ 0', () => {
    // 40 × 20 voxels at 0.5 × 1 mm = a 20 mm circle.
    expect(eccentricityOf(ellipse(101, 40, 20), 101, 0.5, 1)).toBeLessThan(0.15);
    expect(eccentricityOf(ellipse(101, 40, 20), 101, 1, 1)).toBeCloseTo(Math.sqrt(0.75), 2);
  });

  it('is 0 for one voxel and 1 for a straight line (dropped by the < 0.99 rule)', () => {
    const dot = new Uint8Array(25);
    dot[12] = 1;
    expect(eccentricityOf(dot, 5)).toBe(0);
    const line = new Uint8Array(25);
    for (let y = 0; y < 5; y++) line[y * 5 + 2] = 1;
    expect(eccentricityOf(line, 5)).toBeGreaterThan(0.99);
  });

  it('accumulates the raw moments of each run in closed form', () => {
    const mask = new Uint8Array([0, 1, 1, 1, 0, 0, 0, 1, 1, 0]);
    const runs = runsFromDense(mask, 5, 2, 1);
    const m = componentMoments2d(runs, labelRuns(runs, '2d-8'));
    const pts = [[1, 0], [2, 0], [3, 0], [2, 1], [3, 1]];
    const sum = (f: (p: number[]) => number) => pts.reduce((s, p) => s + f(p), 0);
    expect(Array.from(m)).toEqual([5, sum((p) => p[0]!), sum((p) => p[1]!), sum((p) => p[0]! ** 2), sum((p) => p[1]! ** 2), sum((p) => p[0]! * p[1]!)]);
  });
});
