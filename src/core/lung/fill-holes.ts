import { labelRuns } from './components.js';
import { complementRuns, RunBuilder, type RunVolume } from './runs.js';

/**
 * Holes filled slice by slice: background regions (4-connected, the complement of 8-connected
 * foreground) that do not reach the border of the slice become foreground. This also fills every
 * 3-D hole (an enclosed cavity is enclosed in each of its slices).
 */
export function fillHoles2d(runs: RunVolume): RunVolume {
  const { nx, ny } = runs;
  const bg = complementRuns(runs);
  const labels = labelRuns(bg, '2d-4');
  const outside = new Uint8Array(labels.count);
  for (let r = 0; r < bg.rowStart.length - 1; r++) {
    const y = r % ny;
    const edgeRow = y === 0 || y === ny - 1;
    for (let i = bg.rowStart[r]!; i < bg.rowStart[r + 1]!; i++) {
      if (edgeRow || bg.x0[i] === 0 || bg.x1[i] === nx) outside[labels.label[i]!] = 1;
    }
  }
  // Foreground = everything but the outside background: the gaps between outside runs.
  const out = new RunBuilder(nx, ny, runs.nz, runs.count);
  for (let r = 0; r < bg.rowStart.length - 1; r++) {
    let x = 0;
    for (let i = bg.rowStart[r]!; i < bg.rowStart[r + 1]!; i++) {
      if (outside[labels.label[i]!] === 0) continue;
      if (bg.x0[i]! > x) out.push(x, bg.x0[i]!);
      x = bg.x1[i]!;
    }
    if (x < nx) out.push(x, nx);
    out.endRow();
  }
  return out.finish();
}
