import type { Volume } from '../volume/volume.js';

/** How noisy and how sharp a scan is, measured on its own voxels. */
export interface ScanProfile {
  /**
   * Standard deviation of the image noise (HU): the most common local standard deviation over
   * 16 × 16-pixel blocks of homogeneous soft tissue (a plane fitted and removed in each), corrected
   * for the correlation of the noise within a block — the "global noise index" of CT physics.
   */
  noiseHu: number | null;
  /**
   * Normalised autocorrelation of that noise at lags of 1 and 2 pixels (mean of rows and columns):
   * near +0.8 for smooth (soft-tissue, PET/CT) kernels, near 0 or below for sharp lung kernels.
   */
  noiseCorrelation: [number, number] | null;
  noiseBlocks: number;
  /**
   * Gaussian σ (pixels) of the in-plane blur, from the air side of the body's outline (where
   * nothing but the scanner's point spread shapes the rise); null when no clean edge was found.
   */
  edgeSigmaPx: number | null;
  edgeProfiles: number;
}

const BLOCK = 16;
/** Soft tissue and fat, free of air and bone: the blocks the noise is measured on. */
const SOFT: [number, number] = [-220, 220];
/** Slices looked at (spread over the volume), enough for thousands of blocks and edge profiles. */
const SLICES = 24;

/** Measures a scan's noise and in-plane blur (see `ScanProfile`). */
export function profileScan(volume: Volume): ScanProfile {
  const nz = volume.dimensions[2];
  const step = Math.max(1, Math.floor(nz / SLICES));
  const slices: number[] = [];
  for (let k = Math.floor(step / 2); k < nz; k += step) slices.push(k);
  const noise = measureNoise(volume, slices);
  const edge = measureEdge(volume, slices);
  return { ...noise, ...edge };
}

interface BlockStats {
  variance: number;
  /** Mean products at the lags of LAGS. */
  lag: Float64Array;
}

/** Lags (index, dx, dy) the autocovariance is measured at: 1–4 pixels along rows and columns. */
const LAGS: readonly (readonly [number, number, number])[] = [1, 2, 3, 4].flatMap((d, i) => [[2 * i, d, 0], [2 * i + 1, 0, d]] as const);

function measureNoise(volume: Volume, slices: number[]): Pick<ScanProfile, 'noiseHu' | 'noiseCorrelation' | 'noiseBlocks'> {
  const [nx, ny] = volume.dimensions;
  const v = volume.voxels;
  const blocks: BlockStats[] = [];
  const r = new Float64Array(BLOCK * BLOCK);
  const c = (BLOCK - 1) / 2;
  let sxx = 0;
  for (let t = 0; t < BLOCK; t++) sxx += (t - c) * (t - c);
  sxx *= BLOCK;
  for (const k of slices) {
    const base = k * nx * ny;
    // Half-overlapping blocks.
    for (let j0 = 0; j0 + BLOCK <= ny; j0 += BLOCK / 2) {
      for (let i0 = 0; i0 + BLOCK <= nx; i0 += BLOCK / 2) {
        let ok = true;
        let sum = 0;
        let sumX = 0;
        let sumY = 0;
        for (let j = 0; j < BLOCK && ok; j++) {
          const row = base + (j0 + j) * nx + i0;
          for (let i = 0; i < BLOCK; i++) {
            const x = v[row + i]!;
            if (x < SOFT[0] || x > SOFT[1]) {
              ok = false;
              break;
            }
            sum += x;
            sumX += (i - c) * x;
            sumY += (j - c) * x;
          }
        }
        if (!ok) continue;
        // Remove the best plane: slow gradients are anatomy, not noise.
        const mean = sum / (BLOCK * BLOCK);
        const bx = sumX / sxx;
        const by = sumY / sxx;
        let ss = 0;
        for (let j = 0; j < BLOCK; j++) {
          const row = base + (j0 + j) * nx + i0;
          for (let i = 0; i < BLOCK; i++) {
            const e = v[row + i]! - mean - bx * (i - c) - by * (j - c);
            r[j * BLOCK + i] = e;
            ss += e * e;
          }
        }
        const lag = new Float64Array(LAGS.length);
        for (const [n, dx, dy] of LAGS) {
          let s = 0;
          let count = 0;
          for (let j = 0; j + dy < BLOCK; j++) {
            for (let i = 0; i + dx < BLOCK; i++) {
              s += r[j * BLOCK + i]! * r[(j + dy) * BLOCK + i + dx]!;
              count++;
            }
          }
          lag[n] = s / count;
        }
        blocks.push({ variance: ss / (BLOCK * BLOCK - 3), lag });
      }
    }
  }
  if (blocks.length < 8) return { noiseHu: null, noiseCorrelation: null, noiseBlocks: blocks.length };
  // The most common block SD: a histogram of SDs smoothed over five bins, its peak.
  const sds = blocks.map((b) => Math.sqrt(b.variance)).sort((a, b) => a - b);
  const median = sds[sds.length >> 1]!;
  const bin = Math.max(0.05, median / 40);
  const bins = new Float64Array(Math.ceil((3 * median) / bin) + 3);
  for (const s of sds) if (s < 3 * median) bins[Math.floor(s / bin)]!++;
  let best = 0;
  let peak = 0;
  for (let b = 0; b < bins.length; b++) {
    let w = 0;
    for (let d = -2; d <= 2; d++) w += bins[b + d] ?? 0;
    if (w > best) {
      best = w;
      peak = b;
    }
  }
  const mode = (peak + 0.5) * bin;
  // Blocks of pure noise: those within ±20 % of the mode; their mean variance and lags.
  let variance = 0;
  const lags = new Float64Array(LAGS.length);
  let n = 0;
  for (const b of blocks) {
    const s = Math.sqrt(b.variance);
    if (s < 0.8 * mode || s > 1.2 * mode) continue;
    variance += b.variance;
    b.lag.forEach((l, i) => (lags[i]! += l));
    n++;
  }
  variance /= n;
  const rho = [0, 1, 2, 3].map((d) => (lags[2 * d]! + lags[2 * d + 1]!) / (2 * n * variance));
  // Correlated noise shares part of its variance with the fitted plane; give it back (the plane's
  // three parameters each take ≈ S² / n of it, S the noise's correlation sum along one axis).
  const sumRho = Math.max(1, 1 + 2 * rho.reduce((a, r) => a + Math.max(0, r), 0));
  const kept = Math.max(0.4, 1 - (3 * sumRho * sumRho) / (BLOCK * BLOCK));
  return { noiseHu: Math.sqrt((variance * (BLOCK * BLOCK - 3)) / (BLOCK * BLOCK) / kept), noiseCorrelation: [rho[0]!, rho[1]!], noiseBlocks: n };
}

/** Inverse of the standard normal CDF (Acklam's rational approximation, |error| < 1.2e-9). */
function probit(p: number): number {
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const q = p < 0.5 ? p : 1 - p;
  let x: number;
  if (q < 0.02425) {
    const t = Math.sqrt(-2 * Math.log(q));
    x = (((((c[0]! * t + c[1]!) * t + c[2]!) * t + c[3]!) * t + c[4]!) * t + c[5]!) / ((((d[0]! * t + d[1]!) * t + d[2]!) * t + d[3]!) * t + 1);
  } else {
    const t = q - 0.5;
    const u = t * t;
    x = ((((((a[0]! * u + a[1]!) * u + a[2]!) * u + a[3]!) * u + a[4]!) * u + a[5]!) * t) / (((((b[0]! * u + b[1]!) * u + b[2]!) * u + b[3]!) * u + b[4]!) * u + 1);
    return p < 0.5 ? x : -x;
  }
  return p < 0.5 ? x : -x;
}

/** The level the body's outline is located at, and what counts as clean air before it. */
const EDGE_HU = -500;
const AIR: [number, number] = [-1150, -750];
const AIR_RUN = 6;

/**
 * The blur of the scan from the lateral edges of the body: in each row, the first crossing of
 * −500 HU from the image's side, after clean air (−1150…−750 HU) and before solid tissue;
 * kept where the outline runs within ≈ 20° of the rows' normal (the crossings of the rows two
 * above and below within 1.5 pixels). On the air side the rise is the scanner's edge spread alone:
 * fraction q of the half-rise at distance d before the crossing gives σ = d / Φ⁻¹(q). The median
 * over profiles.
 */
function measureEdge(volume: Volume, slices: number[]): Pick<ScanProfile, 'edgeSigmaPx' | 'edgeProfiles'> {
  const [nx, ny] = volume.dimensions;
  const v = volume.voxels;
  const sigmas: number[] = [];
  const crossing = new Float64Array(ny);
  for (const k of slices) {
    const base = k * nx * ny;
    for (const dir of [1, -1] as const) {
      crossing.fill(NaN);
      for (let j = 0; j < ny; j++) {
        const row = base + j * nx;
        const at = (t: number) => v[row + (dir > 0 ? t : nx - 1 - t)]!;
        let t = 0;
        while (t < nx - 8 && at(t) <= EDGE_HU) t++;
        if (t < AIR_RUN + 1 || t >= nx - 8) continue;
        // Clean air before the crossing and solid tissue (above −600 HU for six pixels) after it.
        let clean = true;
        for (let s = t - AIR_RUN; s <= t - 3 && clean; s++) clean = at(s) >= AIR[0] && at(s) <= AIR[1];
        for (let s = 1; s <= 6 && clean; s++) clean = at(t + s) > -600;
        const prev = at(t - 1);
        if (clean) crossing[j] = t - 1 + (EDGE_HU - prev) / (at(t) - prev);
      }
      for (let j = 2; j < ny - 2; j++) {
        const xc = crossing[j]!;
        if (!(Math.abs(crossing[j - 2]! - xc) <= 1.5 && Math.abs(crossing[j + 2]! - xc) <= 1.5)) continue;
        const row = base + j * nx;
        const at = (t: number) => v[row + (dir > 0 ? t : nx - 1 - t)]!;
        const first = Math.floor(xc);
        const air: number[] = [];
        for (let t = first - AIR_RUN + 1; t <= first - 2; t++) air.push(at(t));
        air.sort((a, b) => a - b);
        const airHu = air[air.length >> 1]!;
        if (airHu > EDGE_HU - 300) continue;
        let sdz = 0;
        let szz = 0;
        for (let t = first; t >= first - 4; t--) {
          const q = (0.5 * (at(t) - airHu)) / (EDGE_HU - airHu);
          if (q < 0.04 || q > 0.46) continue;
          const z = probit(q);
          sdz += (t - xc) * z;
          szz += z * z;
        }
        if (szz > 0.1) sigmas.push(sdz / szz);
      }
    }
  }
  if (sigmas.length < 20) return { edgeSigmaPx: null, edgeProfiles: sigmas.length };
  sigmas.sort((a, b) => a - b);
  return { edgeSigmaPx: sigmas[sigmas.length >> 1]!, edgeProfiles: sigmas.length };
}
