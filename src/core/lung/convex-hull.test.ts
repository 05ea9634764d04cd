import { describe, expect, it } from 'vitest';
import { convexHullPerSlice, sliceHull } from './convex-hull.js';
import { runsFromDense, runsToDense, voxelCount } from './runs.js';
import { randomMask } from './test-volumes.js';

/** Brute force: pixel centres inside the convex hull of the set pixels' centres. */
function bruteHull(mask: Uint8Array, n: number): Uint8Array {
  const pts: [number, number][] = [];
  for (let i = 0; i < n * n; i++) if (mask[i]) pts.push([i % n, Math.floor(i / n)]);
  const out = new Uint8Array(n * n);
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      // Inside iff no line through (x, y) has all points strictly on one side: test against
      // every pair (a, b) forming a hull edge candidate.
      let inside = true;
      for (const a of pts) {
        for (const b of pts) {
          if (a === b) continue;
          const cross = (b[0] - a[0]) * (y - a[1]) - (b[1] - a[1]) * (x - a[0]);
          if (cross < -1e-9 && pts.every((p) => (b[0] - a[0]) * (p[1] - a[1]) - (b[1] - a[1]) * (p[0] - a[0]) >= -1e-9)) {
            inside = false;
          }
        }
      }
      if (pts.length === 1) inside = x === pts[0]![0] && y === pts[0]![1];
      out[y * n + x] = inside ? 1 : 0;
    }
  }
  return out;
}

describe('convex hull per slice', () => {
  it('fills exactly the pixel centres inside the hull of a slice (random shapes)', () => {
    for (const seed of [1, 2, 3, 4]) {
      const n = 12;
      const mask = randomMask(n, n, 1, 0.08, seed);
      const runs = runsFromDense(mask, n, n, 1);
      const hull = convexHullPerSlice(runs, Infinity);
      expect(Array.from(runsToDense(hull)), `seed ${seed}`).toEqual(Array.from(bruteHull(mask, n)));
    }
  });

  it('fills a crescent and reports its area; keeps the slice when the hull is more than twice the mask', () => {
    const n = 40;
    // An L: two 30 × 4 bars; its hull (a triangle) is ≈ 2× its area.
    const l = new Uint8Array(n * n);
    for (let y = 5; y < 35; y++) for (let x = 5; x < 9; x++) l[y * n + x] = 1;
    for (let y = 31; y < 35; y++) for (let x = 5; x < 35; x++) l[y * n + x] = 1;
    const runs = runsFromDense(l, n, n, 1);
    const hull = sliceHull(runs, 0)!;
    const area = voxelCount(runs);
    expect(hull.area).toBeGreaterThan(2 * area);
    expect(voxelCount(convexHullPerSlice(runs, 2))).toBe(area); // kept as is
    expect(voxelCount(convexHullPerSlice(runs, 4))).toBe(hull.area); // replaced by its hull
    // A thick crescent (within 2×) is filled.
    const c = new Uint8Array(n * n);
    for (let y = 0; y < n; y++) {
      for (let x = 0; x < n; x++) {
        const r1 = Math.hypot(x - 20, y - 20);
        const r2 = Math.hypot(x - 26, y - 20);
        if (r1 <= 15 && r2 > 9) c[y * n + x] = 1;
      }
    }
    const cr = runsFromDense(c, n, n, 1);
    const filled = runsToDense(convexHullPerSlice(cr, 2));
    expect(filled[20 * n + 30]).toBe(1); // the bay of the crescent
    expect(voxelCount(convexHullPerSlice(cr, 2))).toBe(sliceHull(cr, 0)!.area);
  });

  it('handles slices independently, including empty ones and single voxels', () => {
    const mask = new Uint8Array(5 * 5 * 3);
    mask[2 * 5 + 2] = 1; // slice 0: one voxel
    mask[50 + 0] = 1; // slice 2: two corners
    mask[50 + 24] = 1;
    const out = runsToDense(convexHullPerSlice(runsFromDense(mask, 5, 5, 3), 10));
    expect(out.subarray(0, 25).reduce((a, b) => a + b, 0)).toBe(1);
    expect(out.subarray(25, 50).reduce((a, b) => a + b, 0)).toBe(0);
    // The diagonal from (0,0) to (4,4): five voxels.
    expect(out.subarray(50, 75).reduce((a, b) => a + b, 0)).toBe(5);
  });
});
