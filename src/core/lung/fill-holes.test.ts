import { describe, expect, it } from 'vitest';
import { fillHoles2d } from './fill-holes.js';
import { runsFromDense, runsToDense } from './runs.js';

const grid = (rows: string[]) => Uint8Array.from(rows.join('').split(''), (c) => (c === '#' ? 1 : 0));

describe('fillHoles2d', () => {
  it('fills enclosed background (4-connected) and leaves what reaches the slice border', () => {
    const slice = [
      '.......',
      '.#####.',
      '.#..#..',
      '.#####.',
      '...#.#.',
      '...###.',
      '.......',
    ];
    const filled = [
      '.......',
      '.#####.',
      '.####..',
      '.#####.',
      '...###.',
      '...###.',
      '.......',
    ];
    const out = runsToDense(fillHoles2d(runsFromDense(grid(slice), 7, 7, 1)));
    expect(Array.from(out)).toEqual(Array.from(grid(filled)));
  });

  it('does not fill a bay open to the border, nor a gap closed only diagonally, and works per slice', () => {
    const a = ['#####', '#...#', '#...#', '#...#', '##.##'];
    const diagonal = ['.#...', '#.#..', '.#...', '.....', '.....'];
    const mask = new Uint8Array([...grid(a), ...grid(diagonal)]);
    const out = runsToDense(fillHoles2d(runsFromDense(mask, 5, 5, 2)));
    expect(Array.from(out.subarray(0, 25))).toEqual(Array.from(grid(a)));
    // The centre of the diamond is enclosed for 8-connected foreground (4-connected background).
    expect(out[25 + 6]).toBe(1);
  });
});
