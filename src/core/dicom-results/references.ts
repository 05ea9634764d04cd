import type { KeyedDataset } from '../dicom/write/index.js';
import type { SourceSeries } from './types.js';

/**
 * One study of the Hierarchical SOP Instance Reference Macro (PS3.3 C.17.2.1): the source series'
 * instances that an object references, each instance once, in the order given.
 */
export function evidence(series: SourceSeries, instances: { sopClassUid: string; sopInstanceUid: string }[]): KeyedDataset {
  const seen = new Set<string>();
  const unique = instances.filter((i) => (seen.has(i.sopInstanceUid) ? false : (seen.add(i.sopInstanceUid), true)));
  return {
    StudyInstanceUID: series.studyInstanceUid,
    ReferencedSeriesSequence: [{
      SeriesInstanceUID: series.seriesInstanceUid,
      ReferencedSOPSequence: unique.map((i) => ({ ReferencedSOPClassUID: i.sopClassUid, ReferencedSOPInstanceUID: i.sopInstanceUid })),
    }],
  };
}
