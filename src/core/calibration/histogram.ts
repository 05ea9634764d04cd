/** Grey-level histograms and the few statistics the rendering rules read from them. */

/** Counts per integer level 0…levels−1 of the values at the given indices (all when omitted). */
export function histogram(values: ArrayLike<number>, levels: number, where?: (i: number) => boolean): Float64Array {
  const h = new Float64Array(levels);
  for (let i = 0; i < values.length; i++) {
    if (where && !where(i)) continue;
    const v = values[i]!;
    h[v < 0 ? 0 : v >= levels ? levels - 1 : v]!++;
  }
  return h;
}

export function total(h: ArrayLike<number>, from = 0, to = h.length): number {
  let s = 0;
  for (let i = from; i < to; i++) s += h[i]!;
  return s;
}

/** The level below which a fraction p of the counts lie (counts between from and to). */
export function quantile(h: ArrayLike<number>, p: number, from = 0, to = h.length): number {
  const n = total(h, from, to);
  if (n === 0) return NaN;
  let seen = 0;
  for (let i = from; i < to; i++) {
    seen += h[i]!;
    if (seen > p * n) return i;
  }
  return to - 1;
}

/** Gaussian smoothing of a histogram (σ in levels, truncated at 3σ, edges renormalised). */
export function smooth(h: ArrayLike<number>, sigma: number): Float64Array {
  const r = Math.max(1, Math.ceil(3 * sigma));
  const kernel = Array.from({ length: 2 * r + 1 }, (_, i) => Math.exp(-((i - r) ** 2) / (2 * sigma * sigma)));
  const out = new Float64Array(h.length);
  for (let i = 0; i < h.length; i++) {
    let s = 0;
    let w = 0;
    for (let d = -r; d <= r; d++) {
      const j = i + d;
      if (j < 0 || j >= h.length) continue;
      s += h[j]! * kernel[d + r]!;
      w += kernel[d + r]!;
    }
    out[i] = s / w;
  }
  return out;
}

export interface Peak {
  level: number;
  height: number;
}

/**
 * Local maxima of a (smoothed) histogram between from and to that stand out: each is at least
 * `minShare` of the highest one and separated from any higher neighbouring peak by a valley below
 * `maxValley` of its own height. Highest first.
 */
export function peaks(h: ArrayLike<number>, from: number, to: number, minShare = 0.1, maxValley = 0.85): Peak[] {
  const found: Peak[] = [];
  // The ends of the range are not peaks: a histogram cut there is still rising or falling.
  for (let i = from + 1; i < to - 1; i++) {
    const v = h[i]!;
    if (v > 0 && v >= h[i - 1]! && v > h[i + 1]!) {
      // The vertex of the parabola through the three points: a peak between two levels.
      const curve = h[i - 1]! - 2 * v + h[i + 1]!;
      const shift = curve < 0 ? (0.5 * (h[i - 1]! - h[i + 1]!)) / curve : 0;
      found.push({ level: i + Math.max(-0.5, Math.min(0.5, shift)), height: v });
    }
  }
  const top = Math.max(0, ...found.map((p) => p.height));
  const kept = found.filter((p) => {
    if (p.height < minShare * top) return false;
    // Walk to each side until a higher point: the lowest value on the way is the valley.
    const at = Math.round(p.level);
    for (const dir of [-1, 1]) {
      let valley = p.height;
      for (let j = at + dir; j >= from && j < to; j += dir) {
        valley = Math.min(valley, h[j]!);
        if (h[j]! > p.height) {
          if (valley > maxValley * p.height) return false;
          break;
        }
      }
    }
    return true;
  });
  return kept.sort((a, b) => b.height - a.height);
}

/** Otsu's threshold between from and to: the level t splitting [from, t) and [t, to) with the largest between-class variance. */
export function otsu(h: ArrayLike<number>, from = 0, to = h.length): number {
  let n = 0;
  let sum = 0;
  for (let i = from; i < to; i++) {
    n += h[i]!;
    sum += i * h[i]!;
  }
  let best = from + 1;
  let bestVar = -1;
  let n0 = 0;
  let s0 = 0;
  for (let t = from + 1; t < to; t++) {
    n0 += h[t - 1]!;
    s0 += (t - 1) * h[t - 1]!;
    const n1 = n - n0;
    if (n0 === 0 || n1 === 0) continue;
    const d = s0 / n0 - (sum - s0) / n1;
    const v = n0 * n1 * d * d;
    if (v > bestVar) {
      bestVar = v;
      best = t;
    }
  }
  return best;
}
