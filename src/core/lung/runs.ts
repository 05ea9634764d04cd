/**
 * A binary volume stored as runs along x (run-length encoding): the representation every stage of
 * the lung mask works on. A chest CT of 512×512×300 voxels holds about 10⁶ runs of air, so
 * labelling, moments and hulls cost per run instead of per voxel.
 *
 * Row r = k·ny + y (slice k, row y). Its runs are indices rowStart[r] … rowStart[r + 1] − 1, sorted
 * by x and disjoint; run i covers the voxels x0[i] ≤ x < x1[i].
 */
export interface RunVolume {
  readonly nx: number;
  readonly ny: number;
  readonly nz: number;
  readonly rowStart: Int32Array;
  readonly x0: Int32Array;
  readonly x1: Int32Array;
  readonly count: number;
}

/** Builds a RunVolume row by row: `push` runs of the current row in x order, `endRow` after each row. */
export class RunBuilder {
  private x0s: Int32Array;
  private x1s: Int32Array;
  private readonly rowStart: Int32Array;
  private row = 0;
  count = 0;

  constructor(
    readonly nx: number,
    readonly ny: number,
    readonly nz: number,
    capacity = 1024,
  ) {
    this.x0s = new Int32Array(Math.max(16, capacity));
    this.x1s = new Int32Array(Math.max(16, capacity));
    this.rowStart = new Int32Array(ny * nz + 1);
  }

  push(x0: number, x1: number): void {
    if (this.count === this.x0s.length) this.grow();
    this.x0s[this.count] = x0;
    this.x1s[this.count] = x1;
    this.count++;
  }

  /** Appends x0…x1, merging it with the row's last run when they touch (runs must come in x order). */
  pushMerged(x0: number, x1: number): void {
    const last = this.count - 1;
    if (last >= this.rowStart[this.row]! && this.x1s[last]! >= x0) {
      if (x1 > this.x1s[last]!) this.x1s[last] = x1;
      return;
    }
    this.push(x0, x1);
  }

  endRow(): void {
    this.row++;
    this.rowStart[this.row] = this.count;
  }

  /** Closes every remaining row (empty) and returns the volume. */
  finish(): RunVolume {
    const rows = this.ny * this.nz;
    while (this.row < rows) this.endRow();
    return { nx: this.nx, ny: this.ny, nz: this.nz, rowStart: this.rowStart, x0: this.x0s, x1: this.x1s, count: this.count };
  }

  private grow(): void {
    const n = this.x0s.length * 2;
    const a = new Int32Array(n);
    a.set(this.x0s);
    this.x0s = a;
    const b = new Int32Array(n);
    b.set(this.x1s);
    this.x1s = b;
  }
}

/** Runs of the voxels of a dense grid (x fastest, then y, then slice) whose value exceeds `t`. */
export function runsAbove(values: Uint8Array | Int16Array | Float32Array, nx: number, ny: number, nz: number, t: number): RunVolume {
  const b = new RunBuilder(nx, ny, nz);
  for (let r = 0, base = 0; r < ny * nz; r++, base += nx) {
    let start = -1;
    for (let x = 0; x < nx; x++) {
      if (values[base + x]! > t) {
        if (start < 0) start = x;
      } else if (start >= 0) {
        b.push(start, x);
        start = -1;
      }
    }
    if (start >= 0) b.push(start, nx);
    b.endRow();
  }
  return b.finish();
}

/** Runs of the voxels where `mask` is non-zero. */
export function runsFromDense(mask: Uint8Array, nx: number, ny: number, nz: number): RunVolume {
  return runsAbove(mask, nx, ny, nz, 0);
}

/**
 * Writes `value` into `out` (x fastest, then y, then slice) at every voxel of the runs — of the
 * slices k0 ≤ k < k1 only when `slices` is given (at their place in the whole volume).
 */
export function runsToDense(runs: RunVolume, out: Uint8Array = new Uint8Array(runs.nx * runs.ny * runs.nz), value = 1, [k0, k1]: readonly [number, number] = [0, runs.nz]): Uint8Array {
  const { nx, ny, rowStart, x0, x1 } = runs;
  for (let r = k0 * ny; r < k1 * ny; r++) {
    const base = r * nx;
    for (let i = rowStart[r]!; i < rowStart[r + 1]!; i++) out.fill(value, base + x0[i]!, base + x1[i]!);
  }
  return out;
}

/** The runs of the kept components: run i stays when `keep[label[i]]` is 1 (labels from components.ts). */
export function keepComponents(runs: RunVolume, label: Int32Array, keep: Uint8Array): RunVolume {
  const b = new RunBuilder(runs.nx, runs.ny, runs.nz, runs.count);
  const { rowStart, x0, x1 } = runs;
  for (let r = 0; r < rowStart.length - 1; r++) {
    for (let i = rowStart[r]!; i < rowStart[r + 1]!; i++) if (keep[label[i]!] === 1) b.push(x0[i]!, x1[i]!);
    b.endRow();
  }
  return b.finish();
}

/** The voxels in `a` or `b` (same grid). */
export function unionRuns(a: RunVolume, b: RunVolume): RunVolume {
  const out = new RunBuilder(a.nx, a.ny, a.nz, a.count + b.count);
  for (let r = 0; r < a.rowStart.length - 1; r++) {
    let i = a.rowStart[r]!;
    let j = b.rowStart[r]!;
    const ie = a.rowStart[r + 1]!;
    const je = b.rowStart[r + 1]!;
    while (i < ie || j < je) {
      if (j >= je || (i < ie && a.x0[i]! <= b.x0[j]!)) {
        out.pushMerged(a.x0[i]!, a.x1[i]!);
        i++;
      } else {
        out.pushMerged(b.x0[j]!, b.x1[j]!);
        j++;
      }
    }
    out.endRow();
  }
  return out.finish();
}

/** The voxels of the grid that are not in `runs`, row by row. */
export function complementRuns(runs: RunVolume): RunVolume {
  const { nx, rowStart, x0, x1 } = runs;
  const out = new RunBuilder(runs.nx, runs.ny, runs.nz, runs.count + rowStart.length);
  for (let r = 0; r < rowStart.length - 1; r++) {
    let x = 0;
    for (let i = rowStart[r]!; i < rowStart[r + 1]!; i++) {
      if (x0[i]! > x) out.push(x, x0[i]!);
      x = x1[i]!;
    }
    if (x < nx) out.push(x, nx);
    out.endRow();
  }
  return out.finish();
}

/** Number of voxels in the runs. */
export function voxelCount(runs: RunVolume): number {
  let n = 0;
  for (let i = 0; i < runs.count; i++) n += runs.x1[i]! - runs.x0[i]!;
  return n;
}

/** Voxels per slice (of the slices k0 ≤ k < k1 when `slices` is given; 0 for the others). */
export function sliceVoxelCounts(runs: RunVolume, [k0, k1]: readonly [number, number] = [0, runs.nz]): Float64Array {
  const { ny, nz, rowStart, x0, x1 } = runs;
  const out = new Float64Array(nz);
  for (let k = k0; k < k1; k++) {
    let n = 0;
    for (let i = rowStart[k * ny]!; i < rowStart[(k + 1) * ny]!; i++) n += x1[i]! - x0[i]!;
    out[k] = n;
  }
  return out;
}

/** The voxels in both `a` and `b` (same grid). */
export function intersectRuns(a: RunVolume, b: RunVolume): RunVolume {
  const out = new RunBuilder(a.nx, a.ny, a.nz, Math.min(a.count, b.count) + 16);
  for (let r = 0; r < a.rowStart.length - 1; r++) {
    let i = a.rowStart[r]!;
    let j = b.rowStart[r]!;
    const ie = a.rowStart[r + 1]!;
    const je = b.rowStart[r + 1]!;
    while (i < ie && j < je) {
      const lo = Math.max(a.x0[i]!, b.x0[j]!);
      const hi = Math.min(a.x1[i]!, b.x1[j]!);
      if (hi > lo) out.push(lo, hi);
      if (a.x1[i]! < b.x1[j]!) i++;
      else j++;
    }
    out.endRow();
  }
  return out.finish();
}

/** The voxels in `a` and not in `b` (same grid). */
export function subtractRuns(a: RunVolume, b: RunVolume): RunVolume {
  const out = new RunBuilder(a.nx, a.ny, a.nz, a.count + 16);
  for (let r = 0; r < a.rowStart.length - 1; r++) {
    let j = b.rowStart[r]!;
    const je = b.rowStart[r + 1]!;
    for (let i = a.rowStart[r]!; i < a.rowStart[r + 1]!; i++) {
      let x = a.x0[i]!;
      const end = a.x1[i]!;
      while (j < je && b.x1[j]! <= x) j++;
      for (let t = j; t < je && b.x0[t]! < end; t++) {
        if (b.x0[t]! > x) out.push(x, b.x0[t]!);
        x = Math.max(x, b.x1[t]!);
      }
      if (x < end) out.push(x, end);
    }
    out.endRow();
  }
  return out.finish();
}
