import { describe, expect, it } from 'vitest';
import { growWithinHull } from './grow-in-hull.js';
import { fillOuterPockets } from './outer-pockets.js';
import { runsFromDense, runsToDense } from './runs.js';

const grid = (rows: string[], c = '#') => Uint8Array.from(rows.join('').split(''), (ch) => (ch === c ? 1 : 0));

describe('fillOuterPockets: the per-lung hull where it indents the lung\'s outer side', () => {
  // A lung (a disc of radius 12 px) with a notch on the side away from the body's axis and a bay
  // on the side facing it; the axis lies to the right of the lung.
  const [nx, ny] = [48, 32];
  const lung = new Uint8Array(nx * ny);
  for (let y = 0; y < ny; y++) {
    for (let x = 0; x < nx; x++) {
      const inside = Math.hypot(x - 20, y - 16) <= 12;
      const notch = Math.hypot(x - 8, y - 16) <= 4; // outer side (left)
      const bay = Math.hypot(x - 33, y - 16) <= 7; // medial side (right)
      if (inside && !notch && !bay) lung[y * nx + x] = 1;
    }
  }
  const axis = new Float64Array([44, 16]);
  const filled = runsToDense(fillOuterPockets(runsFromDense(lung, nx, ny, 1), axis, [1, 1, 1], 25));

  it('fills the outer notch and leaves the bay that faces the axis', () => {
    expect(filled[16 * nx + 10]).toBe(1);
    expect(filled[16 * nx + 29]).toBe(0);
    // Nothing outside the disc is added.
    for (let i = 0; i < filled.length; i++) if (filled[i]) expect(Math.hypot((i % nx) - 20, Math.floor(i / nx) - 16)).toBeLessThanOrEqual(12.5);
  });

  it('leaves the medial bay even when the body\'s axis lies right at its mouth', () => {
    // The chord of a medial pocket can pass near or beyond the axis (the right lung beside the
    // trachea in a real scan): "opens away from the axis" was then true of it.
    const near = runsToDense(fillOuterPockets(runsFromDense(lung, nx, ny, 1), new Float64Array([30, 16]), [2, 2, 1], 50));
    expect(near[16 * nx + 29]).toBe(0);
    expect(near[16 * nx + 10]).toBe(1);
  });

  it('leaves outer pockets deeper than the limit, and works when the axis lies on the other side', () => {
    const shallow = runsToDense(fillOuterPockets(runsFromDense(lung, nx, ny, 1), axis, [1, 1, 1], 2));
    expect(shallow[16 * nx + 10]).toBe(0);
    // Axis to the left: now the bay opens away from it and the notch towards it.
    const mirrored = runsToDense(fillOuterPockets(runsFromDense(lung, nx, ny, 1), new Float64Array([0, 16]), [1, 1, 1], 25));
    expect(mirrored[16 * nx + 29]).toBe(1);
    expect(mirrored[16 * nx + 10]).toBe(0);
  });
});

describe('growWithinHull', () => {
  it('joins the lung-like voxels of the hull that touch the lung, not islands, not those outside the hull', () => {
    const lung = grid([
      '..........',
      '.######...',
      '.#........',
      '.#........',
      '.#........',
      '.######...',
      '..........',
    ]);
    const like = grid([
      '.......+++',
      '.......+..',
      '..++......',
      '..+..+....',
      '..........',
      '..........',
      '..........',
    ], '+');
    const out = runsToDense(growWithinHull(runsFromDense(lung, 10, 7, 1), runsFromDense(like, 10, 7, 1)));
    const expected = grid([
      '..........',
      '.######...',
      '.###......',
      '.##.......',
      '.#........',
      '.######...',
      '..........',
    ]);
    expect(Array.from(out)).toEqual(Array.from(expected));
  });
});
