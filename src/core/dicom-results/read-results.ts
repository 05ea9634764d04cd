/**
 * Reading result objects back: LungLens's own TID 1500 report (verdict, probability, top slices,
 * the reviewer's sign-off where there is one) and any BINARY or FRACTIONAL Segmentation of the
 * lungs, placed on a series' grid so it shows as the mask overlay.
 */
import type { DataSet, Element } from 'dicom-parser';
import { parseDicomBytes } from '../dicom/parse.js';
import { LungLensError } from '../errors.js';
import { cross, dot, type Vec3 } from '../geometry/vec3.js';
import { CODES, type Code } from './codes.js';
import { REVIEW_GROUP_TRACKING_ID, REVIEW_SLICE_TRACKING_PREFIX, SLICE_GROUP_TRACKING_PREFIX, STUDY_GROUP_TRACKING_ID } from './measurement-report.js';
import { SOP_CLASS, type ResultGeometry } from './types.js';

type Verdict = 'covid' | 'non-covid' | 'indeterminate';

export interface ReadReport {
  sopInstanceUid: string;
  studyInstanceUid: string;
  verificationFlag: 'UNVERIFIED' | 'VERIFIED';
  model: { name: string; version: string };
  verdict: Verdict;
  probability: number;
  threshold: number | null;
  /** Highest attention first: the image each top slice refers to and its weight. */
  topSlices: { sopInstanceUid: string; frameNumber: number | null; attention: number; positive: boolean | null }[];
  reasons: string[];
  /** Present in a VERIFIED report. */
  review: { reviewer: string; verdict: Verdict; marks: { sopInstanceUid: string; mark: 'lesion' | 'clear' }[]; note: string } | null;
}

const text = (ds: DataSet, tag: string) => (ds.string(tag) ?? '').replace(/\0/g, '').trim();
const items = (ds: DataSet, tag: string): DataSet[] => (ds.elements[tag]?.items ?? []).map((i: Element) => i.dataSet!).filter(Boolean);

function codeOf(ds: DataSet | undefined): Code | null {
  if (!ds) return null;
  return { value: text(ds, 'x00080100') || text(ds, 'x00080119'), scheme: text(ds, 'x00080102'), meaning: text(ds, 'x00080104') };
}
const same = (a: Code | null, b: Code) => a !== null && a.value === b.value && a.scheme === b.scheme;

interface Item {
  type: string;
  name: Code | null;
  ds: DataSet;
  children: Item[];
}

function contentTree(ds: DataSet): Item[] {
  return items(ds, 'x0040a730').map((c) => ({
    type: text(c, 'x0040a040'),
    name: codeOf(items(c, 'x0040a043')[0]),
    ds: c,
    children: contentTree(c),
  }));
}

const child = (parent: Item[], name: Code, type?: string) => parent.find((i) => same(i.name, name) && (!type || i.type === type));
const codeValue = (i: Item | undefined) => (i ? codeOf(items(i.ds, 'x0040a168')[0]) : null);
const numValue = (i: Item | undefined) => {
  const mv = i ? items(i.ds, 'x0040a300')[0] : undefined;
  const v = mv ? Number(text(mv, 'x0040a30a')) : NaN;
  return Number.isFinite(v) ? v : null;
};
const textValue = (i: Item | undefined) => (i ? (i.ds.string('x0040a160') ?? '').trim() : '');

function verdictOf(code: Code | null): Verdict | null {
  if (same(code, CODES.present)) return 'covid';
  if (same(code, CODES.absent)) return 'non-covid';
  if (same(code, CODES.indeterminate)) return 'indeterminate';
  return null;
}

function imageRef(i: Item | undefined): { sopInstanceUid: string; frameNumber: number | null } | null {
  const ref = i ? items(i.ds, 'x00081199')[0] : undefined;
  if (!ref) return null;
  const frame = Number(text(ref, 'x00081160').split('\\')[0]);
  return { sopInstanceUid: text(ref, 'x00081155'), frameNumber: Number.isInteger(frame) && frame > 0 ? frame : null };
}

function notOurs(why: string): never {
  throw new LungLensError('not-a-lunglens-object', `This is not a LungLens COVID-19 report: ${why}.`);
}

/** Reads a LungLens report (either verification state); anything else is `not-a-lunglens-object`. */
export function readReport(bytes: Buffer): ReadReport {
  const ds = parseDicomBytes(bytes);
  if (text(ds, 'x00080016') !== SOP_CLASS.comprehensive3dSr) notOurs('not a Comprehensive 3D SR');
  if (!same(codeOf(items(ds, 'x0040a043')[0]), CODES.imagingMeasurementReport)) notOurs('its title is not "Imaging Measurement Report"');
  const root = contentTree(ds);
  const measurements = child(root, CODES.imagingMeasurements, 'CONTAINER')?.children ?? [];
  const groups = measurements.filter((g) => same(g.name, CODES.measurementGroup));
  const trackingId = (g: Item) => textValue(child(g.children, CODES.trackingIdentifier));
  const study = groups.find((g) => trackingId(g) === STUDY_GROUP_TRACKING_ID);
  if (!study) notOurs('it has no LungLens COVID-19 assessment group');
  const probability = numValue(child(study.children, CODES.probabilityOfCovid19, 'NUM'));
  const verdict = verdictOf(codeValue(child(study.children, CODES.covid19, 'CODE')));
  if (probability === null || verdict === null) notOurs('its assessment lacks the probability or the verdict');

  const topSlices = groups.filter((g) => trackingId(g).startsWith(SLICE_GROUP_TRACKING_PREFIX)).flatMap((g) => {
    const num = child(g.children, CODES.sliceAttention, 'NUM');
    const ref = imageRef(num?.children.find((c) => c.type === 'IMAGE'));
    if (!ref) return [];
    const positive = verdictOf(codeValue(child(g.children, CODES.covid19, 'CODE')));
    return [{ ...ref, attention: numValue(num) ?? 0, positive: positive === null ? null : positive === 'covid' }];
  });
  const remarks = child(root, CODES.qualitativeEvaluations, 'CONTAINER')?.children ?? [];
  const reviewGroup = groups.find((g) => trackingId(g) === REVIEW_GROUP_TRACKING_ID);
  const reviewVerdict = reviewGroup ? verdictOf(codeValue(child(reviewGroup.children, CODES.covid19, 'CODE'))) : null;
  const person = child(root, CODES.personObserverName, 'PNAME');
  const review = reviewGroup && reviewVerdict ? {
    reviewer: person ? text(person.ds, 'x0040a123') : '',
    verdict: reviewVerdict,
    note: remarks.filter((r) => same(r.name, CODES.reviewNote)).map(textValue).join('\n'),
    marks: groups.filter((g) => trackingId(g).startsWith(REVIEW_SLICE_TRACKING_PREFIX)).flatMap((g) => {
      const ref = imageRef(g.children.find((c) => c.type === 'IMAGE'));
      const v = verdictOf(codeValue(child(g.children, CODES.covid19, 'CODE')));
      return ref && (v === 'covid' || v === 'non-covid') ? [{ sopInstanceUid: ref.sopInstanceUid, mark: v === 'covid' ? 'lesion' as const : 'clear' as const }] : [];
    }),
  } : null;
  return {
    sopInstanceUid: text(ds, 'x00080018'),
    studyInstanceUid: text(ds, 'x0020000d'),
    verificationFlag: text(ds, 'x0040a493') === 'VERIFIED' ? 'VERIFIED' : 'UNVERIFIED',
    model: { name: textValue(child(study.children, CODES.algorithmName)), version: textValue(child(study.children, CODES.algorithmVersion)) },
    verdict,
    probability,
    threshold: numValue(child(study.children, CODES.decisionThreshold, 'NUM')),
    topSlices,
    reasons: remarks.filter((r) => same(r.name, CODES.abstentionReason)).map(textValue),
    review,
  };
}

/** The series a SEG is laid onto: its frame of reference, each slice's instance and position, the grid. */
export interface MaskTarget {
  frameOfReferenceUid: string;
  slices: { sopInstanceUid: string; positionLps: Vec3 | null }[];
  geometry: ResultGeometry;
}

export interface ReadMask {
  /** On the target grid (x fastest, then y, then slice); 1 = lung. */
  mask: Uint8Array;
  /** Segment labels used. */
  segments: string[];
  framesPlaced: number;
}

const LUNG_TYPES = new Set(['39607008', '3341006', '44029006']); // lung, right lung, left lung (SCT)

function numbersOf(ds: DataSet | undefined, tag: string): number[] {
  if (!ds) return [];
  return text(ds, tag).split('\\').map(Number).filter(Number.isFinite);
}

/**
 * A Segmentation's lung segments (lung, right lung, left lung) as a mask on the target series'
 * grid. Frames are placed by the source image they reference, else by their position along the
 * slice normal; the grid (rows, columns, orientation, frame of reference) must match, otherwise
 * the SEG belongs to another series and `not-a-lunglens-object` says why.
 */
export function readLungMask(bytes: Buffer, target: MaskTarget): ReadMask {
  const fail = (why: string): never => {
    throw new LungLensError('not-a-lunglens-object', `The segmentation cannot be shown on this series: ${why}.`);
  };
  const ds = parseDicomBytes(bytes);
  if (text(ds, 'x00080016') !== SOP_CLASS.segmentation) fail('it is not a Segmentation');
  const g = target.geometry;
  const rows = ds.uint16('x00280010'), columns = ds.uint16('x00280011');
  if (rows !== g.rows || columns !== g.columns) fail(`its frames are ${columns}×${rows}, the series ${g.columns}×${g.rows}`);
  if (text(ds, 'x00200052') !== target.frameOfReferenceUid) fail('it lies in another frame of reference');
  const type = text(ds, 'x00620001');
  const bitsAllocated = ds.uint16('x00280100') ?? 0;
  if (!(type === 'BINARY' && bitsAllocated === 1) && !(type === 'FRACTIONAL' && bitsAllocated === 8)) fail(`its type ${type} with ${bitsAllocated}-bit pixels is not supported`);
  const maxFraction = type === 'FRACTIONAL' ? (ds.uint16('x00620010') ?? 255) : 1;

  const segments = items(ds, 'x00620002');
  const lungSegments = new Map<number, string>();
  for (const s of segments) {
    const t = codeOf(items(s, 'x0062000f')[0]);
    if (t && (t.scheme === 'SCT' || t.scheme === 'SRT') && LUNG_TYPES.has(t.value)) lungSegments.set(s.uint16('x00620004') ?? 0, text(s, 'x00620005'));
  }
  if (lungSegments.size === 0) fail('none of its segments is a lung');

  const shared = items(ds, 'x52009229')[0];
  const perFrame = items(ds, 'x52009230');
  const frames = Math.max(1, Number(text(ds, 'x00280008')) || 1);
  const orientation = numbersOf(items(shared ?? ds, 'x00209116')[0], 'x00200037');
  const d = g.direction;
  if (orientation.length === 6 && orientation.some((v, i) => Math.abs(v - d[i]!) > 1e-3)) fail('its slices are oriented differently');
  const normal: Vec3 = cross([d[0]!, d[1]!, d[2]!], [d[3]!, d[4]!, d[5]!]);
  const byUid = new Map(target.slices.map((s, k) => [s.sopInstanceUid, k]));
  const heights = target.slices.map((s, k) => dot(s.positionLps ?? [0, 1, 2].map((a) => g.originLps[a]! + k * g.spacingMm[2] * d[6 + a]!) as Vec3, normal));

  const pixel = ds.elements['x7fe00010'];
  if (!pixel || pixel.encapsulatedPixelData) return fail('its pixel data are missing or compressed');
  const data = new Uint8Array(bytes.buffer, bytes.byteOffset + pixel.dataOffset, pixel.length);
  const sliceLength = g.rows * g.columns;
  const mask = new Uint8Array(sliceLength * target.slices.length);
  let placed = 0;
  for (let f = 0; f < frames; f++) {
    const fg = perFrame[f];
    const segment = (fg && items(fg, 'x0062000a')[0]?.uint16('x0062000b')) ?? (shared && items(shared, 'x0062000a')[0]?.uint16('x0062000b'));
    if (segment === undefined || !lungSegments.has(segment)) continue;
    const source = fg ? items(items(fg, 'x00089124')[0] ?? fg, 'x00082112')[0] : undefined;
    let k = source ? byUid.get(text(source, 'x00081155')) : undefined;
    if (k === undefined) {
      const pos = numbersOf(items(fg ?? ds, 'x00209113')[0], 'x00200032');
      if (pos.length === 3) {
        const h = dot(pos as Vec3, normal);
        const nearest = heights.reduce((best, z, i) => (Math.abs(z - h) < Math.abs(heights[best]! - h) ? i : best), 0);
        if (Math.abs(heights[nearest]! - h) <= Math.max(0.01, g.spacingMm[2] * 0.25)) k = nearest;
      }
    }
    if (k === undefined) continue;
    const base = k * sliceLength;
    for (let i = 0; i < sliceLength; i++) {
      const on = type === 'BINARY'
        ? (data[(f * sliceLength + i) >> 3]! >> ((f * sliceLength + i) & 7)) & 1
        : (data[f * sliceLength + i]! * 2 >= maxFraction ? 1 : 0);
      if (on) mask[base + i] = 1;
    }
    placed++;
  }
  return { mask, segments: [...lungSegments.values()], framesPlaced: placed };
}
