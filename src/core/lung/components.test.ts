import { describe, expect, it } from 'vitest';
import { componentSizes, labelAt, labelRuns, type Connectivity } from './components.js';
import { runsFromDense } from './runs.js';
import { randomMask } from './test-volumes.js';
import { lungSimdAvailable } from './lung-simd.js';

/** Brute-force flood fill: the number of components and each voxel's component. */
function floodFill(mask: Uint8Array, [nx, ny, nz]: [number, number, number], connectivity: Connectivity): { count: number; label: Int32Array } {
  const offsets: [number, number, number][] = [];
  for (let dz = -1; dz <= 1; dz++) {
    for (let dy = -1; dy <= 1; dy++) {
      for (let dx = -1; dx <= 1; dx++) {
        const n = Math.abs(dx) + Math.abs(dy) + Math.abs(dz);
        if (n === 0) continue;
        const ok = {
          '2d-4': dz === 0 && n === 1,
          '2d-8': dz === 0,
          '3d-6': n === 1,
          '3d-26': true,
        }[connectivity];
        if (ok) offsets.push([dx, dy, dz]);
      }
    }
  }
  const label = new Int32Array(mask.length).fill(-1);
  let count = 0;
  for (let start = 0; start < mask.length; start++) {
    if (!mask[start] || label[start]! >= 0) continue;
    const stack = [start];
    label[start] = count;
    while (stack.length > 0) {
      const i = stack.pop()!;
      const x = i % nx;
      const y = Math.floor(i / nx) % ny;
      const z = Math.floor(i / (nx * ny));
      for (const [dx, dy, dz] of offsets) {
        const [a, b, c] = [x + dx, y + dy, z + dz];
        if (a < 0 || b < 0 || c < 0 || a >= nx || b >= ny || c >= nz) continue;
        const j = (c * ny + b) * nx + a;
        if (mask[j] && label[j]! < 0) {
          label[j] = count;
          stack.push(j);
        }
      }
    }
    count++;
  }
  return { count, label };
}

describe('labelRuns', () => {
  const dims: [number, number, number] = [13, 9, 6];
  for (const connectivity of ['2d-4', '2d-8', '3d-6', '3d-26'] as const) {
    it(`matches a flood fill with ${connectivity} connectivity on random volumes (kernel and JavaScript)`, () => {
      for (const [density, seed, simd] of [[0.3, 1, true], [0.45, 2, true], [0.6, 3, true], [0.3, 4, false], [0.6, 5, false]] as const) {
        const mask = randomMask(...dims, density, seed);
        const runs = runsFromDense(mask, ...dims);
        const labels = labelRuns(runs, connectivity, { simd });
        const truth = floodFill(mask, dims, connectivity);
        expect(labels.count).toBe(truth.count);
        // Same partition: a one-to-one map between the two labelings.
        const map = new Map<number, number>();
        for (let i = 0; i < mask.length; i++) {
          if (!mask[i]) continue;
          const x = i % dims[0];
          const y = Math.floor(i / dims[0]) % dims[1];
          const z = Math.floor(i / (dims[0] * dims[1]));
          const ours = labelAt(runs, labels, x, y, z);
          const theirs = truth.label[i]!;
          if (!map.has(ours)) map.set(ours, theirs);
          expect(map.get(ours)).toBe(theirs);
        }
        expect(new Set(map.values()).size).toBe(map.size);
      }
    });
  }

  it('numbers the components the same with the WebAssembly kernel as in JavaScript', (ctx) => {
    if (!lungSimdAvailable()) ctx.skip();
    const big: [number, number, number] = [70, 41, 23];
    for (const connectivity of ['2d-4', '2d-8', '3d-6', '3d-26'] as const) {
      for (const density of [0.2, 0.5, 0.7]) {
        const runs = runsFromDense(randomMask(...big, density, 9), ...big);
        const simd = labelRuns(runs, connectivity);
        const js = labelRuns(runs, connectivity, { simd: false });
        expect(simd.count).toBe(js.count);
        expect(Buffer.from(simd.label.buffer).equals(Buffer.from(js.label.buffer)), `${connectivity} ${density}`).toBe(true);
      }
    }
  });

  it('tells diagonal neighbours apart by connectivity and counts sizes', () => {
    // Two voxels touching by a corner in-plane, and a voxel in the next slice under one of them.
    const mask = new Uint8Array(2 * 2 * 2);
    mask[0] = 1; // (0,0,0)
    mask[3] = 1; // (1,1,0)
    mask[4] = 1; // (0,0,1)
    const runs = runsFromDense(mask, 2, 2, 2);
    expect(labelRuns(runs, '2d-4').count).toBe(3);
    expect(labelRuns(runs, '2d-8').count).toBe(2);
    expect(labelRuns(runs, '3d-6').count).toBe(2);
    expect(labelRuns(runs, '3d-26').count).toBe(1);
    const six = labelRuns(runs, '3d-6');
    expect(Array.from(componentSizes(runs, six)).sort()).toEqual([1, 2]);
    expect(labelAt(runs, six, 1, 0, 0)).toBe(-1);
  });
});
