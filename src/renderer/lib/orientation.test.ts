import { describe, expect, it } from 'vitest';
import { edgeLabels } from './orientation.js';

describe('orientation letters', () => {
  it('a standard axial slice: patient’s right on the viewer’s left, anterior up', () => {
    expect(edgeLabels([1, 0, 0, 0, 1, 0, 0, 0, 1])).toEqual({ left: 'R', right: 'L', top: 'A', bottom: 'P' });
  });

  it('a slice stored mirrored shows the letters where the patient is', () => {
    expect(edgeLabels([-1, 0, 0, 0, -1, 0, 0, 0, 1])).toEqual({ left: 'L', right: 'R', top: 'P', bottom: 'A' });
  });

  it('coronal and oblique directions', () => {
    expect(edgeLabels([1, 0, 0, 0, 0, -1, 0, 1, 0])).toEqual({ left: 'R', right: 'L', top: 'S', bottom: 'I' });
    const c = Math.SQRT1_2;
    expect(edgeLabels([c, c, 0, -c, c, 0, 0, 0, 1]).right).toBe('LP');
  });
});
