/**
 * The storage SOP classes the node keeps: CT images (what it analyses) and the kinds of result
 * objects it reads back (segmentations, structured reports, key object selections). Any other
 * storage class is negotiated (so the sender gets a per-instance status and the listener a log
 * line) and refused with "SOP class not supported".
 */
export type InstanceKind = 'ct' | 'seg' | 'sr';

const KINDS: Record<string, InstanceKind> = {
  '1.2.840.10008.5.1.4.1.1.2': 'ct', // CT Image
  '1.2.840.10008.5.1.4.1.1.2.1': 'ct', // Enhanced CT Image
  '1.2.840.10008.5.1.4.1.1.2.2': 'ct', // Legacy Converted Enhanced CT Image
  '1.2.840.10008.5.1.4.1.1.66.4': 'seg', // Segmentation
  '1.2.840.10008.5.1.4.1.1.88.11': 'sr', // Basic Text SR
  '1.2.840.10008.5.1.4.1.1.88.22': 'sr', // Enhanced SR
  '1.2.840.10008.5.1.4.1.1.88.33': 'sr', // Comprehensive SR
  '1.2.840.10008.5.1.4.1.1.88.34': 'sr', // Comprehensive 3D SR
  '1.2.840.10008.5.1.4.1.1.88.59': 'sr', // Key Object Selection Document
};

export function instanceKind(sopClassUid: string): InstanceKind | null {
  return KINDS[sopClassUid] ?? null;
}

/** Storage SOP classes all live under this root (PS3.4 Annex B.5); we negotiate every one of them. */
export const STORAGE_ROOT = '1.2.840.10008.5.1.4.1.1.';
export const VERIFICATION = '1.2.840.10008.1.1';
export const STUDY_ROOT_FIND = '1.2.840.10008.5.1.4.1.2.2.1';
export const STUDY_ROOT_MOVE = '1.2.840.10008.5.1.4.1.2.2.2';

export const isStorageClass = (uid: string) => uid.startsWith(STORAGE_ROOT);
