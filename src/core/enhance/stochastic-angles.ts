/**
 * Spray directions of the stochastic enhancement. The 16-bit angle index k = 1024·hi + lo
 * (hi = k >> 10 < 64, lo = k & 1023) gives the direction by angle addition from two small tables:
 *
 *   cos = C[hi]·c[lo] − S[hi]·s[lo],  sin = S[hi]·c[lo] + C[hi]·s[lo]
 *
 * with C, S = cos, sin of 2π·hi/64 and c, s = cos, sin of 2π·lo/65536. This is cos/sin of 2π·k/65536
 * to within a few ulp (the same 65536 directions), but needs 17 KiB of tables instead of 1 MiB, so
 * the fast kernel's random look-ups stay in cache. The reference and the kernel both evaluate
 * exactly this expression (JavaScript has no fused multiply-add), so their samples are identical.
 */
export const ANGLE_COARSE = 64;
export const ANGLE_FINE = 1024;

/** Interleaved [cos, sin] tables: coarse[2·hi], coarse[2·hi + 1]; fine[2·lo], fine[2·lo + 1]. */
export function angleTables(alloc: (n: number) => Float64Array = (n) => new Float64Array(n)): { coarse: Float64Array; fine: Float64Array } {
  const coarse = alloc(2 * ANGLE_COARSE);
  for (let k = 0; k < ANGLE_COARSE; k++) {
    coarse[2 * k] = Math.cos((2 * Math.PI * k) / ANGLE_COARSE);
    coarse[2 * k + 1] = Math.sin((2 * Math.PI * k) / ANGLE_COARSE);
  }
  const fine = alloc(2 * ANGLE_FINE);
  for (let k = 0; k < ANGLE_FINE; k++) {
    fine[2 * k] = Math.cos((2 * Math.PI * k) / 65536);
    fine[2 * k + 1] = Math.sin((2 * Math.PI * k) / 65536);
  }
  return { coarse, fine };
}

let tables: { coarse: Float64Array; fine: Float64Array } | undefined;

/** cos and sin of the spray angle with 16-bit index k (see the header). */
export function sprayDirection(k: number): [number, number] {
  tables ??= angleTables();
  const hi = (k >> 10) & 63, lo = k & 1023;
  const ch = tables.coarse[2 * hi]!, sh = tables.coarse[2 * hi + 1]!;
  const cl = tables.fine[2 * lo]!, sl = tables.fine[2 * lo + 1]!;
  return [ch * cl - sh * sl, sh * cl + ch * sl];
}
