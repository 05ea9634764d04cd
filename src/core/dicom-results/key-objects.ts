/**
 * The detector's top slices as a Key Object Selection (TID 2010, title "Of Interest"): what most
 * viewers show as flagged images, in attention order, with a one-line description.
 */
import { writePart10, type KeyedDataset } from '../dicom/write/index.js';
import { CODES } from './codes.js';
import { contributingEquipment, deviceObserverUid, dicomDate, dicomTime, equipment, modelLabel, newSeries, patientAndStudy, resultUid, sopCommon, DEVICE_NAME, MANUFACTURER } from './modules.js';
import { evidence } from './references.js';
import { encodeContentItem, referencedInstances, type ContentItem } from './sr-content.js';
import { SOP_CLASS, type ResultInput, type ResultObject } from './types.js';

const VERDICT_TEXT = { covid: 'COVID-19 likely', 'non-covid': 'COVID-19 not found', indeterminate: 'no answer (indeterminate)' } as const;

/** The KOS of the top slices, or null when there are none. */
export function keyObjectSelection(input: ResultInput): ResultObject | null {
  const a = input.analysis;
  if (a.topSlices.length === 0) return null;
  const created = input.createdAt;
  const n = input.series.slices.length;
  const description = `LungLens ${modelLabel(input.model)}: the ${a.topSlices.length} slices the COVID-19 detector weighted most `
    + `(slices ${a.topSlices.map((k) => k + 1).join(', ')} of ${n}); verdict ${VERDICT_TEXT[a.verdict]}, probability ${a.probability.toFixed(3)}. Not for diagnostic use.`;
  const root: ContentItem = {
    type: 'CONTAINER', name: CODES.ofInterest, template: '2010',
    children: [
      { type: 'CODE', rel: 'HAS CONCEPT MOD', name: CODES.languageOfContent, value: CODES.englishUS },
      { type: 'CODE', rel: 'HAS OBS CONTEXT', name: CODES.observerType, value: CODES.device },
      { type: 'UIDREF', rel: 'HAS OBS CONTEXT', name: CODES.deviceObserverUid, uid: deviceObserverUid(input.model) },
      { type: 'TEXT', rel: 'HAS OBS CONTEXT', name: CODES.deviceObserverName, text: DEVICE_NAME },
      { type: 'TEXT', rel: 'HAS OBS CONTEXT', name: CODES.deviceObserverManufacturer, text: MANUFACTURER },
      { type: 'TEXT', rel: 'HAS OBS CONTEXT', name: CODES.deviceObserverModelName, text: modelLabel(input.model) },
      { type: 'TEXT', rel: 'CONTAINS', name: CODES.keyObjectDescription, text: description },
      ...a.topSlices.map((k): ContentItem => {
        const s = input.series.slices[k]!;
        return { type: 'IMAGE', rel: 'CONTAINS', sopClassUid: s.sopClassUid, sopInstanceUid: s.sopInstanceUid, ...(s.frameNumber ? { frames: [s.frameNumber] } : {}) };
      }),
    ],
  };
  const sopInstanceUid = resultUid(input, 'kos');
  const series = newSeries(input, { kind: 'kos', modality: 'KO', description: 'LungLens key slices' });
  const dataset: KeyedDataset = {
    ...patientAndStudy(input.series),
    ...series,
    ReferencedPerformedProcedureStepSequence: [],
    ...equipment(input),
    ...contributingEquipment(input, 'Key images selected'),
    InstanceNumber: 1,
    ContentDate: dicomDate(created),
    ContentTime: dicomTime(created),
    CurrentRequestedProcedureEvidenceSequence: [evidence(input.series, referencedInstances(root))],
    ...sopCommon(SOP_CLASS.keyObjectSelection, sopInstanceUid, created),
    ...encodeContentItem(root),
  };
  return { kind: 'kos', sopClassUid: SOP_CLASS.keyObjectSelection, sopInstanceUid, seriesInstanceUid: series.SeriesInstanceUID as string, bytes: writePart10(dataset) };
}
