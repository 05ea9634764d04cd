/**
 * The attention timeline's geometry and navigation: slice index ↔ position along the bar, and
 * the "next high-attention slice" the reader jumps to with a key — the top slices plus the peak
 * of every run of predicted-positive slices, so each jump lands on a new focus.
 */
export function indexAtFraction(fraction: number, sliceCount: number): number {
  if (sliceCount <= 0) return 0;
  return Math.min(sliceCount - 1, Math.max(0, Math.floor(fraction * sliceCount)));
}

/** Sorted slice indices worth a jump. */
export function highAttentionSlices(attention: readonly number[], positive: readonly boolean[], top: readonly number[]): number[] {
  const marks = new Set(top);
  for (let k = 0; k < attention.length; k++) {
    if (!positive[k] || positive[k - 1]) continue;
    let best = k;
    for (let j = k; j < attention.length && positive[j]; j++) if (attention[j]! > attention[best]!) best = j;
    marks.add(best);
  }
  return [...marks].sort((a, b) => a - b);
}

/** The next (or previous) mark after `current`, wrapping around; `current` when there is none. */
export function nextMark(marks: readonly number[], current: number, direction: 1 | -1): number {
  if (marks.length === 0) return current;
  if (direction > 0) return marks.find((k) => k > current) ?? marks[0]!;
  for (let i = marks.length - 1; i >= 0; i--) if (marks[i]! < current) return marks[i]!;
  return marks[marks.length - 1]!;
}

/**
 * How much a slice stands out, 0…1: its weight against the uniform weight 1/N, scaled so that the
 * uniform weight (or less) is 0 and the volume's highest weight 1. A volume whose attention is
 * (nearly) uniform has nothing that stands out: 0 everywhere.
 */
export function attentionLevels(attention: readonly number[]): number[] {
  const n = attention.length;
  const peak = Math.max(0, ...attention) * n;
  if (!(peak > 1.05)) return attention.map(() => 0);
  return attention.map((a) => Math.min(1, Math.max(0, (a * n - 1) / (peak - 1))));
}

/** Attention level (0…1, see attentionLevels) → colour on a dark-blue → amber → red ramp, as 0xRRGGBB. */
export function attentionColour(t: number): number {
  const x = Math.min(1, Math.max(0, t));
  const stops: Array<[number, number, number]> = [[40, 70, 140], [240, 170, 40], [225, 45, 45]];
  const s = x < 0.5 ? 0 : 1, f = x < 0.5 ? x / 0.5 : (x - 0.5) / 0.5;
  const a = stops[s]!, b = stops[s + 1]!;
  const c = a.map((v, i) => Math.round(v + (b[i]! - v) * f));
  return (c[0]! << 16) | (c[1]! << 8) | c[2]!;
}

