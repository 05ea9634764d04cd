import { describe, expect, it } from 'vitest';
import { encodeMesh, surfaceNets } from './surface-nets.js';

/** A ball of radius r mm in a grid of 1×1×2 mm voxels, centred. */
function ball(r: number) {
  const dims: [number, number, number] = [64, 64, 32];
  const spacing: [number, number, number] = [1, 1, 2];
  const mask = new Uint8Array(dims[0] * dims[1] * dims[2]);
  for (let z = 0; z < dims[2]; z++) for (let y = 0; y < dims[1]; y++) for (let x = 0; x < dims[0]; x++) {
    const dx = x - 31.5, dy = y - 31.5, dz = (z - 15.5) * 2;
    if (dx * dx + dy * dy + dz * dz <= r * r) mask[(z * dims[1] + y) * dims[0] + x] = 1;
  }
  return { mask, dimensions: dims, spacingMm: spacing, originLps: [-100, 50, 300] as [number, number, number], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1] };
}

describe('surfaceNets', () => {
  const grid = ball(20);
  const mesh = surfaceNets(grid, 2);
  const v = (i: number) => [mesh.positions[3 * i]!, mesh.positions[3 * i + 1]!, mesh.positions[3 * i + 2]!];

  it('gives a closed surface: every edge is shared by exactly two triangles', () => {
    const edges = new Map<string, number>();
    for (let t = 0; t < mesh.indices.length; t += 3) {
      for (let e = 0; e < 3; e++) {
        const a = mesh.indices[t + e]!, b = mesh.indices[t + ((e + 1) % 3)]!;
        const key = a < b ? `${a},${b}` : `${b},${a}`;
        edges.set(key, (edges.get(key) ?? 0) + 1);
      }
    }
    expect(mesh.indices.length).toBeGreaterThan(1000);
    expect([...edges.values()].every((n) => n === 2)).toBe(true);
  });

  it('encloses the ball’s volume in patient millimetres, facing outwards', () => {
    // signed volume by the divergence theorem: positive when the triangles face outwards
    let volume = 0;
    for (let t = 0; t < mesh.indices.length; t += 3) {
      const [a, b, c] = [v(mesh.indices[t]!), v(mesh.indices[t + 1]!), v(mesh.indices[t + 2]!)];
      volume += (a[0]! * (b[1]! * c[2]! - b[2]! * c[1]!) - a[1]! * (b[0]! * c[2]! - b[2]! * c[0]!) + a[2]! * (b[0]! * c[1]! - b[1]! * c[0]!)) / 6;
    }
    const expected = (4 / 3) * Math.PI * 20 ** 3;
    expect(volume / expected).toBeGreaterThan(0.9);
    expect(volume / expected).toBeLessThan(1.1);
  });

  it('places the surface around the ball’s centre in LPS and gives each vertex its slice coordinate', () => {
    let cx = 0, cz = 0;
    for (let i = 0; i < mesh.sliceCoordinate.length; i++) {
      cx += v(i)[0]!;
      cz += v(i)[2]!;
      // z(mm) = origin z + k · 2 mm
      expect(v(i)[2]! - (300 + mesh.sliceCoordinate[i]! * 2)).toBeCloseTo(0, 3);
    }
    const n = mesh.sliceCoordinate.length;
    expect(cx / n).toBeCloseTo(-100 + 31.5, 0);
    expect(cz / n).toBeCloseTo(300 + 15.5 * 2, 0);
  });

  it('has no surface for an empty mask, and the binary layout the renderer reads', () => {
    const empty = surfaceNets({ ...grid, mask: new Uint8Array(grid.mask.length) });
    expect(empty.indices.length).toBe(0);
    const bytes = encodeMesh(mesh);
    expect(bytes.readUInt32LE(0)).toBe(mesh.sliceCoordinate.length);
    expect(bytes.readUInt32LE(4)).toBe(mesh.indices.length);
    expect(bytes.length).toBe(8 + mesh.sliceCoordinate.length * 16 + mesh.indices.length * 4);
  });
});
