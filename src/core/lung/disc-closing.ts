import { lungKernel } from './lung-simd.js';
import { RunBuilder, type RunVolume } from './runs.js';

/**
 * Slice by slice, the morphological closing by a disc of `radiusMm` (Euclidean, in millimetres,
 * so non-square pixels count right): the "rolling ball" of Armato et al. (1999) that brings
 * juxtapleural nodules and opacities at the lung wall back into a threshold mask. It fills every
 * concavity that a disc of that radius cannot enter — a nodule up to ≈ 2·radius across lying
 * against the pleura, the notches vessels cut at the hilum — but not the broad concavities of
 * the anatomy (the cardiac bay, the mediastinal side, the lung base around the dome of the
 * diaphragm), which a convex hull fills whole.
 *
 * Works on runs: the dilation of a row is the union of the runs of the rows within the radius,
 * each widened by the disc's half-chord at that row offset; the erosion keeps what lies in all
 * of those rows' runs, each shrunk by its half-chord — merges of short sorted lists, never a
 * pass over voxels. The plane is treated as unbounded (the
 * slice's box is grown by twice the radius, beyond the image if need be), so a lung touching the
 * image border is not eroded there; the result is clipped to the image and always holds the input.
 * Each slice's box is closed in the WebAssembly kernel where available (`closeRows`, the same
 * intervals; `simd: false`: the JavaScript below, its reference).
 */
export function closeSlicesWithDisc(runs: RunVolume, [sx, sy]: readonly [number, number, number], radiusMm: number, options: { simd?: boolean } = {}): RunVolume {
  const { nx, ny, nz, rowStart, x0, x1 } = runs;
  const out = new RunBuilder(nx, ny, nz, runs.count);
  if (!(radiusMm > 0)) {
    for (let row = 0; row < ny * nz; row++) {
      for (let i = rowStart[row]!; i < rowStart[row + 1]!; i++) out.push(x0[i]!, x1[i]!);
      out.endRow();
    }
    return out.finish();
  }
  const r = Math.floor(radiusMm / sy + 1e-9);
  // Half-chord of the disc (in whole pixels along x) at each row offset |dy| ≤ r.
  const half = new Int32Array(r + 1);
  for (let dy = 0; dy <= r; dy++) half[dy] = Math.floor(Math.sqrt(Math.max(0, radiusMm ** 2 - (dy * sy) ** 2)) / sx + 1e-9);
  const kernel = options.simd === false ? null : lungKernel();
  const scratch: Scratch = { a: new Int32Array(0), b: new Int32Array(0) };

  for (let k = 0; k < nz; k++) {
    let ymin = -1;
    let ymax = -1;
    let xmin = Infinity;
    let xmax = -Infinity;
    for (let y = 0; y < ny; y++) {
      const row = k * ny + y;
      if (rowStart[row] === rowStart[row + 1]) continue;
      if (ymin < 0) ymin = y;
      ymax = y;
      xmin = Math.min(xmin, x0[rowStart[row]!]!);
      xmax = Math.max(xmax, x1[rowStart[row + 1]! - 1]!);
    }
    if (ymin < 0) {
      for (let y = 0; y < ny; y++) out.endRow();
      continue;
    }
    // The slice's box grown by 2r + 1 rows and 2·half[0] + 1 columns, in local coordinates.
    const margin = 2 * r + 1;
    const top = ymin - margin;
    const h = ymax - ymin + 1 + 2 * margin;
    const left = xmin - 2 * half[0]! - 1;
    const width = xmax + 2 * half[0]! + 1 - left;
    const input = new Rows(h, rowStart[(k * ny) + ymax + 1]! - rowStart[k * ny + ymin]!);
    for (let j = 0; j < h; j++) {
      const y = top + j;
      if (y >= ymin && y <= ymax) {
        const row = k * ny + y;
        for (let i = rowStart[row]!; i < rowStart[row + 1]!; i++) input.push(x0[i]! - left, x1[i]! - left);
      }
      input.endRow();
    }
    const closed = kernel ? kernel.closeRows(input, half, width) : closeRows(input, half, width, scratch);
    for (let y = 0; y < ny; y++) {
      const j = y - top;
      if (j >= 0 && j < h) for (let i = closed.start[j]!; i < closed.start[j + 1]!; i++) pushClipped(out, closed.a[i]! + left, closed.b[i]! + left, nx);
      out.endRow();
    }
  }
  return out.finish();
}

/**
 * The closing of one slice's box: its rows dilated, then eroded, then united with the input rows
 * (the closing holds the input in theory; the union keeps it whatever the rounding).
 */
function closeRows(input: Rows, half: Int32Array, width: number, scratch: Scratch): Rows {
  // A row holds at most width / 2 + 1 disjoint intervals.
  if (scratch.a.length < width + 4) {
    scratch.a = new Int32Array(width + 4);
    scratch.b = new Int32Array(width + 4);
  }
  const eroded = erode(dilate(input, half, width, scratch), half, scratch);
  const h = input.rows;
  const out = new Rows(h, eroded.count + input.count);
  for (let j = 0; j < h; j++) {
    let i = eroded.start[j]!;
    const ie = eroded.start[j + 1]!;
    let m = input.start[j]!;
    const me = input.start[j + 1]!;
    let runStart = -1;
    let runEnd = -1;
    while (i < ie || m < me) {
      let a: number;
      let b: number;
      if (m >= me || (i < ie && eroded.a[i]! <= input.a[m]!)) {
        a = eroded.a[i]!;
        b = eroded.b[i]!;
        i++;
      } else {
        a = input.a[m]!;
        b = input.b[m]!;
        m++;
      }
      if (runStart >= 0 && a <= runEnd) {
        if (b > runEnd) runEnd = b;
        continue;
      }
      if (runStart >= 0) out.push(runStart, runEnd);
      runStart = a;
      runEnd = b;
    }
    if (runStart >= 0) out.push(runStart, runEnd);
    out.endRow();
  }
  return out;
}

function pushClipped(out: RunBuilder, a: number, b: number, nx: number): void {
  const lo = Math.max(0, a);
  const hi = Math.min(nx, b);
  if (hi > lo) out.push(lo, hi);
}

/** Two interval lists (pairs) of one row, swapped as the rows within reach are merged in. */
interface Scratch {
  a: Int32Array;
  b: Int32Array;
}

/** Intervals [a, b) per row of a local box (a small run volume of one slice). */
class Rows {
  start: Int32Array;
  a: Int32Array;
  b: Int32Array;
  count = 0;
  private row = 0;

  constructor(rows: number, capacity: number) {
    this.start = new Int32Array(rows + 1);
    this.a = new Int32Array(Math.max(16, capacity));
    this.b = new Int32Array(Math.max(16, capacity));
  }

  get rows(): number {
    return this.start.length - 1;
  }

  push(a: number, b: number): void {
    if (this.count === this.a.length) {
      const na = new Int32Array(this.a.length * 2);
      na.set(this.a);
      this.a = na;
      const nb = new Int32Array(this.b.length * 2);
      nb.set(this.b);
      this.b = nb;
    }
    this.a[this.count] = a;
    this.b[this.count] = b;
    this.count++;
  }

  endRow(): void {
    this.start[++this.row] = this.count;
  }
}

/**
 * Rows dilated by the disc whose half-chords per row offset are `half`, within [0, width): per
 * output row, the union of the rows within reach, each interval widened by its row's half-chord,
 * merged list by list (O(intervals) per row offset, nothing per voxel).
 */
function dilate(src: Rows, half: Int32Array, width: number, scratch: Scratch): Rows {
  const r = half.length - 1;
  const h = src.rows;
  const out = new Rows(h, src.count * 2);
  for (let y = 0; y < h; y++) {
    let cur = scratch.a;
    let next = scratch.b;
    let n = 0;
    for (let dy = Math.max(-r, -y); dy <= r && y + dy < h; dy++) {
      const row = y + dy;
      const first = src.start[row]!;
      const last = src.start[row + 1]!;
      if (first === last) continue;
      const w = half[dy < 0 ? -dy : dy]!;
      // Merge cur (n intervals) with the row's intervals widened by w, coalescing overlaps.
      let m = 0;
      let i = 0;
      let j = first;
      while (i < n || j < last) {
        let a: number;
        let b: number;
        if (j >= last || (i < n && cur[2 * i]! <= src.a[j]! - w)) {
          a = cur[2 * i]!;
          b = cur[2 * i + 1]!;
          i++;
        } else {
          a = Math.max(0, src.a[j]! - w);
          b = Math.min(width, src.b[j]! + w);
          j++;
        }
        if (m > 0 && a <= next[2 * m - 1]!) {
          if (b > next[2 * m - 1]!) next[2 * m - 1] = b;
        } else {
          next[2 * m] = a;
          next[2 * m + 1] = b;
          m++;
        }
      }
      [cur, next] = [next, cur];
      n = m;
    }
    for (let i = 0; i < n; i++) out.push(cur[2 * i]!, cur[2 * i + 1]!);
    out.endRow();
  }
  return out;
}

/**
 * Rows eroded by the same disc: x stays where, for every row offset dy, the row y + dy holds
 * [x − half(dy), x + half(dy)], i.e. in the intersection of all 2r + 1 rows' intervals, each
 * shrunk by its half-chord (a row beyond the box holds nothing).
 */
function erode(src: Rows, half: Int32Array, scratch: Scratch): Rows {
  const r = half.length - 1;
  const h = src.rows;
  const out = new Rows(h, src.count);
  for (let y = 0; y < h; y++) {
    let cur = scratch.a;
    let next = scratch.b;
    let n = -1; // −1: nothing intersected yet (the whole line)
    for (let dy = -r; dy <= r && n !== 0; dy++) {
      const row = y + dy;
      if (row < 0 || row >= h) {
        n = 0;
        break;
      }
      const w = half[dy < 0 ? -dy : dy]!;
      const first = src.start[row]!;
      const last = src.start[row + 1]!;
      let m = 0;
      if (n < 0) {
        for (let j = first; j < last; j++) {
          const a = src.a[j]! + w;
          const b = src.b[j]! - w;
          if (b > a) {
            next[2 * m] = a;
            next[2 * m + 1] = b;
            m++;
          }
        }
      } else {
        let i = 0;
        let j = first;
        while (i < n && j < last) {
          const a = Math.max(cur[2 * i]!, src.a[j]! + w);
          const b = Math.min(cur[2 * i + 1]!, src.b[j]! - w);
          if (b > a) {
            next[2 * m] = a;
            next[2 * m + 1] = b;
            m++;
          }
          if (cur[2 * i + 1]! < src.b[j]! - w) i++;
          else j++;
        }
      }
      [cur, next] = [next, cur];
      n = m;
    }
    for (let i = 0; i < n; i++) out.push(cur[2 * i]!, cur[2 * i + 1]!);
    out.endRow();
  }
  return out;
}
