/**
 * What an uncalibrated slice stack is a rendering of, and the grey → HU line that undoes it.
 *
 * A CT slice exported as an 8-bit picture went through a display window: g = 255 · (HU − low) /
 * (high − low), clipped at 0 and 255. The window is not written anywhere, but the anatomy fixes
 * it: every chest slice holds tissues of known density. The rule, decided once per stack (all
 * slices of a series share one rendering), on up to 12 slices spread over it:
 *
 * 1. Refusals first: blank images (one grey level), colour pictures (photos, charts, colour maps:
 *    ≥ 5 % of the pixels coloured), drawings (99 % of the pixels on ≤ 12 grey levels).
 * 2. Orientation: air is dark in a CT rendering. The image border is mostly air (dark) unless the
 *    image is cropped to the body; a bright border whose dark regions include one that encloses
 *    large bright regions (a dark body holding bright lungs) is a MONOCHROME1-like inverted
 *    rendering, and the grey levels are inverted first.
 * 3. Regions: the darkest level (with 2 levels of tolerance for JPEG ringing) is the floor; its
 *    regions enclosed by brighter pixels (≥ 1.5 % of the image) are lungs clipped black — a
 *    soft-tissue or bone window. Otherwise Otsu's threshold splits air and lung from tissue. The
 *    body is the largest bright region, its holes filled; dark pixels inside it are the lungs,
 *    dark pixels outside it (not the floor) are the air around the patient.
 * 4. A pre-masked export (black outside the lungs) has a floor of ≥ 25 % around a few textured
 *    regions and no body: its lungs are read as parenchyma at −850 HU in a 1,500 HU lung window.
 * 5. Anchors, the peaks the histogram shows: air around the body = −1000 HU, lung parenchyma =
 *    −850 (used only without air), subcutaneous and mediastinal fat = −100, soft tissue (muscle,
 *    blood, organs) = +40. Fat and soft tissue are the two highest peaks of the body's tissue (the
 *    darker one fat); with air present, a pair is accepted only where the fat–tissue gap is 7–25 %
 *    of the air–tissue span (140 of 1,040 HU), and a clipped top (≥ 25 % of the tissue at the
 *    brightest level) means soft tissue is above the window and the highest peak is fat.
 * 6. The line through two anchors, in this order: air & soft tissue, air & fat, fat & soft tissue,
 *    lung & soft tissue or fat — each kept only where it reads the lungs (if they show, and are
 *    not half clipped) as lung, −1000…−600 HU. With one anchor, the width follows from the spread of the body's tissue (where
 *    its histogram is ≥ ¼ of its peak: about 150 HU, fat to muscle), or the standard width of the
 *    window (1,500 HU lung, 400 soft-tissue, 2,000 bone). The line's ends are the window.
 * 7. The window's kind: lungs clipped and centre ≥ 100 HU → bone; lungs clipped, narrower than
 *    1,000 HU and centred above −150 → soft-tissue; otherwise lung (wide above 2,200 HU). Where the
 *    lungs are clipped and the darkest level reads above air, it holds air and lung alike and is
 *    read as −1000 HU, so that the lungs stay air to the lung mask; the levels just above it that
 *    the lungs' noise holds (until their histogram falls below a tenth of its count per floor
 *    level, at most 25 levels above the floor) rise linearly from there to the window's value.
 * 8. Last refusals: no body in most slices, or neither lungs nor a tissue plateau in it (a CT
 *    slice's fat and muscle are peaks standing 2.5 times above the histogram's mean; a photo or a
 *    gradient has none) — not a CT slice; a body that runs off the top and bottom of the image with air at
 *    its sides (a radiograph's frame), or lungs much brighter than the air around the body (in CT
 *    both are nearly black: lung sits ≤ 25 % of the way from air to tissue; in a projection the
 *    chest wall in front and behind makes them far brighter) — a projection X-ray.
 *
 * 16-bit images are first tested as stored CT numbers (air near 0, soft tissue near 1,024: HU =
 * value − 1024); otherwise they are read as a rendering scaled to 16 bits.
 */
import { LungLensError, type Warning } from '../errors.js';
import type { AssumedWindow, RenderingBasis } from '../volume/volume.js';
import { histogram, otsu, peaks, quantile, smooth, total, type Peak } from './histogram.js';
import { components, filledComponent, isBorder, largest, samplePlane, type Components, type Plane } from './plane.js';

/** Slices of grey levels as decoded (colour already converted to luminance). */
export interface GreyStack {
  width: number;
  height: number;
  /** Grey levels 0…maxValue per slice, row by row. */
  slices: readonly (Uint8Array | Uint16Array)[];
  /** 255 for 8-bit images, 65535 for 16-bit, 2^depth − 1 otherwise. */
  maxValue: number;
  /** Per slice, the share of pixels that are coloured (R, G, B apart by more than 24 of 255). */
  colourShare: readonly number[];
}

export type DecidedWindow = AssumedWindow & { basis: RenderingBasis };

export interface RenderingDecision {
  /** The stack's window (for a sparse set decided per slice: the one of median width). */
  window: DecidedWindow;
  /** For a sparse set (`perSlice`), each slice's own window, in slice order. */
  sliceWindows?: DecidedWindow[];
  warnings: Warning[];
}

export interface RenderingOptions {
  /**
   * Decide each slice on its own (a sparse set, whose slices may come from different exports);
   * a slice that cannot be decided alone takes the stack's window.
   */
  perSlice?: boolean;
}

/** The HU each anchor tissue stands for. */
export const ANCHOR_HU = { air: -1000, lung: -850, fat: -100, 'soft-tissue': 40 } as const;
/** Standard widths (HU) used when only one anchor is found. */
const STANDARD_WIDTH = { lung: 1500, 'soft-tissue': 400, bone: 2000 } as const;
/** The spread of a chest's body tissue (fat to muscle) where its histogram is ≥ a quarter of its peak, for the one-anchor rule. */
const TISSUE_SPREAD_HU = 150;
/** What black stands for below a soft-tissue or bone window. */
const BELOW_WINDOW_HU = -1000;

const ANALYSED_SLICES = 12;
/** Levels of tolerance for the darkest level (JPEG ringing around black). */
const FLOOR_TOLERANCE = 2;

type Anchor = RenderingBasis['anchors'][number];

/** Per-slice findings on the analysis grid, in 8-bit levels. */
interface SliceFindings {
  blank: boolean;
  graphic: boolean;
  /** Inversion vote: true inverted, false normal, null undecided. */
  invertedVote: boolean | null;
}

interface Regions {
  /** The body reaches the top and the bottom edge along ≥ 30 % of the width each, with air at both sides. */
  projectionShaped: boolean;
  /** The darkest level (with the tolerance) and the lowest level counted as tissue. */
  floorLevel: number;
  tissueFrom: number;
  /** The floor covers ≥ 25 % of the slice around a few textured regions, with no body. */
  preMasked: boolean;
  hasBody: boolean;
  lungsClipped: boolean;
  /** Histograms of the air around the body (not the floor), of the lungs (floor included) and of the body's tissue. */
  outside: Float64Array;
  lungs: Float64Array;
  tissue: Float64Array;
  /** Where the lungs are clipped: the histogram of their regions, holes (vessels) included. */
  clippedLungs: Float64Array;
  /** Pixels on this grid. */
  pixels: number;
}

const fmt = (x: number): string => String(Math.round(x));

/**
 * Recognises the stack's rendering and returns the window that maps it to approximate HU, or
 * throws a `LungLensError` (`blank-image`, `not-ct-colour`, `not-ct-graphics`, `not-ct-image`,
 * `not-ct-projection`, `not-ct-values`) with a sentence naming `what`.
 */
export function recogniseRendering(stack: GreyStack, what: string, options: RenderingOptions = {}): RenderingDecision {
  if (stack.width < 32 || stack.height < 32) {
    throw new LungLensError('not-ct-image', `${what} is ${stack.width}×${stack.height} pixels: too small to be a CT slice.`);
  }
  const colour = stack.colourShare.filter((c) => c >= 0.05).length;
  if (colour > stack.slices.length / 2) {
    const share = Math.max(...stack.colourShare);
    throw new LungLensError('not-ct-colour', `${what} is a colour picture (up to ${fmt(share * 100)} % of the pixels coloured): CT is rendered in grey, so this looks like a photo, a chart or a colour map, not a CT slice.`);
  }
  const picks = pickSlices(stack.slices.length);
  const sixteen = stack.maxValue > 255;
  if (sixteen) {
    const ct = ctNumbers(stack, picks);
    if (ct) return ct;
  }
  const plane = (k: number) => to8bit(samplePlane(stack.slices[k]!, stack.width, stack.height), stack.maxValue);
  const planes = picks.map(plane);
  let decision: RenderingDecision;
  try {
    decision = recognise8(planes, stack.maxValue, what);
  } catch (error) {
    if (sixteen && error instanceof LungLensError && error.code !== 'blank-image') {
      throw new LungLensError('not-ct-values', `${what} is a 16-bit image whose values are neither stored CT numbers (air near 0, soft tissue near 1,024) nor a CT rendering: ${error.message}`);
    }
    throw error;
  }
  if (!options.perSlice || stack.slices.length < 2) return decision;
  let alone = 0;
  const sliceWindows = stack.slices.map((_, k) => {
    try {
      return recognise8([plane(k)], stack.maxValue, what).window;
    } catch {
      alone++;
      return decision.window;
    }
  });
  const widths = sliceWindows.map((w) => w.highHu - w.lowHu).sort((a, b) => a - b);
  const middle = widths[widths.length >> 1]!;
  const window = sliceWindows.find((w) => w.highHu - w.lowHu === middle)!;
  const kinds = new Map<string, number>();
  for (const w of sliceWindows) kinds.set(w.basis.rendering, (kinds.get(w.basis.rendering) ?? 0) + 1);
  const warnings = [...decision.warnings, {
    code: 'rendering-per-slice',
    message: `The slices are not one series, so each one's rendering was recognised on its own (${[...kinds.entries()].map(([k, n]) => `${n} ${k}`).join(', ')}${alone ? `; ${alone} could not be read alone and took the stack's window` : ''}).`,
  }];
  return { window, sliceWindows, warnings };
}

/** Up to 12 slice indices spread evenly over the stack (the middle one first). */
function pickSlices(n: number): number[] {
  if (n <= ANALYSED_SLICES) return Array.from({ length: n }, (_, k) => k);
  return Array.from({ length: ANALYSED_SLICES }, (_, i) => Math.round(((i + 0.5) / ANALYSED_SLICES) * (n - 1)));
}

function to8bit(p: Plane<Uint8Array | Uint16Array>, maxValue: number): Plane<Uint8Array> {
  if (maxValue === 255 && p.data instanceof Uint8Array) return p as Plane<Uint8Array>;
  const out = new Uint8Array(p.data.length);
  for (let i = 0; i < out.length; i++) out[i] = Math.round((p.data[i]! * 255) / maxValue);
  return { ...p, data: out };
}

function recognise8(planes: Plane<Uint8Array>[], maxValue: number, what: string): RenderingDecision {
  const warnings: Warning[] = [];
  const findings = planes.map(sliceFindings);
  const usable = planes.filter((_, i) => !findings[i]!.blank);
  if (usable.length === 0) {
    throw new LungLensError('blank-image', `${what} ${planes.length > 1 ? 'are' : 'is'} blank: a single grey level fills ${planes.length > 1 ? 'every image' : 'the image'}.`);
  }
  if (usable.length < planes.length) {
    warnings.push({ code: 'blank-slices', message: `${planes.length - usable.length} of the ${planes.length} slices examined are blank (a single grey level).` });
  }
  const graphic = findings.filter((f) => !f.blank && f.graphic).length;
  if (graphic > usable.length / 2) {
    throw new LungLensError('not-ct-graphics', `${what} holds only a handful of grey levels, like a drawing, a chart or text: a CT rendering has hundreds of shades.`);
  }
  const votes = findings.filter((f) => !f.blank).map((f) => f.invertedVote);
  const inverted = votes.filter((v) => v === true).length > votes.filter((v) => v === false).length;
  const oriented = inverted ? usable.map(invert) : usable;

  const clipped = oriented.filter((p) => sliceFloor(p).floorEnclosed >= 0.015).length > oriented.length / 2;
  const regions = oriented.map((p) => sliceRegions(p, clipped));
  const preMasked = regions.filter((r) => r.preMasked).length > regions.length / 2;
  const pooled = pool(regions.filter((r) => r.preMasked === preMasked));
  const decision = preMasked ? preMaskedWindow(pooled, inverted) : fitWindow(pooled, regions, inverted, what);
  if (inverted) warnings.push({ code: 'inverted-rendering', message: 'The images show air bright and tissue dark (a MONOCHROME1-like rendering); their grey levels were inverted.' });
  return { window: decision, warnings };
}

function invert(p: Plane<Uint8Array>): Plane<Uint8Array> {
  const out = new Uint8Array(p.data.length);
  for (let i = 0; i < out.length; i++) out[i] = 255 - p.data[i]!;
  return { ...p, data: out };
}

/**
 * Rule 8's shape test: the body (filled) covers ≥ 30 % of the top row and of the bottom row, and
 * the left and right columns are mostly (≥ 50 %) not body — a chest radiograph's frame.
 */
function projectionShape(body: Uint8Array, bright: Uint8Array, width: number, height: number): boolean {
  let top = 0;
  let bottom = 0;
  for (let x = 0; x < width; x++) {
    top += body[x]!;
    bottom += body[(height - 1) * width + x]!;
  }
  let left = 0;
  let right = 0;
  for (let y = 0; y < height; y++) {
    left += body[y * width]! | bright[y * width]!;
    right += body[y * width + width - 1]! | bright[y * width + width - 1]!;
  }
  return top >= 0.3 * width && bottom >= 0.3 * width && left <= 0.5 * height && right <= 0.5 * height;
}

/** The mask grown by `r` pixels (a square). */
function dilate(mask: Uint8Array, width: number, height: number, r: number): Uint8Array {
  const rows = new Uint8Array(mask.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (!mask[y * width + x]) continue;
      for (let d = Math.max(0, x - r); d <= Math.min(width - 1, x + r); d++) rows[y * width + d] = 1;
    }
  }
  const out = new Uint8Array(mask.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (!rows[y * width + x]) continue;
      for (let d = Math.max(0, y - r); d <= Math.min(height - 1, y + r); d++) out[d * width + x] = 1;
    }
  }
  return out;
}

function sliceFindings(p: Plane<Uint8Array>): SliceFindings {
  const h = histogram(p.data, 256);
  const n = p.data.length;
  const blank = quantile(h, 0.995) - quantile(h, 0.005) < 3;
  const counts = Array.from(h).sort((a, b) => b - a);
  let held = 0;
  let levels = 0;
  while (held < 0.99 * n) held += counts[levels++]!;
  return { blank, graphic: levels <= 12, invertedVote: blank ? null : inversionVote(p, h) };
}

/** See rule 2 in the header. */
function inversionVote(p: Plane<Uint8Array>, h: Float64Array): boolean | null {
  const { width, height, data } = p;
  const t = otsu(h);
  const ring = Math.max(1, Math.round(0.02 * Math.min(width, height)));
  let border = 0;
  let borderDark = 0;
  for (let i = 0; i < data.length; i++) {
    if (!isBorder(i, width, height, ring)) continue;
    border++;
    if (data[i]! < t) borderDark++;
  }
  const darkShare = borderDark / border;
  if (darkShare >= 0.6) return false;
  if (darkShare > 0.4) return null;
  const dark = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) dark[i] = data[i]! < t ? 1 : 0;
  const c = components(dark, width, height);
  const enclosed = largest(c, (i) => !c.touchesBorder[i] && c.area[i]! >= 0.01 * data.length);
  if (enclosed < 0) return null;
  const inside = filledComponent(c, enclosed, width, height);
  const bright = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) bright[i] = inside[i] && c.label[i] !== enclosed ? 1 : 0;
  const b = components(bright, width, height);
  for (let i = 0; i < b.count; i++) if (b.area[i]! >= 0.015 * data.length) return true;
  return false;
}

/** The darkest level of a slice (with the tolerance) and whether its enclosed black regions are lungs clipped by the window. */
function sliceFloor(p: Plane<Uint8Array>): { floorLevel: number; floor: Uint8Array; floorOutside: number; floorEnclosed: number; enclosed: number[]; components: Components } {
  const { width, height, data } = p;
  const n = data.length;
  const floorLevel = quantile(histogram(data, 256), 0) + FLOOR_TOLERANCE;
  const floor = new Uint8Array(n);
  for (let i = 0; i < n; i++) floor[i] = data[i]! <= floorLevel ? 1 : 0;
  const f = components(floor, width, height);
  let floorOutside = 0;
  let floorEnclosed = 0;
  const enclosed: number[] = [];
  for (let i = 0; i < f.count; i++) {
    if (f.touchesBorder[i]) floorOutside += f.area[i]!;
    else if (f.area[i]! >= 0.002 * n) {
      floorEnclosed += f.area[i]!;
      enclosed.push(i);
    }
  }
  return { floorLevel, floor, floorOutside: floorOutside / n, floorEnclosed: floorEnclosed / n, enclosed, components: f };
}

/**
 * Rules 3 and 4 of the header, on one oriented slice. `lungsClipped` is decided for the whole
 * stack (slices without lungs would otherwise split fat from muscle as if they were air and tissue).
 */
function sliceRegions(p: Plane<Uint8Array>, lungsClipped: boolean): Regions {
  const { width, height, data } = p;
  const n = data.length;
  const { floorLevel, floor, floorOutside, floorEnclosed, enclosed, components: f } = sliceFloor(p);
  const t = lungsClipped ? floorLevel + 1 : otsu(histogram(data, 256), floorLevel + 1, 256);
  const bright = new Uint8Array(n);
  for (let i = 0; i < n; i++) bright[i] = data[i]! >= t ? 1 : 0;
  const b = components(bright, width, height);
  const body = largest(b);
  const bodyArea = body >= 0 ? b.area[body]! : 0;
  const empty = { projectionShaped: false, floorLevel, tissueFrom: t, outside: new Float64Array(256), lungs: new Float64Array(256), tissue: new Float64Array(256), clippedLungs: new Float64Array(256), pixels: n };

  const preMasked = floorOutside >= 0.25 && bodyArea < 0.06 * n && 1 - floorOutside - floorEnclosed >= 0.03;
  if (preMasked) {
    const lungs = histogram(data, 256, (i) => !floor[i]);
    return { ...empty, preMasked, hasBody: false, lungsClipped: false, lungs };
  }
  if (bodyArea < 0.03 * n) return { ...empty, preMasked: false, hasBody: false, lungsClipped };
  const inside = filledComponent(b, body, width, height);
  const projectionShaped = projectionShape(inside, bright, width, height);
  // The floor is padding or clipped air: either way it says nothing of where air sits.
  const outside = histogram(data, 256, (i) => !inside[i] && !bright[i] && !floor[i]);
  const lungs = histogram(data, 256, (i) => inside[i] === 1 && !bright[i]);
  const tissue = histogram(data, 256, (i) => inside[i] === 1 && bright[i] === 1);
  // Lungs clipped at the floor: every pixel of their regions (the floor's noise and vessels too):
  // the enclosed floor regions, holes filled, widened by two pixels to take in the speckle around them.
  const clippedLungs = new Float64Array(256);
  if (lungsClipped) {
    const region = new Uint8Array(n);
    for (const c of enclosed) {
      const filled = filledComponent(f, c, width, height);
      for (let i = 0; i < n; i++) region[i] ||= filled[i]!;
    }
    const wide = dilate(region, width, height, 2);
    for (let i = 0; i < n; i++) if (wide[i] && inside[i]) clippedLungs[data[i]!]!++;
  }
  return { ...empty, projectionShaped, preMasked: false, hasBody: true, lungsClipped, outside, lungs, tissue, clippedLungs };
}

interface Pooled {
  /** Slices whose body runs off the top and bottom with air at both sides (a projection's shape). */
  projectionShaped: number;
  floorLevel: number;
  tissueFrom: number;
  slices: number;
  withBody: number;
  lungsClipped: number;
  outside: Float64Array;
  lungs: Float64Array;
  tissue: Float64Array;
  clippedLungs: Float64Array;
  pixels: number;
}

function pool(regions: Regions[]): Pooled {
  const out: Pooled = { projectionShaped: regions.filter((r) => r.projectionShaped).length, floorLevel: Math.max(0, ...regions.map((r) => r.floorLevel)), tissueFrom: Math.max(0, ...regions.map((r) => r.tissueFrom)), slices: regions.length, withBody: 0, lungsClipped: 0, outside: new Float64Array(256), lungs: new Float64Array(256), tissue: new Float64Array(256), clippedLungs: new Float64Array(256), pixels: 0 };
  for (const r of regions) {
    if (r.hasBody) out.withBody++;
    if (r.lungsClipped) out.lungsClipped++;
    out.pixels += r.pixels;
    for (let g = 0; g < 256; g++) {
      out.outside[g]! += r.outside[g]!;
      out.lungs[g]! += r.lungs[g]!;
      out.tissue[g]! += r.tissue[g]!;
      out.clippedLungs[g]! += r.clippedLungs[g]!;
    }
  }
  return out;
}

function windowFromLine(a: number, b: number): { lowHu: number; highHu: number } {
  return { lowHu: Math.round(a), highHu: Math.round(a + 255 * b) };
}

function line(p: Anchor, q: Anchor): { a: number; b: number } {
  const b = (q.hu - p.hu) / (q.grey - p.grey);
  return { a: p.hu - b * p.grey, b };
}

function anchor(tissue: Anchor['tissue'], grey: number): Anchor {
  return { tissue, grey: Math.round(grey * 10) / 10, hu: ANCHOR_HU[tissue] };
}

function preMaskedWindow(pooled: Pooled, inverted: boolean): DecidedWindow {
  const g = quantile(pooled.lungs, 0.5);
  const lung = anchor('lung', g);
  const b = STANDARD_WIDTH.lung / 255;
  const { lowHu, highHu } = windowFromLine(lung.hu - b * lung.grey, b);
  const rule = `a pre-masked export (black outside the lungs): the lungs' median grey ${fmt(g)} read as parenchyma at −850 HU in a 1,500 HU-wide lung window`;
  return {
    lowHu, highHu,
    note: `Grey levels mapped to ${lowHu} … ${highHu} HU: ${rule}.`,
    basis: { rendering: 'pre-masked', inverted, anchors: [lung], clippedDark: 0, clippedBright: 0, rule },
  };
}

/** Rules 5–8 of the header. */
function fitWindow(pooled: Pooled, regions: Regions[], inverted: boolean, what: string): DecidedWindow {
  if (pooled.withBody < Math.max(1, regions.length / 2)) {
    throw new LungLensError('not-ct-image', `${what} shows no body outline — no large bright region of tissue against darker air — in most of the slices examined, so it does not look like a CT slice.`);
  }
  const lungsClipped = pooled.lungsClipped > pooled.withBody / 2;
  const tissueTotal = total(pooled.tissue);
  const clippedBright = tissueTotal > 0 ? total(pooled.tissue, 252, 256) / tissueTotal : 0;
  const lungTotal = total(pooled.lungs);
  const clippedDark = lungTotal > 0 ? total(pooled.lungs, 0, pooled.floorLevel + 1) / lungTotal : 0;

  const air = total(pooled.outside) >= 0.005 * pooled.pixels ? quantile(pooled.outside, 0.5) : null;
  const lungsVisible = !lungsClipped && lungTotal >= 0.01 * pooled.pixels;
  const lung = lungsVisible ? quantile(pooled.lungs, 0.5) : null;
  const { fat, soft, plateau } = tissuePeaks(pooled.tissue, pooled.tissueFrom + (lungsClipped ? 6 : 3), clippedBright, air);
  if (pooled.projectionShaped > pooled.withBody / 2) {
    throw new LungLensError('not-ct-projection', `${what} looks like a projection X-ray, not a CT slice: the body runs off the top and the bottom of the image, with air only at its sides, where an axial CT slice shows the body whole, or cropped on every side.`);
  }
  if ((fat === null && soft === null) || (!plateau && !lungsVisible && !lungsClipped)) {
    throw new LungLensError('not-ct-image', `${what} shows neither lungs nor soft tissue — in a CT slice fat and muscle are plateaus of one grey level, and the lungs dark regions inside the body — so it does not look like a CT slice.`);
  }

  const anchors: Anchor[] = [];
  if (air !== null) anchors.push(anchor('air', air));
  if (lung !== null) anchors.push(anchor('lung', lung));
  if (fat !== null) anchors.push(anchor('fat', fat));
  if (soft !== null) anchors.push(anchor('soft-tissue', soft));
  const find = (t: Anchor['tissue']) => anchors.find((x) => x.tissue === t);

  // A line is plausible when the lungs it reads (where they show, not half clipped) come out as
  // lung, −1000…−600 HU.
  const plausible = (f: { a: number; b: number }) => lung === null || lung <= pooled.floorLevel + 12 || Math.abs(f.a + f.b * lung + 800) <= 200;
  let fit: { a: number; b: number } | null = null;
  let rule = '';
  let used: Anchor[] = [];
  const pairs: [Anchor['tissue'], Anchor['tissue']][] = [['air', 'soft-tissue'], ['air', 'fat'], ['fat', 'soft-tissue'], ['lung', 'soft-tissue'], ['lung', 'fat']];
  for (const [x, y] of pairs) {
    const p = find(x);
    const q = find(y);
    if (!p || !q || q.grey - p.grey < 4) continue;
    const f = line(p, q);
    if (x !== 'lung' && !plausible(f)) continue;
    fit = f;
    used = [p, q];
    rule = `${describe(p)} and ${describe(q)}`;
    break;
  }
  if (!fit) {
    const one = find('air') ?? find('lung') ?? find('soft-tissue') ?? find('fat');
    // One anchor: the width from the spread of the body's tissue (its main mass, where the
    // histogram is at least a quarter of its peak, spans about 150 HU, fat to muscle), else the
    // standard width of the window the clipping implies.
    const spread = one ? quarterWidth(smooth(pooled.tissue, 1.5), one.grey) : 0;
    const kind = lungsClipped ? (one && one.grey >= 100 ? 'soft-tissue' : 'bone') : 'lung';
    const width = spread >= 8 ? Math.min(2500, Math.max(300, Math.round((TISSUE_SPREAD_HU * 255) / spread / 50) * 50)) : STANDARD_WIDTH[kind];
    if (one) {
      const b = width / 255;
      fit = { a: one.hu - b * one.grey, b };
      used = [one];
      rule = spread >= 8
        ? `${describe(one)}, in a window ${width.toLocaleString('en-US')} HU wide (the body's tissue spreads over ${fmt(spread)} grey levels around it, about ${TISSUE_SPREAD_HU} HU from fat to muscle)`
        : `${describe(one)}, in a ${width.toLocaleString('en-US')} HU-wide ${kind} window (the only tissue the histogram shows clearly)`;
    }
  }
  if (!fit || !(fit.b > 0) || 255 * fit.b < 150 || 255 * fit.b > 6000) {
    throw new LungLensError('not-ct-image', `${what} shows no air, fat or soft tissue at grey levels that fit a CT display window, so it does not look like a CT slice.`);
  }
  const { lowHu, highHu } = windowFromLine(fit.a, fit.b);
  const width = highHu - lowHu;
  const centre = Math.round((lowHu + highHu) / 2);
  // Rule 8: in a projection image the lungs are far brighter than the air around the body.
  const tissueG = soft ?? fat ?? quantile(pooled.tissue, 0.5);
  if (air !== null && lung !== null && tissueG > air) {
    const share = (lung - air) / (tissueG - air);
    if (share > 0.35) {
      throw new LungLensError('not-ct-projection', `${what} looks like a projection X-ray, not a CT slice: its lungs (grey ${fmt(lung)}) lie ${fmt(share * 100)} % of the way from the air around the body (grey ${fmt(air)}) to tissue (grey ${fmt(tissueG)}), where in CT lung is nearly as dark as air.`);
    }
  }
  const rendering: RenderingBasis['rendering'] = centre >= 100 && width >= 1000 ? 'bone' : lungsClipped && width < 1000 && centre > -150 ? 'soft-tissue' : width > 2200 ? 'wide' : 'lung';
  // Black below the window: where the floor reads above air, it is read as air (rule 7).
  const floorHu = fit.a + fit.b * pooled.floorLevel;
  const lungTop = noiseTop(pooled.clippedLungs, pooled.floorLevel);
  const below = lungsClipped && floorHu > BELOW_WINDOW_HU ? { belowWindow: { hu: BELOW_WINDOW_HU, fromGrey: pooled.floorLevel, toGrey: lungTop } } : {};
  const kindText = { 'soft-tissue': 'a soft-tissue (mediastinal) window', bone: 'a bone window', wide: 'a wide window', lung: 'a lung window' }[rendering as 'lung'];
  let note = `Grey levels read as ${kindText} (centre ${centre}, width ${width} HU: ${lowHu} … ${highHu} HU), placed by ${rule}.`;
  if (lungsClipped) note += ' The lungs sit at the darkest level (below the window).';
  if (below.belowWindow) note += ` That darkest level holds air and lung alike: it was read as air (−1000 HU), rising to the window's value by grey ${fmt(lungTop)} through the lungs' noise.`;
  if (inverted) note += ' The rendering was inverted (air bright) and was turned back first.';
  return {
    lowHu, highHu, note, ...below,
    basis: { rendering, inverted, anchors: used, clippedDark: round3(clippedDark), clippedBright: round3(clippedBright), rule },
  };
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;

/**
 * Where the clipped lungs' noise ends: the first level above the floor at which their regions'
 * histogram falls below a tenth of its mean count per floor level, at most 25 levels up.
 */
function noiseTop(h: Float64Array, floorLevel: number): number {
  const floorPerLevel = total(h, 0, floorLevel + 1) / (FLOOR_TOLERANCE + 1);
  if (!(floorPerLevel > 0)) return floorLevel;
  let g = floorLevel + 1;
  while (g < Math.min(255, floorLevel + 25) && h[g]! >= 0.1 * floorPerLevel) g++;
  return g;
}

/** Levels around `level` (a peak of the tissue histogram) where it stays at or above a quarter of its height; 0 when `level` is no tissue peak. */
function quarterWidth(h: Float64Array, level: number): number {
  const at = Math.round(level);
  const height = h[at] ?? 0;
  if (height <= 0) return 0;
  let lo = at;
  let hi = at;
  while (lo > 1 && h[lo - 1]! >= height / 4) lo--;
  while (hi < 248 && h[hi + 1]! >= height / 4) hi++;
  return hi - lo + 1;
}

function describe(a: Anchor): string {
  const name = { air: 'the air around the body', lung: 'the lung parenchyma', fat: 'fat', 'soft-tissue': 'soft tissue' }[a.tissue];
  return `${name} at grey ${fmt(a.grey)} (${a.hu} HU)`;
}

/**
 * Rule 5: fat and soft-tissue peaks of the body's tissue histogram, above `from` (the dark class's
 * tail falls there) and below 249 (the clipped top's shoulder).
 */
function tissuePeaks(tissue: Float64Array, from: number, clippedBright: number, air: number | null): { fat: number | null; soft: number | null; plateau: boolean } {
  // Not cut at `from` or at the top: a cut edge would make a peak where the histogram only falls.
  const s = smooth(tissue, 1.5);
  // A tissue is a plateau of one density: the highest peak stands at least 2.5 times above the histogram's mean height.
  const levels = Array.from(s.subarray(from, 249)).filter((v) => v > 0).length;
  const mean = levels > 0 ? total(tissue, from, 249) / levels : 0;
  const found = peaks(s, from, 249, 0.12, 0.85).slice(0, 4);
  if (found.length === 0) return { fat: null, soft: null, plateau: false };
  const top = found[0]!;
  const plateau = top.height >= 2.5 * mean;
  return { ...pickFatAndSoft(found, top, clippedBright, air), plateau };
}

function pickFatAndSoft(found: Peak[], top: Peak, clippedBright: number, air: number | null): { fat: number | null; soft: number | null } {
  if (clippedBright >= 0.25) {
    const brightest = [...found].sort((a, b) => b.level - a.level)[0]!;
    return { fat: brightest.level, soft: null };
  }
  if (air !== null) {
    const span = top.level - air;
    const gapOk = (g: number) => span > 0 && g >= 0.07 * span && g <= 0.25 * span;
    const brighter = found.find((p) => p !== top && gapOk(p.level - top.level) && p.height >= 0.25 * top.height);
    if (brighter) return { fat: top.level, soft: brighter.level };
    const darker = found.find((p: Peak) => p !== top && gapOk(top.level - p.level) && p.height >= 0.15 * top.height);
    return { fat: darker ? darker.level : null, soft: top.level };
  }
  const second = found[1];
  if (second && second.height >= 0.15 * top.height && Math.abs(second.level - top.level) >= 6) {
    return { fat: Math.min(top.level, second.level), soft: Math.max(top.level, second.level) };
  }
  return { fat: null, soft: top.level };
}

/** 16-bit values that are stored CT numbers (HU + 1024): air near 0, soft tissue near 1,024. */
function ctNumbers(stack: GreyStack, picks: number[]): RenderingDecision | null {
  let n = 0;
  let air = 0;
  let tissue = 0;
  let high = 0;
  for (const k of picks) {
    const p = samplePlane(stack.slices[k]!, stack.width, stack.height);
    for (let i = 0; i < p.data.length; i++) {
      const v = p.data[i]!;
      n++;
      if (v <= 200) air++;
      else if (v >= 874 && v <= 1224) tissue++;
      if (v > 5119) high++;
    }
  }
  if (air < 0.05 * n || tissue < 0.1 * n || high > 0.001 * n) return null;
  const rule = 'stored CT numbers: air near 0 and soft tissue near 1,024, read as HU = value − 1024';
  return {
    window: {
      lowHu: -1024,
      highHu: stack.maxValue - 1024,
      note: `16-bit values read as ${rule}.`,
      basis: { rendering: 'ct-numbers', inverted: false, anchors: [], clippedDark: 0, clippedBright: 0, rule },
    },
    warnings: [],
  };
}

/**
 * Grey → approximate HU through the decided window, rounded and clamped to Int16, into `out`.
 * Inverted renderings are turned back first; below the window (`belowWindow`) the darkest levels
 * are air, rising linearly to the window's value at its `toGrey`.
 */
export function greyToHu(grey: Uint8Array | Uint16Array, maxValue: number, window: AssumedWindow, out: Int16Array): void {
  const inverted = window.basis?.inverted ?? false;
  const scale = (window.highHu - window.lowHu) / maxValue;
  const below = window.belowWindow;
  const from = below ? (below.fromGrey / 255) * maxValue : -1;
  const to = below ? (below.toGrey / 255) * maxValue : -1;
  const atTo = window.lowHu + to * scale;
  for (let i = 0; i < grey.length; i++) {
    const g = inverted ? maxValue - grey[i]! : grey[i]!;
    let v: number;
    if (below && g <= from) v = below.hu;
    else if (below && g < to) v = Math.round(below.hu + ((g - from) / (to - from)) * (atTo - below.hu));
    else v = Math.round(window.lowHu + g * scale);
    out[i] = v < -32768 ? -32768 : v > 32767 ? 32767 : v;
  }
}
