import { describe, expect, it } from 'vitest';
import { syntheticChest } from '../lung/index.js';
import { judgeContiguity } from './contiguity.js';

describe('contiguity of a stack ordered by file name', () => {
  const chest = syntheticChest({ dimensions: [96, 96, 60], spacingMm: [4, 4, 5], z0Mm: -20 });
  const source = (ks: number[]) => ({ width: 96, height: 96, count: ks.length, slice: (i: number) => chest.volume.slice(ks[i]!) });
  const names = (ks: number[]) => ks.map((k) => `slice_${String(k + 1).padStart(3, '0')}.png`);

  it('a whole stack of neighbouring slices is contiguous', () => {
    const ks = Array.from({ length: 60 }, (_, k) => k);
    const c = judgeContiguity(names(ks), source(ks));
    expect(c.contiguous).toBe(true);
    expect(c.evidence.join(' ')).not.toMatch(/different anatomy|file numbers/);
    const sorted = [...c.dissimilarity].sort((a, b) => a - b);
    expect(sorted[sorted.length >> 1]).toBeLessThan(0.02);
  });

  it('a few slices far apart are a sparse set, and the evidence says why', () => {
    const ks = [5, 17, 31, 44, 52];
    const c = judgeContiguity(names(ks), source(ks));
    expect(c.contiguous).toBe(false);
    expect(c.evidence.join('; ')).toMatch(/different anatomy|jumps|file numbers skip/);
  });

  it('fewer than three slices are not a volume', () => {
    const c = judgeContiguity(names([30]), source([30]));
    expect(c.contiguous).toBe(false);
    expect(c.evidence).toEqual(['only 1 slice: too few to form a volume']);
  });

  it('numbering gaps alone (neighbours still alike) leave a contiguous stack with the gap said', () => {
    const ks = Array.from({ length: 20 }, (_, k) => k + 20);
    const files = names(ks).map((n, i) => (i >= 10 ? n.replace(/\d+/, (d) => String(Number(d) + 40).padStart(3, '0')) : n));
    const c = judgeContiguity(files, source(ks));
    expect(c.contiguous).toBe(true);
    expect(c.evidence.join(' ')).toMatch(/file numbers skip/);
  });
});
