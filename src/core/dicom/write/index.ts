/**
 * DICOM Part 10 writer: encodes small typed data sets (element lists or keyed objects) as
 * explicit/implicit VR little endian files, with or without preamble and file meta group.
 * Used by the phantom generator and by tests that need real DICOM files made on the fly.
 */
export { writePart10, fileMetaHeader, type WritePart10Options, type FileMetaOptions } from './write-part10.js';
export { encodeDataset, keyedElements, type DatasetEncoding } from './encode-dataset.js';
export { tag, type DataElement, type Dataset, type KeyedDataset, type Tag, type ValueFor } from './dataset.js';
export { DICTIONARY, META, type Keyword } from './dictionary.js';
export { formatDS, formatIS } from './format-number.js';
export { WRITABLE_TRANSFER_SYNTAXES, type WritableTransferSyntax } from './transfer-syntax.js';
export {
  createUid, uidGenerator, uidFromText, isValidUid, UUID_ROOT,
  LUNGLENS_IMPLEMENTATION_CLASS_UID, LUNGLENS_IMPLEMENTATION_VERSION_NAME, type UidOptions,
} from './uid.js';
export type { VR } from './vr.js';
export {
  CT_IMAGE_STORAGE, ctSliceDataset, storedValueOf, shuffled, writeVolumeAsCtSeries,
  type CtSeriesIdentity, type CtSlice, type CtStorage, type WriteCtSeriesOptions,
} from './ct-series.js';
