// Drawing helpers shared by the picture scripts (render-montage, render-lung-overlay,
// render-enhancement-grid): an RGB canvas with PNG/JPEG output, HU windowing to grey, mask
// outlines and a 5×7 bitmap font for labels (no font files, no native dependencies).
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';

export type Rgb = [number, number, number];

export class Canvas {
  readonly png: PNG;
  constructor(readonly width: number, readonly height: number) {
    this.png = new PNG({ width, height });
    this.png.data.fill(0);
    for (let i = 3; i < this.png.data.length; i += 4) this.png.data[i] = 255;
  }

  set(x: number, y: number, [r, g, b]: Rgb): void {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    const o = (y * this.width + x) * 4;
    this.png.data[o] = r;
    this.png.data[o + 1] = g;
    this.png.data[o + 2] = b;
  }

  fillRect(x0: number, y0: number, w: number, h: number, rgb: Rgb): void {
    for (let y = y0; y < y0 + h; y++) for (let x = x0; x < x0 + w; x++) this.set(x, y, rgb);
  }

  /** Text in the 5×7 font, `scale` pixels per font pixel, top-left at (x0, y0). Returns the width drawn. */
  text(x0: number, y0: number, s: string, rgb: Rgb = [255, 255, 255], scale = 2): number {
    let x = x0;
    for (const ch of s) {
      const glyph = FONT[ch] ?? FONT[ch.toUpperCase()] ?? FONT['?']!;
      for (let row = 0; row < 7; row++) {
        const bits = glyph[row]!;
        for (let col = 0; col < 5; col++) {
          if ((bits >> (4 - col)) & 1) this.fillRect(x + col * scale, y0 + row * scale, scale, scale, rgb);
        }
      }
      x += 6 * scale;
    }
    return x - x0;
  }

  toPng(): Buffer {
    return PNG.sync.write(this.png);
  }

  toJpeg(quality = 85): Buffer {
    return Buffer.from(jpeg.encode({ data: this.png.data, width: this.width, height: this.height }, quality).data);
  }
}

/** Width in pixels of `s` drawn by `Canvas.text` at `scale`. */
export const textWidth = (s: string, scale = 2): number => [...s].length * 6 * scale;

/** Grey level 0…255 of a HU value through a window given as width/level. */
export const grey = (hu: number, w: { width: number; level: number }): number =>
  Math.max(0, Math.min(255, Math.round(((hu - (w.level - w.width / 2)) / w.width) * 255)));

/** True where the mask is set and a 4-neighbour (in the slice) is not: the mask's outline. */
export function outlineOf(mask: Uint8Array, nx: number, ny: number, offset = 0): Uint8Array {
  const out = new Uint8Array(nx * ny);
  for (let y = 0; y < ny; y++) {
    for (let x = 0; x < nx; x++) {
      const i = offset + y * nx + x;
      if (!mask[i]) continue;
      const edge = x === 0 || x === nx - 1 || y === 0 || y === ny - 1
        || !mask[i - 1] || !mask[i + 1] || !mask[i - nx] || !mask[i + nx];
      if (edge) out[y * nx + x] = 1;
    }
  }
  return out;
}

// 5×7 glyphs, one 5-bit row each (bit 4 = leftmost column).
const FONT: Record<string, number[]> = {
  ' ': [0, 0, 0, 0, 0, 0, 0],
  '?': [14, 17, 1, 2, 4, 0, 4],
  '.': [0, 0, 0, 0, 0, 12, 12],
  ',': [0, 0, 0, 0, 12, 4, 8],
  ':': [0, 12, 12, 0, 12, 12, 0],
  '-': [0, 0, 0, 31, 0, 0, 0],
  _: [0, 0, 0, 0, 0, 0, 31],
  '[': [14, 8, 8, 8, 8, 8, 14],
  ']': [14, 2, 2, 2, 2, 2, 14],
  '<': [2, 4, 8, 16, 8, 4, 2],
  '>': [8, 4, 2, 1, 2, 4, 8],
  '≈': [0, 13, 22, 0, 13, 22, 0],
  '·': [0, 0, 0, 12, 12, 0, 0],
  '+': [0, 4, 4, 31, 4, 4, 0],
  '=': [0, 0, 31, 0, 31, 0, 0],
  '/': [1, 1, 2, 4, 8, 16, 16],
  '(': [2, 4, 8, 8, 8, 4, 2],
  ')': [8, 4, 2, 2, 2, 4, 8],
  '%': [24, 25, 2, 4, 8, 19, 3],
  '×': [0, 17, 10, 4, 10, 17, 0],
  '²': [12, 2, 4, 8, 14, 0, 0],
  σ: [0, 0, 15, 18, 18, 18, 12],
  γ: [0, 17, 17, 10, 4, 4, 4],
  '0': [14, 17, 19, 21, 25, 17, 14],
  '1': [4, 12, 4, 4, 4, 4, 14],
  '2': [14, 17, 1, 2, 4, 8, 31],
  '3': [31, 2, 4, 2, 1, 17, 14],
  '4': [2, 6, 10, 18, 31, 2, 2],
  '5': [31, 16, 30, 1, 1, 17, 14],
  '6': [6, 8, 16, 30, 17, 17, 14],
  '7': [31, 1, 2, 4, 8, 8, 8],
  '8': [14, 17, 17, 14, 17, 17, 14],
  '9': [14, 17, 17, 15, 1, 2, 12],
  A: [14, 17, 17, 31, 17, 17, 17],
  B: [30, 17, 17, 30, 17, 17, 30],
  C: [14, 17, 16, 16, 16, 17, 14],
  D: [28, 18, 17, 17, 17, 18, 28],
  E: [31, 16, 16, 30, 16, 16, 31],
  F: [31, 16, 16, 30, 16, 16, 16],
  G: [14, 17, 16, 23, 17, 17, 15],
  H: [17, 17, 17, 31, 17, 17, 17],
  I: [14, 4, 4, 4, 4, 4, 14],
  J: [7, 2, 2, 2, 2, 18, 12],
  K: [17, 18, 20, 24, 20, 18, 17],
  L: [16, 16, 16, 16, 16, 16, 31],
  M: [17, 27, 21, 21, 17, 17, 17],
  N: [17, 17, 25, 21, 19, 17, 17],
  O: [14, 17, 17, 17, 17, 17, 14],
  P: [30, 17, 17, 30, 16, 16, 16],
  Q: [14, 17, 17, 17, 21, 18, 13],
  R: [30, 17, 17, 30, 20, 18, 17],
  S: [15, 16, 16, 14, 1, 1, 30],
  T: [31, 4, 4, 4, 4, 4, 4],
  U: [17, 17, 17, 17, 17, 17, 14],
  V: [17, 17, 17, 17, 17, 10, 4],
  W: [17, 17, 17, 21, 21, 21, 10],
  X: [17, 17, 10, 4, 10, 17, 17],
  Y: [17, 17, 17, 10, 4, 4, 4],
  Z: [31, 1, 2, 4, 8, 16, 31],
  a: [0, 0, 14, 1, 15, 17, 15],
  b: [16, 16, 22, 25, 17, 17, 30],
  c: [0, 0, 14, 16, 16, 17, 14],
  d: [1, 1, 13, 19, 17, 17, 15],
  e: [0, 0, 14, 17, 31, 16, 14],
  f: [6, 9, 8, 28, 8, 8, 8],
  g: [0, 15, 17, 17, 15, 1, 14],
  h: [16, 16, 22, 25, 17, 17, 17],
  i: [4, 0, 12, 4, 4, 4, 14],
  j: [2, 0, 6, 2, 2, 18, 12],
  k: [16, 16, 18, 20, 24, 20, 18],
  l: [12, 4, 4, 4, 4, 4, 14],
  m: [0, 0, 26, 21, 21, 17, 17],
  n: [0, 0, 22, 25, 17, 17, 17],
  o: [0, 0, 14, 17, 17, 17, 14],
  p: [0, 0, 30, 17, 30, 16, 16],
  q: [0, 0, 13, 19, 15, 1, 1],
  r: [0, 0, 22, 25, 16, 16, 16],
  s: [0, 0, 14, 16, 14, 1, 30],
  t: [8, 8, 28, 8, 8, 9, 6],
  u: [0, 0, 17, 17, 17, 19, 13],
  v: [0, 0, 17, 17, 17, 10, 4],
  w: [0, 0, 17, 17, 21, 21, 10],
  x: [0, 0, 17, 10, 4, 10, 17],
  y: [0, 0, 17, 17, 15, 1, 14],
  z: [0, 0, 31, 2, 4, 8, 31],
};

/** The flags the phantom render scripts share. */
export interface PhantomArgs {
  seed: string;
  count: number;
  out: string;
  size: number;
  slices: [number, number] | undefined;
  real: string[];
}

/**
 * Parses --seed S, --count N, --out DIR, --size N, --slices MIN[..MAX] and --real PATH… over
 * `defaults`; a script's own flags go to `own(flag, next)`, which returns false for one it does
 * not know (an error).
 */
export function parsePhantomArgs(argv: string[], defaults: PhantomArgs, own: (flag: string, next: () => string) => boolean = () => false): PhantomArgs {
  const args = { ...defaults, real: [...defaults.real] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = () => argv[++i] ?? '';
    if (a === '--seed') args.seed = next();
    else if (a === '--count') args.count = Number(next());
    else if (a === '--out') args.out = next();
    else if (a === '--size') args.size = Number(next());
    else if (a === '--slices') {
      const [min, max] = next().split('..').map(Number);
      args.slices = [min!, max ?? min!];
    } else if (a === '--real') {
      while (argv[i + 1] && !argv[i + 1]!.startsWith('--')) args.real.push(next());
    } else if (!own(a, next)) throw new Error(`unknown argument ${a}`);
  }
  return args;
}
