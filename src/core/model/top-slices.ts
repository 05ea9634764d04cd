/** Pure (no I/O): used by the analysis and, through the review walk, by the renderer. */

/** Slice indices by attention, highest first (ties: lower index first), at most `count`. */
export function topSlices(attention: ArrayLike<number>, count: number): number[] {
  return Array.from({ length: attention.length }, (_, k) => k)
    .sort((a, b) => attention[b]! - attention[a]! || a - b)
    .slice(0, count);
}
