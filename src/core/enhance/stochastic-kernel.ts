/**
 * The inner loop of the stochastic enhancement: runs chains [chainStart, chainEnd) for the rows
 * handed out by a shared counter and adds each pixel's Σ w·I, Σ w and Σ s into the accumulators.
 *
 * Architecture invariant: `stochasticKernel` is self-contained — no imports, no helpers, no
 * nested named functions — because worker threads build it from its source text
 * (`stochasticKernel.toString()`), which works the same under tsx, vitest and the built code.
 *
 * Random numbers are counter-based: chain c of pixel p has the key mix(mix(p·φ ^ seed) + (c+1)·ψ)
 * and its t-th draw is mix(key + t·φ), with mix the "lowbias32" integer hash. Results therefore
 * do not depend on how rows are split between threads or chains between rounds.
 * See stochastic-reference.ts for the plain statement of the algorithm this must equal.
 */

/** What one call works on: typed arrays may be views on SharedArrayBuffers. */
export interface KernelJob {
  image: Float32Array;
  grad: Float32Array;
  width: number;
  height: number;
  /** cos and sin of 2π·k/65536, k = 0…65535. */
  cosTable: Float64Array;
  sinTable: Float64Array;
  /** exp(−a) at a = k / EXP_LUT_SCALE, k = 0…length − 1 (0 past the end). */
  expTable: Float32Array;
  expScale: number;
  chainStart: number;
  chainEnd: number;
  samples: number;
  radiusInnerPx: number;
  radiusOuterPx: number;
  sigmaIntensity: number;
  sigmaGradient: number;
  minWeight: number;
  seed: number;
  /** Rows are claimed `rowBlock` at a time with Atomics.add on counter[0]. */
  counter: Int32Array;
  rowBlock: number;
  sumWI: Float64Array;
  sumW: Float64Array;
  sumS: Float64Array;
}

export function stochasticKernel(job: KernelJob): number {
  const { image, grad, width, height, cosTable, sinTable, expTable, expScale, counter, sumWI, sumW, sumS } = job;
  const chainStart = job.chainStart | 0;
  const chainEnd = job.chainEnd | 0;
  const samples = job.samples | 0;
  const halfSteps = samples >> 1;
  const r1 = job.radiusInnerPx;
  const r1sq = r1 * r1;
  const r2 = job.radiusOuterPx;
  const invSigI = 1 / job.sigmaIntensity;
  const invSigG = 1 / job.sigmaGradient;
  const minWeight = job.minWeight;
  const seed = job.seed | 0;
  const rowBlock = Math.max(1, job.rowBlock | 0);
  const expLen = expTable.length - 1;
  const margin = Math.ceil(r1) + 1;
  const DX = [1, -1, 0, 0, -1, 1, 1, -1];
  const DY = [0, 0, 1, -1, -1, 1, -1, 1];
  const DOFF = new Int32Array(8);
  for (let k = 0; k < 8; k++) DOFF[k] = DY[k]! * width + DX[k]!;
  const PHI = 0x9e3779b9 | 0;
  const PSI = 0x85ebca77 | 0;
  const MAX_TRIES = 4096;
  let samplesDone = 0;

  for (;;) {
    const rowFirst = Atomics.add(counter, 0, rowBlock);
    if (rowFirst >= height) break;
    const rowLast = Math.min(height, rowFirst + rowBlock);
    for (let y0 = rowFirst; y0 < rowLast; y0++) {
      // Farthest corner: sprayed radii beyond it can never land inside the image.
      const fy = Math.max(y0, height - 1 - y0);
      for (let x0 = 0; x0 < width; x0++) {
        const p = y0 * width + x0;
        const i0 = image[p]!;
        const g0 = grad[p]!;
        const interior = x0 >= margin && y0 >= margin && x0 < width - margin && y0 < height - margin;
        const fx = Math.max(x0, width - 1 - x0);
        const rMax = Math.min(r2, Math.sqrt(fx * fx + fy * fy) + 1);
        const span = rMax - r1;
        // pixel key
        let pk = Math.imul(p, PHI) ^ seed;
        pk ^= pk >>> 16; pk = Math.imul(pk, 0x7feb352d); pk ^= pk >>> 15; pk = Math.imul(pk, 0x846ca68b); pk ^= pk >>> 16;
        let accWI = 0, accW = 0, accS = 0;
        for (let c = chainStart; c < chainEnd; c++) {
          let key = (pk + Math.imul(c + 1, PSI)) | 0;
          key ^= key >>> 16; key = Math.imul(key, 0x7feb352d); key ^= key >>> 15; key = Math.imul(key, 0x846ca68b); key ^= key >>> 16;
          let ctr = key;
          let mn = i0, mx = i0;
          // x0 itself: weight exp(0) = 1
          let wi = i0, ws = 1;
          let tv = 0, gPrev = g0;
          let x = x0, y = y0, q = p;
          let taken = 1;
          let bits = 0, nbits = 0;
          for (let step = 0; step < halfSteps; step++) {
            if (nbits < 3) {
              let h = ctr; ctr = (ctr + PHI) | 0;
              h ^= h >>> 16; h = Math.imul(h, 0x7feb352d); h ^= h >>> 15; h = Math.imul(h, 0x846ca68b); h ^= h >>> 16;
              bits = h >>> 0; nbits = 30;
            }
            let k = bits & 7; bits >>>= 3; nbits -= 3;
            if (!interior) {
              // uniform over the neighbours inside the image: redraw 3 bits until one is
              let nx = x + DX[k]!, ny = y + DY[k]!;
              let guard = 0;
              while (nx < 0 || ny < 0 || nx >= width || ny >= height) {
                if (++guard > 64) { k = -1; break; }
                if (nbits < 3) {
                  let h = ctr; ctr = (ctr + PHI) | 0;
                  h ^= h >>> 16; h = Math.imul(h, 0x7feb352d); h ^= h >>> 15; h = Math.imul(h, 0x846ca68b); h ^= h >>> 16;
                  bits = h >>> 0; nbits = 30;
                }
                k = bits & 7; bits >>>= 3; nbits -= 3;
                nx = x + DX[k]!; ny = y + DY[k]!;
              }
              if (k >= 0) { x = nx; y = ny; q = y * width + x; }
            } else {
              x += DX[k]!; y += DY[k]!; q += DOFF[k]!;
            }
            taken++;
            const v = image[q]!;
            const g = grad[q]!;
            tv += Math.abs(g - gPrev);
            gPrev = g;
            if (v < mn) mn = v; else if (v > mx) mx = v;
            const ddx = x - x0, ddy = y - y0;
            if (ddx * ddx + ddy * ddy >= r1sq) break; // left R1: a sample for min/max, not weighted
            const d = v - i0;
            const a = ((d < 0 ? -d : d) * invSigI + tv * invSigG) * expScale;
            if (a < expLen) {
              const ai = a | 0;
              const e0 = expTable[ai]!;
              const w = e0 + (expTable[ai + 1]! - e0) * (a - ai);
              if (w >= minWeight) { wi += w * v; ws += w; }
            }
          }
          // Spray the rest at R1 + (rMax − R1)·u, uniform angle; rejected outside the image.
          if (span > 0) {
            for (; taken < samples; taken++) {
              let tries = 0;
              for (;;) {
                let h = ctr; ctr = (ctr + PHI) | 0;
                h ^= h >>> 16; h = Math.imul(h, 0x7feb352d); h ^= h >>> 15; h = Math.imul(h, 0x846ca68b); h ^= h >>> 16;
                const r = r1 + span * ((h >>> 16) * (1 / 65536));
                const ai = h & 0xffff;
                const ux = Math.floor(x0 + r * cosTable[ai]! + 0.5);
                const uy = Math.floor(y0 + r * sinTable[ai]! + 0.5);
                if (ux >= 0 && uy >= 0 && ux < width && uy < height) {
                  const v = image[uy * width + ux]!;
                  if (v < mn) mn = v; else if (v > mx) mx = v;
                  break;
                }
                if (++tries >= MAX_TRIES) break;
              }
            }
          }
          samplesDone += taken;
          const range = mx - mn;
          accS += range > 0 ? (i0 - mn) / range : 0.5;
          accWI += wi;
          accW += ws;
        }
        sumWI[p] = sumWI[p]! + accWI;
        sumW[p] = sumW[p]! + accW;
        sumS[p] = sumS[p]! + accS;
      }
    }
  }
  return samplesDone;
}
