/**
 * How two masks on the same grid agree: the measures the lung-mask tests, the benchmark and the
 * overlay script report against a phantom's truth. A voxel is in a mask when its value is non-zero.
 */

/** Dice coefficient 2|A ∩ B| / (|A| + |B|); NaN when both masks are empty. */
export function dice(a: Uint8Array, b: Uint8Array): number {
  let both = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i]) na++;
    if (b[i]) nb++;
    if (a[i] && b[i]) both++;
  }
  return (2 * both) / (na + nb);
}

/** The fraction of the voxels of `part` that `mask` holds; NaN when `part` is empty. */
export function fractionHeld(mask: Uint8Array, part: Uint8Array): number {
  let n = 0;
  let inside = 0;
  for (let i = 0; i < part.length; i++) {
    if (!part[i]) continue;
    n++;
    if (mask[i]) inside++;
  }
  return inside / n;
}
