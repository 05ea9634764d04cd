/**
 * Our process-14 decoder against a small reference encoder written here from ITU T.81 Annex H:
 * every predictor, point transforms, restart intervals, 2- to 16-bit precision, and image sizes
 * that put the last code flush against the EOI marker (where a popular decoder loses the last
 * pixel). Real encoders (dcmtk, GDCM) are exercised in third-party-encoders.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { decodeJpegLossless } from './jpeg-lossless.js';

interface Options {
  precision: number;
  predictor: number;
  pointTransform?: number;
  restartRows?: number;
}

/** A lossless JPEG of one component, with a flat Huffman table (17 five-bit codes). */
function encodeLossless(samples: Uint16Array, width: number, height: number, o: Options): Uint8Array {
  const pt = o.pointTransform ?? 0;
  const out: number[] = [0xff, 0xd8];
  const segment = (marker: number, body: number[]) => out.push(0xff, marker, (body.length + 2) >> 8, (body.length + 2) & 0xff, ...body);
  segment(0xc3, [o.precision, height >> 8, height & 0xff, width >> 8, width & 0xff, 1, 1, 0x11, 0]);
  const counts = Array.from({ length: 16 }, (_, i) => (i === 4 ? 17 : 0));
  segment(0xc4, [0x00, ...counts, ...Array.from({ length: 17 }, (_, i) => i)]);
  const restart = o.restartRows ? o.restartRows * width : 0;
  if (restart) segment(0xdd, [restart >> 8, restart & 0xff]);
  segment(0xda, [1, 1, 0x00, o.predictor, 0, pt]);

  let acc = 0;
  let bits = 0;
  const put = (value: number, n: number) => {
    for (let i = n - 1; i >= 0; i--) {
      acc = (acc << 1) | ((value >> i) & 1);
      if (++bits === 8) {
        out.push(acc);
        if (acc === 0xff) out.push(0);
        acc = 0;
        bits = 0;
      }
    }
  };
  const flush = () => {
    while (bits !== 0) put(1, 1);
  };
  const x = Array.from(samples, (v) => v >> pt);
  let firstLine = true;
  let rst = 0;
  for (let y = 0; y < height; y++) {
    if (restart && y > 0 && (y * width) % restart === 0) {
      flush();
      out.push(0xff, 0xd0 + (rst++ % 8));
      firstLine = true;
    }
    for (let c = 0; c < width; c++) {
      const i = y * width + c;
      const ra = x[i - 1]!;
      const rb = x[i - width]!;
      const rc = x[i - width - 1]!;
      let px: number;
      if (firstLine) px = c === 0 ? 1 << (o.precision - pt - 1) : ra;
      else if (c === 0) px = rb;
      else px = [0, ra, rb, rc, ra + rb - rc, ra + ((rb - rc) >> 1), rb + ((ra - rc) >> 1), (ra + rb) >> 1][o.predictor]!;
      let d = (x[i]! - px) & 0xffff;
      if (d > 32768) d -= 65536;
      const ssss = d === 0 ? 0 : Math.floor(Math.log2(Math.abs(d))) + 1;
      put(ssss, 5);
      if (ssss > 0 && ssss < 16) put(d > 0 ? d : d - 1 + (1 << ssss), ssss);
    }
    firstLine = false;
  }
  flush();
  out.push(0xff, 0xd9);
  return new Uint8Array(out);
}

/** Deterministic noise over the full range of `precision` bits, with a 0 / 2^(P−1) pair that needs category 16 at 16 bits. */
function noise(width: number, height: number, precision: number, seed: number): Uint16Array {
  const s = new Uint16Array(width * height);
  let state = seed;
  for (let i = 0; i < s.length; i++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    s[i] = (state >>> 8) % 2 ** precision;
  }
  if (s.length > 1) [s[0], s[1]] = [0, 2 ** (precision - 1)];
  return s;
}

/** Smooth data with a sharp edge, where predictors matter. */
function ramp(width: number, height: number, precision: number): Uint16Array {
  const max = 2 ** precision - 1;
  return Uint16Array.from({ length: width * height }, (_, i) => ((i % width) * 37 + Math.floor(i / width) * 11 + (i % 7 === 0 ? max / 2 : 0)) % (max + 1));
}

describe('JPEG lossless decoder', () => {
  const predictors = [1, 2, 3, 4, 5, 6, 7];
  it.each(predictors.flatMap((p) => [16, 12, 8, 2].map((precision) => [p, precision])))('predictor %i at %i bits gives back every sample', (predictor, precision) => {
    for (const [w, h] of [[17, 9], [1, 5], [6, 1], [64, 3]] as const) {
      for (const samples of [noise(w, h, precision, predictor * 100 + precision), ramp(w, h, precision)]) {
        const image = decodeJpegLossless(encodeLossless(samples, w, h, { precision, predictor }));
        expect([image.width, image.height, image.predictor, image.precision]).toEqual([w, h, predictor, precision]);
        expect(Array.from(image.samples)).toEqual(Array.from(samples));
      }
    }
  });

  it('decodes the last pixel whatever the alignment of the final code with the EOI marker', () => {
    for (let w = 1; w <= 24; w++) {
      const samples = noise(w, 3, 16, w);
      const image = decodeJpegLossless(encodeLossless(samples, w, 3, { precision: 16, predictor: 1 }));
      expect(image.samples[samples.length - 1]).toBe(samples[samples.length - 1]);
      expect(Array.from(image.samples)).toEqual(Array.from(samples));
    }
  });

  it.each(predictors)('restarts every two rows with predictor %i', (predictor) => {
    const samples = noise(13, 11, 16, predictor);
    const image = decodeJpegLossless(encodeLossless(samples, 13, 11, { precision: 16, predictor, restartRows: 2 }));
    expect(Array.from(image.samples)).toEqual(Array.from(samples));
  });

  it('undoes a point transform', () => {
    const samples = noise(10, 6, 16, 3);
    const image = decodeJpegLossless(encodeLossless(samples, 10, 6, { precision: 16, predictor: 4, pointTransform: 3 }));
    expect(image.pointTransform).toBe(3);
    expect(Array.from(image.samples)).toEqual(Array.from(samples, (v) => (v >> 3) << 3));
  });

  it('refuses a truncated stream instead of padding it', () => {
    const full = encodeLossless(noise(32, 32, 16, 9), 32, 32, { precision: 16, predictor: 1 });
    expect(() => decodeJpegLossless(full.subarray(0, full.length - 40))).toThrowError(expect.objectContaining({ code: 'corrupt-file', message: expect.stringMatching(/ends before the last pixel/) }));
  });

  it('refuses colour and arithmetic-coded streams with a sentence', () => {
    const colour = encodeLossless(noise(4, 4, 8, 1), 4, 4, { precision: 8, predictor: 1 });
    colour[2 + 4 + 5] = 3; // Nf = 3 in the SOF3 segment
    expect(() => decodeJpegLossless(colour)).toThrowError(expect.objectContaining({ code: 'unsupported-pixel-format', message: expect.stringMatching(/3 components/) }));
    const arithmetic = encodeLossless(noise(4, 4, 8, 1), 4, 4, { precision: 8, predictor: 1 });
    arithmetic[3] = 0xcb;
    expect(() => decodeJpegLossless(arithmetic)).toThrowError(expect.objectContaining({ code: 'unsupported-pixel-format' }));
  });
});
