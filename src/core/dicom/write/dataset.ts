import type { BinaryVR, BytesVR, NumberStringVR, TextVR, TypedNumbers, VR } from './vr.js';
import type { DICTIONARY, Keyword } from './dictionary.js';

/** A tag as one number: (group << 16) | element, e.g. 0x00280010 for Rows. */
export type Tag = number;

export const tag = (group: number, element: number): Tag => ((group & 0xffff) * 0x10000) + (element & 0xffff);

/** The value a caller may give for an element of a VR. `null` (or '') writes a zero-length element (Type 2 "empty"). */
export type ValueFor<V extends VR> = V extends TextVR
  ? string | readonly string[]
  : V extends NumberStringVR
    ? number | string | readonly (number | string)[]
    : V extends BinaryVR
      ? number | readonly number[] | TypedNumbers
      : V extends BytesVR
        ? TypedNumbers
        : V extends 'SQ'
          ? readonly Dataset[]
          : never;

/** One data element, with its tag and VR given explicitly (any tag, private ones included). */
export type DataElement = {
  [V in VR]: {
    tag: Tag;
    vr: V;
    value: ValueFor<V> | null;
    /** SQ only: write the sequence and its items with undefined length and delimiters. */
    undefinedLength?: boolean;
  };
}[VR];

/**
 * A data set described by keyword (see `DICTIONARY`). Keys whose value is `undefined` are left out.
 * Attributes whose VR depends on PixelRepresentation (PixelPaddingValue, …) are written as SS when
 * the same data set says PixelRepresentation = 1, otherwise as US.
 * Sequences in keyed form use defined lengths; use the element-list form to choose undefined ones.
 */
export type KeyedDataset = { [K in Keyword]?: KeyedValue<K> | null | undefined };

type DictionaryVR<K extends Keyword> = (typeof DICTIONARY)[K][1];
type KeyedValue<K extends Keyword> = DictionaryVR<K> extends 'xs' ? number | readonly number[] : ValueFor<Exclude<DictionaryVR<K>, 'xs'>>;

/** A data set: either a list of elements or a keyed object. */
export type Dataset = readonly DataElement[] | KeyedDataset;
