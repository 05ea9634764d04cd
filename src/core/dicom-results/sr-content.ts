/**
 * SR content items (PS3.3 C.17.3) as a small typed tree, and its encoding into the Content
 * Sequence. Built by hand rather than with dcmjs's SR templates, which cannot express a report
 * whose only observer is a device (DESIGN.md §8).
 */
import type { KeyedDataset } from '../dicom/write/index.js';
import { codeItem, type Code } from './codes.js';

export type Relationship = 'CONTAINS' | 'HAS OBS CONTEXT' | 'HAS CONCEPT MOD' | 'HAS PROPERTIES' | 'HAS ACQ CONTEXT' | 'INFERRED FROM' | 'SELECTED FROM';

interface Common {
  /** Relationship with the parent (absent only at the root). */
  rel?: Relationship;
  name?: Code;
  children?: ContentItem[];
}

export type ContentItem = Common & (
  | { type: 'CONTAINER'; continuity?: 'SEPARATE' | 'CONTINUOUS'; template?: string }
  | { type: 'CODE'; value: Code }
  | { type: 'TEXT'; text: string }
  | { type: 'UIDREF'; uid: string }
  | { type: 'NUM'; value: number; unit: Code }
  | { type: 'PNAME'; person: string }
  | { type: 'IMAGE'; sopClassUid: string; sopInstanceUid: string; frames?: number[] }
  | { type: 'COMPOSITE'; sopClassUid: string; sopInstanceUid: string }
);

/** The attributes of one content item (without its children). */
function valueAttributes(item: ContentItem): KeyedDataset {
  switch (item.type) {
    case 'CONTAINER':
      return {
        ContinuityOfContent: item.continuity ?? 'SEPARATE',
        ...(item.template ? { ContentTemplateSequence: [{ MappingResource: 'DCMR', TemplateIdentifier: item.template }] } : {}),
      };
    case 'CODE':
      return { ConceptCodeSequence: [codeItem(item.value)] };
    case 'TEXT':
      return { TextValue: item.text };
    case 'UIDREF':
      return { UID: item.uid };
    case 'NUM':
      return { MeasuredValueSequence: [{ MeasurementUnitsCodeSequence: [codeItem(item.unit)], NumericValue: decimalString(item.value) }] };
    case 'PNAME':
      return { PersonName: item.person };
    case 'IMAGE':
    case 'COMPOSITE':
      return {
        ReferencedSOPSequence: [{
          ReferencedSOPClassUID: item.sopClassUid,
          ReferencedSOPInstanceUID: item.sopInstanceUid,
          ...(item.type === 'IMAGE' && item.frames?.length ? { ReferencedFrameNumber: item.frames } : {}),
        }],
      };
  }
}

/**
 * A number as a DS of at most 16 characters that keeps as many significant digits as fit
 * (probabilities near 0 and 1 lose nothing a reader would notice).
 */
export function decimalString(v: number): string {
  if (!Number.isFinite(v)) throw new RangeError(`${v} is not a finite number.`);
  for (let digits = 10; digits >= 1; digits--) {
    const s = String(Number(v.toPrecision(digits)));
    if (s.length <= 16) return s;
  }
  return v.toExponential(6);
}

/** One content item and its subtree as a data set (an item of a Content Sequence, or the root). */
export function encodeContentItem(item: ContentItem): KeyedDataset {
  return {
    ...(item.rel ? { RelationshipType: item.rel } : {}),
    ValueType: item.type,
    ...(item.name ? { ConceptNameCodeSequence: [codeItem(item.name)] } : {}),
    ...valueAttributes(item),
    ...(item.children?.length ? { ContentSequence: item.children.map(encodeContentItem) } : {}),
  };
}

/** Every image and composite object the tree references, in first-seen order. */
export function referencedInstances(item: ContentItem): { sopClassUid: string; sopInstanceUid: string }[] {
  const out = new Map<string, { sopClassUid: string; sopInstanceUid: string }>();
  const walk = (i: ContentItem) => {
    if (i.type === 'IMAGE' || i.type === 'COMPOSITE') out.set(i.sopInstanceUid, { sopClassUid: i.sopClassUid, sopInstanceUid: i.sopInstanceUid });
    i.children?.forEach(walk);
  };
  walk(item);
  return [...out.values()];
}
