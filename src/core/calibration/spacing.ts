/**
 * Voxel spacing for slices that carry none (image stacks), from anatomy, with its basis in words.
 *
 * In-plane (square pixels): the widest part of the chest — the slices whose lung area is at least
 * 60 % of the largest — measured two ways against an adult's size: the lungs' outer width
 * (`ADULT_LUNG_WIDTH_MM`) and the body's width where the body does not reach the image's sides
 * (`ADULT_BODY_WIDTH_MM`). Where both exist and agree within 25 % their geometric mean is taken;
 * where they disagree, the lungs (arms at the sides and fat change the body's width more than the
 * rib cage). A reconstruction circle smaller than the image is the scanner's 500 mm field of
 * view and wins where the anatomy agrees with it within 35 %. With no anatomy at all, the image is
 * taken to span 360 mm (a typical chest field of view).
 *
 * Along the slices: where the stack is contiguous and covers the lungs from end to end (the run
 * of slices around the largest lung section whose lung area stays above 5 % of it ends before
 * the stack does, on both sides), the slices between the lungs' first and last are taken to span
 * an adult lung's height (`ADULT_LUNG_HEIGHT_MM`, 225 mm at that 5 %); otherwise 5 mm is assumed,
 * and said. (How much
 * neighbouring slices differ grows with the distance between them — on phantoms 0.0035–0.006 of
 * contiguity.ts's dissimilarity per mm — but on real series it misjudged the spacing by a factor
 * of 2 to 8, worse than the fixed 5 mm, and is not used.)
 *
 * These are priors for an adult chest: a child, or a patient far from average, gets a
 * proportionally wrong spacing, and distances and volumes from it are estimates (labelled so).
 */
import { sliceAnatomy, type HuSlices, type SliceAnatomy } from './anatomy.js';

/** Body width at the widest part of the lungs, arms excluded (a reference adult, as the phantoms'). */
export const ADULT_BODY_WIDTH_MM = 330;
/** Both lungs, outer edge to outer edge, at their widest. */
export const ADULT_LUNG_WIDTH_MM = 255;
/**
 * Apex to the lung bases, measured as the rule measures it: between the slices where the lungs'
 * section falls below 5 % of its largest (on 24 phantoms that extent is 0.92–0.95 of the full
 * height, the lowest tips of the posterior recesses being left out).
 */
export const ADULT_LUNG_HEIGHT_MM = 225;
/** The scan field of view a visible reconstruction circle stands for. */
export const SCAN_FIELD_MM = 500;
const FALLBACK_FIELD_MM = 360;
const FALLBACK_SLICE_MM = 5;

export interface SpacingEstimate {
  /** [x, y, z] in mm. */
  spacingMm: [number, number, number];
  /** One sentence per axis group: in-plane, then along the slices. */
  basis: string;
  /** The measures it rests on (full-image pixels), for tests and reports. */
  cues: { lungWidthPx?: number; bodyWidthPx?: number; circlePx?: number; lungSlices?: number };
}

const r2 = (x: number): number => Math.round(x * 100) / 100;
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** Lung area of every slice (full-image pixels), and the anatomy of up to `sample` slices spread over the stack. */
export function measureStack(hu: HuSlices, sample = 32): { anatomy: SliceAnatomy[]; lungArea: number[] } {
  const anatomy: SliceAnatomy[] = [];
  const lungArea: number[] = [];
  const every = Math.max(1, Math.floor(hu.count / sample));
  for (let k = 0; k < hu.count; k++) {
    const a = sliceAnatomy(hu.slice(k), hu.width, hu.height);
    lungArea.push(a.lungAreaPx);
    if (k % every === 0) anatomy.push(a);
  }
  return { anatomy, lungArea };
}

export function estimateSpacing(hu: HuSlices, contiguous: boolean): SpacingEstimate {
  const { anatomy, lungArea } = measureStack(hu);
  const inPlane = estimatePixelSize(anatomy, Math.max(hu.width, hu.height));
  const along = estimateSliceSpacing(lungArea, contiguous);
  return {
    spacingMm: [inPlane.mm, inPlane.mm, along.mm],
    basis: `${inPlane.basis} ${along.basis}`,
    cues: { ...inPlane.cues, ...(along.lungSlices ? { lungSlices: along.lungSlices } : {}) },
  };
}

export function estimatePixelSize(anatomy: SliceAnatomy[], side: number): { mm: number; basis: string; cues: SpacingEstimate['cues'] } {
  const maxLung = Math.max(0, ...anatomy.map((a) => a.lungAreaPx));
  const widest = anatomy.filter((a) => maxLung > 0 && a.lungAreaPx >= 0.6 * maxLung);
  const lungPx = widest.length ? median(widest.map((a) => a.lungWidthPx)) : 0;
  const bodies = (widest.length ? widest : anatomy).filter((a) => a.bodyWidthPx > 0 && !a.bodyAtSides);
  const bodyPx = bodies.length ? median(bodies.map((a) => a.bodyWidthPx)) : 0;
  const circles = anatomy.map((a) => a.circlePx).filter((d) => d > 0);
  const circlePx = circles.length > anatomy.length / 2 ? median(circles) : 0;

  const fromLungs = lungPx > 0 ? ADULT_LUNG_WIDTH_MM / lungPx : 0;
  const fromBody = bodyPx > 0 ? ADULT_BODY_WIDTH_MM / bodyPx : 0;
  const cues: SpacingEstimate['cues'] = {};
  if (lungPx) cues.lungWidthPx = Math.round(lungPx);
  if (bodyPx) cues.bodyWidthPx = Math.round(bodyPx);
  if (circlePx) cues.circlePx = Math.round(circlePx);
  const lungText = `the lungs' width (${Math.round(lungPx)} px ≈ ${ADULT_LUNG_WIDTH_MM} mm)`;
  const bodyText = `the body's width (${Math.round(bodyPx)} px ≈ ${ADULT_BODY_WIDTH_MM} mm)`;

  let mm: number;
  let from: string;
  if (fromLungs && fromBody) {
    const ratio = fromLungs / fromBody;
    if (ratio > 0.8 && ratio < 1.25) {
      mm = Math.sqrt(fromLungs * fromBody);
      from = `${lungText} and ${bodyText} of an adult`;
    } else {
      mm = fromLungs;
      from = `${lungText} of an adult (the body's width, ${Math.round(bodyPx)} px, disagrees and was not used)`;
    }
  } else if (fromLungs) {
    mm = fromLungs;
    from = `${lungText} of an adult`;
  } else if (fromBody) {
    mm = fromBody;
    from = `${bodyText} of an adult (no lungs were measured)`;
  } else {
    mm = FALLBACK_FIELD_MM / side;
    from = `no anatomy to measure: the image was taken to span ${FALLBACK_FIELD_MM} mm`;
  }
  if (circlePx > 0 && circlePx < 0.97 * side) {
    const fromCircle = SCAN_FIELD_MM / circlePx;
    if (Math.abs(fromCircle / mm - 1) <= 0.35) {
      mm = fromCircle;
      from = `the reconstruction circle (${Math.round(circlePx)} px ≈ the scanner's ${SCAN_FIELD_MM} mm field of view), which the anatomy confirms`;
    }
  }
  return { mm: r2(mm) || 0.01, basis: `Pixel size ${r2(mm)} mm estimated from ${from}.`, cues };
}

export function estimateSliceSpacing(lungArea: number[], contiguous: boolean): { mm: number; basis: string; lungSlices?: number } {
  const n = lungArea.length;
  const max = Math.max(0, ...lungArea);
  // The lungs: the run of slices around the largest section whose area stays above 5 % of it
  // (gas in the stomach and bowel below them, a few % of it, is left out).
  const peak = lungArea.indexOf(max);
  let first = peak;
  let last = peak;
  while (first > 0 && lungArea[first - 1]! >= 0.05 * max) first--;
  while (last < n - 1 && lungArea[last + 1]! >= 0.05 * max) last++;
  if (contiguous && n >= 8 && max > 0 && first > 0 && last < n - 1 && last - first >= 4) {
    const mm = Math.min(15, Math.max(0.3, ADULT_LUNG_HEIGHT_MM / (last - first)));
    return {
      mm: r2(mm),
      lungSlices: last - first + 1,
      basis: `Slice spacing ${r2(mm)} mm: the lungs, seen whole in slices ${first + 1}–${last + 1}, were taken to be an adult's ${ADULT_LUNG_HEIGHT_MM} mm tall.`,
    };
  }
  const why = !contiguous
    ? 'the slices are not contiguous'
    : n < 8 ? `only ${n} slice${n === 1 ? '' : 's'}` : 'the lungs are not covered from end to end';
  return { mm: FALLBACK_SLICE_MM, basis: `Slice spacing ${FALLBACK_SLICE_MM} mm assumed (${why}), so lengths along the slices and volumes are rough.` };
}
