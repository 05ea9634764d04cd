import type { StudyContext } from '../dicom/header.js';
import type { Vec3 } from '../geometry/vec3.js';
import type { SeriesPlan } from './series-builder.js';

/**
 * Who a DICOM series belongs to and which instance each slice came from: what an object derived
 * from the series (SR, SEG, KOS, SC) must repeat and reference. It carries patient identifiers, so
 * it travels beside the series summary (which is printed and logged), never inside it.
 */
export interface DicomSeriesIdentity {
  studyInstanceUid: string;
  seriesInstanceUid: string;
  frameOfReferenceUid: string;
  modality: string;
  seriesNumber: number | null;
  seriesDescription: string;
  patient: { name: string; id: string };
  studyContext: StudyContext;
  /** One entry per slice, in slice-index order. `frameNumber` (1-based) only for multi-frame instances. */
  slices: { sopClassUid: string; sopInstanceUid: string; frameNumber: number | null; positionLps: Vec3 | null }[];
}

export function dicomSeriesIdentity(plan: SeriesPlan): DicomSeriesIdentity {
  const first = plan.slices[0]!.instance;
  return {
    studyInstanceUid: plan.studyInstanceUid,
    seriesInstanceUid: plan.seriesInstanceUid,
    frameOfReferenceUid: first.frameOfReferenceUid,
    modality: plan.modality,
    seriesNumber: first.seriesNumber,
    seriesDescription: plan.seriesDescription,
    patient: { ...plan.patient },
    studyContext: { ...first.studyContext },
    slices: plan.slices.map((s) => ({
      sopClassUid: s.instance.sopClassUid,
      sopInstanceUid: s.instance.sopInstanceUid,
      frameNumber: s.instance.numberOfFrames > 1 ? s.frameIndex + 1 : null,
      positionLps: s.frame.positionLps ? [...s.frame.positionLps] : null,
    })),
  };
}
