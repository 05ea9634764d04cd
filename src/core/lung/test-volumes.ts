/** Generated masks for the lung mask's tests. */

/** A deterministic pseudo-random binary volume. */
export function randomMask(nx: number, ny: number, nz: number, density: number, seed = 1): Uint8Array {
  let s = seed >>> 0;
  const out = new Uint8Array(nx * ny * nz);
  for (let i = 0; i < out.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 32 < density ? 1 : 0;
  }
  return out;
}
