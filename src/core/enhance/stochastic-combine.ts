/**
 * From the per-pixel sums to the enhanced image (DESIGN.md §5): B = Σ w·I / Σ w,
 * V = BetaCDF(mean s; ½, ½) = (2/π)·asin(√mean s), D = γ1·(I − B) + γ2·(V − B),
 * output = clip(B + K·D, 0, 1). Σ w ≥ 1 per chain (x0's own weight is 1), so no division by 0.
 */
export interface StochasticSums {
  sumWI: Float64Array;
  sumW: Float64Array;
  sumS: Float64Array;
}

export interface CombineParams {
  gain: number;
  gamma1: number;
  gamma2: number;
}

/** The regularised incomplete beta function I_x(½, ½). */
export function betaCdfHalfHalf(x: number): number {
  const c = x > 0 ? (x < 1 ? x : 1) : 0;
  return (2 / Math.PI) * Math.asin(Math.sqrt(c));
}

export function combineStochastic(image: Float32Array, sums: StochasticSums, chainsDone: number, params: CombineParams, out: Float32Array = new Float32Array(image.length)): Float32Array {
  const { sumWI, sumW, sumS } = sums;
  const { gain, gamma1, gamma2 } = params;
  if (chainsDone <= 0) {
    out.set(image);
    return out;
  }
  const invN = 1 / chainsDone;
  const k = 2 / Math.PI;
  for (let p = 0; p < image.length; p++) {
    const i = image[p]!;
    const sw = sumW[p]!;
    const b = sw > 0 ? sumWI[p]! / sw : i;
    let m = sumS[p]! * invN;
    m = m > 0 ? (m < 1 ? m : 1) : 0;
    const v = k * Math.asin(Math.sqrt(m));
    const o = b + gain * (gamma1 * (i - b) + gamma2 * (v - b));
    out[p] = o > 0 ? (o < 1 ? o : 1) : 0;
  }
  return out;
}

/** B alone (what the output is when K = 0). */
export function baseLayer(image: Float32Array, sums: StochasticSums, out: Float32Array = new Float32Array(image.length)): Float32Array {
  for (let p = 0; p < image.length; p++) {
    const sw = sums.sumW[p]!;
    out[p] = sw > 0 ? sums.sumWI[p]! / sw : image[p]!;
  }
  return out;
}
