/**
 * A smooth triangle surface of a binary mask (the lungs, for the 3-D view) by naive surface nets
 * (Gibson 1998): the mask is averaged over blocks of about `targetMm` (a fraction in [0, 1] per
 * block), one vertex sits in every cell of the block grid that the 0.5 level crosses (the mean of
 * its edge crossings), and every crossed grid edge gives a quad between the four cells around it.
 * No lookup tables, watertight, and a few hundred thousand triangles at most for a chest.
 */
export interface MaskGrid {
  mask: Uint8Array;
  dimensions: readonly [number, number, number];
  spacingMm: readonly [number, number, number];
  originLps: readonly [number, number, number];
  /** Row, column, normal unit vectors (DESIGN.md §2). */
  direction: readonly number[];
}

export interface SurfaceMesh {
  /** x, y, z per vertex, patient LPS millimetres. */
  positions: Float32Array;
  /** Fractional slice index of each vertex (what the attention colouring looks up). */
  sliceCoordinate: Float32Array;
  /** Three vertex indices per triangle, counter-clockwise seen from outside. */
  indices: Uint32Array;
}

export function surfaceNets(grid: MaskGrid, targetMm = 3): SurfaceMesh {
  const [nx, ny, nz] = grid.dimensions;
  const [sx, sy, sz] = grid.spacingMm;
  const fx = Math.max(1, Math.round(targetMm / sx)), fy = Math.max(1, Math.round(targetMm / sy)), fz = Math.max(1, Math.round(targetMm / sz));
  const bx = Math.ceil(nx / fx), by = Math.ceil(ny / fy), bz = Math.ceil(nz / fz);
  // Block fractions on a grid padded by one empty block on every side (so the surface closes).
  const GX = bx + 2, GY = by + 2, GZ = bz + 2;
  const field = new Float32Array(GX * GY * GZ);
  const count = new Uint32Array(bx * by * bz);
  for (let z = 0; z < nz; z++) {
    const cz = Math.floor(z / fz);
    for (let y = 0; y < ny; y++) {
      const row = (z * ny + y) * nx, cy = Math.floor(y / fy);
      for (let x = 0; x < nx; x++) if (grid.mask[row + x]) count[(cz * by + cy) * bx + Math.floor(x / fx)]!++;
    }
  }
  for (let c = 0; c < bz; c++) {
    const depth = Math.min(fz, nz - c * fz);
    for (let b = 0; b < by; b++) {
      const height = Math.min(fy, ny - b * fy);
      for (let a = 0; a < bx; a++) {
        const width = Math.min(fx, nx - a * fx);
        field[((c + 1) * GY + b + 1) * GX + a + 1] = count[(c * by + b) * bx + a]! / (width * height * depth);
      }
    }
  }

  const level = 0.5;
  const at = (a: number, b: number, c: number) => field[(c * GY + b) * GX + a]!;
  // One vertex per crossed cell (cells are indexed by their lowest corner).
  const cellVertex = new Int32Array((GX - 1) * (GY - 1) * (GZ - 1)).fill(-1);
  const cellIndex = (a: number, b: number, c: number) => (c * (GY - 1) + b) * (GX - 1) + a;
  const positions: number[] = [];
  const corners = new Float32Array(8);
  for (let c = 0; c < GZ - 1; c++) {
    for (let b = 0; b < GY - 1; b++) {
      for (let a = 0; a < GX - 1; a++) {
        let inside = 0;
        for (let i = 0; i < 8; i++) {
          const v = at(a + (i & 1), b + ((i >> 1) & 1), c + (i >> 2));
          corners[i] = v;
          if (v > level) inside |= 1 << i;
        }
        if (inside === 0 || inside === 255) continue;
        let px = 0, py = 0, pz = 0, crossings = 0;
        for (let i = 0; i < 8; i++) {
          for (const bit of [1, 2, 4]) {
            const j = i | bit;
            if (j === i) continue;
            const vi = corners[i]!, vj = corners[j]!;
            if ((vi > level) === (vj > level)) continue;
            const t = (level - vi) / (vj - vi);
            px += (i & 1) + (bit === 1 ? t : 0);
            py += ((i >> 1) & 1) + (bit === 2 ? t : 0);
            pz += (i >> 2) + (bit === 4 ? t : 0);
            crossings++;
          }
        }
        cellVertex[cellIndex(a, b, c)] = positions.length / 3;
        positions.push(a + px / crossings, b + py / crossings, c + pz / crossings);
      }
    }
  }

  const indices: number[] = [];
  const quad = (q0: number, q1: number, q2: number, q3: number, flip: boolean) => {
    if (flip) indices.push(q0, q2, q1, q0, q3, q2);
    else indices.push(q0, q1, q2, q0, q2, q3);
  };
  for (let c = 1; c < GZ - 1; c++) {
    for (let b = 1; b < GY - 1; b++) {
      for (let a = 1; a < GX - 1; a++) {
        const here = at(a, b, c) > level;
        const v = (da: number, db: number, dc: number) => cellVertex[cellIndex(a + da, b + db, c + dc)]!;
        // edge along x: cells around it are offset in y and z
        if (here !== (at(a + 1, b, c) > level)) quad(v(0, -1, -1), v(0, 0, -1), v(0, 0, 0), v(0, -1, 0), !here);
        if (here !== (at(a, b + 1, c) > level)) quad(v(-1, 0, -1), v(-1, 0, 0), v(0, 0, 0), v(0, 0, -1), !here);
        if (here !== (at(a, b, c + 1) > level)) quad(v(-1, -1, 0), v(0, -1, 0), v(0, 0, 0), v(-1, 0, 0), !here);
      }
    }
  }

  // Grid coordinates → voxel indices (block centres; the padding is one block) → patient mm.
  const vertexCount = positions.length / 3;
  const out = new Float32Array(vertexCount * 3);
  const slice = new Float32Array(vertexCount);
  const d = grid.direction, o = grid.originLps;
  for (let v = 0; v < vertexCount; v++) {
    const i = (positions[3 * v]! - 1) * fx + (fx - 1) / 2;
    const j = (positions[3 * v + 1]! - 1) * fy + (fy - 1) / 2;
    const k = (positions[3 * v + 2]! - 1) * fz + (fz - 1) / 2;
    const x = i * sx, y = j * sy, z = k * sz;
    for (let axis = 0; axis < 3; axis++) out[3 * v + axis] = o[axis]! + d[axis]! * x + d[3 + axis]! * y + d[6 + axis]! * z;
    slice[v] = k;
  }
  return { positions: out, sliceCoordinate: slice, indices: Uint32Array.from(indices) };
}

/** The binary layout of the `mesh` API method (src/shared/api.ts). */
export function encodeMesh(mesh: SurfaceMesh): Buffer {
  const v = mesh.sliceCoordinate.length, n = mesh.indices.length;
  const buffer = Buffer.alloc(8 + v * 16 + n * 4);
  buffer.writeUInt32LE(v, 0);
  buffer.writeUInt32LE(n, 4);
  Buffer.from(mesh.positions.buffer, mesh.positions.byteOffset, v * 12).copy(buffer, 8);
  Buffer.from(mesh.sliceCoordinate.buffer, mesh.sliceCoordinate.byteOffset, v * 4).copy(buffer, 8 + v * 12);
  Buffer.from(mesh.indices.buffer, mesh.indices.byteOffset, n * 4).copy(buffer, 8 + v * 16);
  return buffer;
}
