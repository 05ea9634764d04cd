/**
 * Spray directions of the stochastic enhancement: 2^14 angles 2π·k/16384, as interleaved float32
 * [cos, sin] pairs (128 KiB). A spray draw's low 14 bits pick k. The angle step, 2π/16384, is
 * 0.31 px of arc at 800 px (the authors' R2) and under a pixel out to 2,600 px, so every pixel of
 * the annulus stays reachable. The first octant is computed with Math.cos/sin and rounded to
 * float32; the other seven are its exact reflections (swaps and sign changes), so the table is
 * exactly symmetric and takes an eighth of the trigonometry to build. The WebAssembly kernel reads
 * this very table (copied into its memory) and the reference reads it here: identical directions.
 */
export const ANGLE_BITS = 14;
export const ANGLES = 1 << ANGLE_BITS;

let table: Float32Array | undefined;

/** [cos, sin] of 2π·k/ANGLES at [2k], [2k + 1] (computed once). */
export function sprayAngles(): Float32Array {
  if (table) return table;
  const eighth = ANGLES / 8;
  const c = new Float32Array(eighth + 1);
  const s = new Float32Array(eighth + 1);
  for (let j = 0; j <= eighth; j++) {
    c[j] = Math.cos((2 * Math.PI * j) / ANGLES);
    s[j] = Math.sin((2 * Math.PI * j) / ANGLES);
  }
  table = new Float32Array(2 * ANGLES);
  for (let k = 0; k < ANGLES; k++) {
    // k = octant·eighth + r; odd octants count back from the next octant: θ = (octant + 1)·π/4 − φ_j
    const octant = (k / eighth) | 0;
    const j = octant % 2 === 0 ? k % eighth : eighth - (k % eighth);
    const cj = c[j]!, sj = s[j]!;
    const swap = octant === 1 || octant === 2 || octant === 5 || octant === 6;
    table[2 * k] = (octant >= 2 && octant <= 5 ? -1 : 1) * (swap ? sj : cj);
    table[2 * k + 1] = (octant >= 4 ? -1 : 1) * (swap ? cj : sj);
  }
  return table;
}
