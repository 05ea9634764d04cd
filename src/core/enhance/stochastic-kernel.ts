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
  /** Spray directions (stochastic-angles.ts): cos, sin of 2π·hi/64 interleaved (64 pairs) … */
  angleCoarse: Float64Array;
  /** … and of 2π·lo/65536 (1024 pairs); angle index k = 1024·hi + lo. */
  angleFine: Float64Array;
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
  /**
   * Preview rounds: only the pixels with x ≡ y ≡ 0 (mod pixelStep) are processed (default 1: all).
   * The counter then hands out rows of that grid (row i is image row i·pixelStep).
   */
  pixelStep?: number;
  sumWI: Float64Array;
  sumW: Float64Array;
  sumS: Float64Array;
}

export function stochasticKernel(job: KernelJob): number {
  const { image, grad, width, height, angleCoarse, angleFine, expTable, expScale, counter, sumWI, sumW, sumS } = job;
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
  const pixelStep = Math.max(1, (job.pixelStep ?? 1) | 0);
  const gridRows = Math.ceil(height / pixelStep);
  const expLen = expTable.length - 1;
  const margin = Math.ceil(r1) + 1;
  const DX = [1, -1, 0, 0, -1, 1, 1, -1];
  const DY = [0, 0, 1, -1, -1, 1, -1, 1];
  const DOFF = new Int32Array(8);
  for (let k = 0; k < 8; k++) DOFF[k] = DY[k]! * width + DX[k]!;
  const PHI = 0x9e3779b9 | 0;
  const PSI = 0x85ebca77 | 0;
  const MAX_TRIES = 4096;
  // Spray pre-test. The 16-bit angle index's top 6 bits name one of 64 sectors of 2π/64; for the
  // current x0, sectorR[s] bounds (from above) the distance from x0 at which any ray in sector s
  // leaves the rectangle [−0.5, w − 0.5) × [−0.5, h − 0.5) (the points that round to a pixel inside
  // the image). A draw with r > sectorR[s] is therefore outside whatever its exact angle, so it is
  // rejected without computing its position or reading the image or the angle table: the same
  // decision the full test would make, so the samples (and the draws consumed) are exactly those of
  // the reference; only the cost of the doomed draws (≈ 55 % of them at 512²) drops.
  // The bound: wedge ∩ rectangle is a convex polygon with vertices x0, the two boundary rays' exit
  // points and the rectangle corners inside the wedge; the farthest point is a vertex. A margin of
  // 0.01 px keeps the test safe against rounding: 0.01 px along a ray past its exit point is at
  // least 0.01·0.5/rMax px beyond the exit edge (the edge is ≥ 0.5 px from x0), 6e-6 px at
  // rMax = 800, far above the double-precision error of the position. The tests check the kernel
  // against the reference (which has no pre-test) on several shapes and radii.
  const SECTORS = 64;
  const SECTOR_SHIFT = 10; // 65536 / 64 angle steps per sector
  const SECTOR_MARGIN = 0.01;
  const sectorR = new Float64Array(SECTORS);
  const edgeT = new Float64Array(SECTORS + 1);
  let samplesDone = 0;

  for (;;) {
    const rowFirst = Atomics.add(counter, 0, rowBlock);
    if (rowFirst >= gridRows) break;
    const rowLast = Math.min(gridRows, rowFirst + rowBlock);
    for (let yi = rowFirst; yi < rowLast; yi++) {
      const y0 = yi * pixelStep;
      // Farthest corner: sprayed radii beyond it can never land inside the image.
      const fy = Math.max(y0, height - 1 - y0);
      for (let x0 = 0; x0 < width; x0 += pixelStep) {
        const p = y0 * width + x0;
        const i0 = image[p]!;
        const g0 = grad[p]!;
        const interior = x0 >= margin && y0 >= margin && x0 < width - margin && y0 < height - margin;
        const fx = Math.max(x0, width - 1 - x0);
        const rMax = Math.min(r2, Math.sqrt(fx * fx + fy * fy) + 1);
        const span = rMax - r1;
        if (span > 0) {
          const exP = width - 0.5 - x0, exM = x0 + 0.5, eyP = height - 0.5 - y0, eyM = y0 + 0.5;
          for (let j = 0; j <= SECTORS; j++) {
            const ai = (j & (SECTORS - 1)) << 1; // lo = 0: the direction is the coarse entry itself
            const c = angleCoarse[ai]!, sn = angleCoarse[ai + 1]!;
            const tx = c > 0 ? exP / c : c < 0 ? exM / -c : Infinity;
            const ty = sn > 0 ? eyP / sn : sn < 0 ? eyM / -sn : Infinity;
            edgeT[j] = tx < ty ? tx : ty;
          }
          for (let j = 0; j < SECTORS; j++) {
            const a = edgeT[j]!, b = edgeT[j + 1]!;
            sectorR[j] = (a > b ? a : b) + SECTOR_MARGIN;
          }
          // the four corners, each into the sector(s) of its angle ± one step
          for (let k = 0; k < 4; k++) {
            const cx = k === 0 || k === 3 ? exP : -exM;
            const cy = k < 2 ? eyP : -eyM;
            const d = Math.sqrt(cx * cx + cy * cy) + SECTOR_MARGIN;
            let idx = Math.floor((Math.atan2(cy, cx) * 65536) / (2 * Math.PI));
            if (idx < 0) idx += 65536;
            for (let e = -1; e <= 1; e += 2) {
              const sct = ((idx + e + 65536) & 0xffff) >> SECTOR_SHIFT;
              if (sectorR[sct]! < d) sectorR[sct] = d;
            }
          }
        }
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
                if (r > sectorR[ai >> SECTOR_SHIFT]!) {
                  if (++tries >= MAX_TRIES) break;
                  continue; // certainly outside: see sectorR
                }
                const hi2 = (ai >> 10) << 1, lo2 = (ai & 1023) << 1;
                const ch = angleCoarse[hi2]!, sh = angleCoarse[hi2 + 1]!;
                const cl = angleFine[lo2]!, sl = angleFine[lo2 + 1]!;
                // floor(f) ∈ [0, n) ⇔ f ∈ [0, n) for integer n, and then floor(f) = f | 0
                const px = x0 + r * (ch * cl - sh * sl) + 0.5;
                const py = y0 + r * (sh * cl + ch * sl) + 0.5;
                if (px >= 0 && py >= 0 && px < width && py < height) {
                  const v = image[(py | 0) * width + (px | 0)]!;
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
