/**
 * Parameters of the stochastic random-walk enhancement (paper §III-A1, Mohammed et al. 2018;
 * DESIGN.md §5). Defaults: the paper's n, M, σ_I, σ_g; the authors' published code's K, γ1, γ2,
 * R1 and R2 (their RunDemo.m: R1 = 10, R2 = 800).
 */
export interface StochasticParams {
  /** n: chains per pixel. Paper: 20. */
  chains: number;
  /** M: samples per chain, x0 included (walk of at most ⌊M/2⌋ steps, the rest sprayed). Paper: 250. */
  samples: number;
  /** R1: the walk continues while it stays within this distance of x0 (px). Authors: 10. */
  radiusInnerPx: number;
  /** R2: sprayed samples lie at R1 + (R2 − R1)·u from x0, uniform angle (px). Authors: 800. */
  radiusOuterPx: number;
  /** σ_I: intensity normalisation of the weights. Paper: 0.5 (the authors' code: 10). */
  sigmaIntensity: number;
  /** σ_g: normalisation of the gradient total variation. Paper: 0.3 (the authors' code: 10). */
  sigmaGradient: number;
  /** K: detail gain, output = B + K·D. Authors: 2.5. */
  gain: number;
  /** γ1: weight of D1 = I − B. Authors: 0.5. */
  gamma1: number;
  /** γ2: weight of D2 = V − B. Authors: 0.3. */
  gamma2: number;
  /** Weights below this are set to 0 (the authors' code: 1e-9). */
  minWeight: number;
  /** Seed of the counter-based random numbers (any 32-bit integer). */
  seed: number;
}

export const DEFAULT_STOCHASTIC: Readonly<StochasticParams> = Object.freeze({
  chains: 20,
  samples: 250,
  radiusInnerPx: 10,
  radiusOuterPx: 800,
  sigmaIntensity: 0.5,
  sigmaGradient: 0.3,
  gain: 2.5,
  gamma1: 0.5,
  gamma2: 0.3,
  minWeight: 1e-9,
  seed: 1,
});

/** Defaults filled in and every value checked (RangeError with the parameter's name). */
export function resolveStochasticParams(params: Partial<StochasticParams> = {}): StochasticParams {
  const p: StochasticParams = { ...DEFAULT_STOCHASTIC, ...params };
  const positive = (name: keyof StochasticParams): void => {
    if (!(p[name] > 0) || !Number.isFinite(p[name])) throw new RangeError(`stochastic enhancement: ${name} must be a positive number, got ${p[name]}`);
  };
  const finite = (name: keyof StochasticParams): void => {
    if (!Number.isFinite(p[name])) throw new RangeError(`stochastic enhancement: ${name} must be finite, got ${p[name]}`);
  };
  if (!Number.isInteger(p.chains) || p.chains < 1) throw new RangeError(`stochastic enhancement: chains must be a positive integer, got ${p.chains}`);
  if (!Number.isInteger(p.samples) || p.samples < 2) throw new RangeError(`stochastic enhancement: samples must be an integer ≥ 2, got ${p.samples}`);
  positive('radiusInnerPx');
  positive('sigmaIntensity');
  positive('sigmaGradient');
  if (!(p.radiusOuterPx >= p.radiusInnerPx)) throw new RangeError(`stochastic enhancement: radiusOuterPx (${p.radiusOuterPx}) must be ≥ radiusInnerPx (${p.radiusInnerPx})`);
  for (const k of ['gain', 'gamma1', 'gamma2', 'minWeight', 'seed'] as const) finite(k);
  p.seed = p.seed | 0;
  return p;
}
