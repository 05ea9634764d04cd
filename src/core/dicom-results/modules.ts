/**
 * The modules every result object shares: patient and study (repeated from the source series),
 * a new series of its own, the equipment (LungLens, and the model in the Contributing Equipment
 * Sequence), SOP common. All text is written as UTF-8 (ISO_IR 192).
 */
import { createHash } from 'node:crypto';
import { uidFromText, type KeyedDataset } from '../dicom/write/index.js';
import { CODES, codeItem } from './codes.js';
import type { ResultInput, ResultModel, SourceSeries } from './types.js';

export const MANUFACTURER = 'LungLens';
export const DEVICE_NAME = 'LungLens';
export const NOT_FOR_DIAGNOSTIC_USE = 'not for diagnostic use';

/** Series numbers of the objects, high so that they sort after the scanner's own series. */
export const SERIES_NUMBER = { sr: 9901, seg: 9902, kos: 9903, sc: 9904, 'verified-sr': 9905 } as const;
export type ResultKind = keyof typeof SERIES_NUMBER;

const pad = (n: number, width = 2) => String(n).padStart(width, '0');
/** DICOM DA, TM and DT of a moment, in local time (as DICOM dates are). */
export const dicomDate = (d: Date) => `${d.getFullYear()}${pad(d.getMonth() + 1)}${pad(d.getDate())}`;
export const dicomTime = (d: Date) => `${pad(d.getHours())}${pad(d.getMinutes())}${pad(d.getSeconds())}`;
export const dicomDateTime = (d: Date) => `${dicomDate(d)}${dicomTime(d)}`;

/** WHATWG labels of the single-byte and GB character sets DICOM names (PS3.3 C.12.1.1.2). */
const CHARSET_LABELS: Record<string, string> = {
  'ISO_IR 100': 'latin1', 'ISO_IR 101': 'iso-8859-2', 'ISO_IR 109': 'iso-8859-3', 'ISO_IR 110': 'iso-8859-4',
  'ISO_IR 144': 'iso-8859-5', 'ISO_IR 127': 'iso-8859-6', 'ISO_IR 126': 'iso-8859-7', 'ISO_IR 138': 'iso-8859-8',
  'ISO_IR 148': 'iso-8859-9', 'ISO_IR 203': 'iso-8859-15', 'ISO_IR 166': 'windows-874', 'ISO_IR 192': 'utf-8',
  GB18030: 'gb18030', GBK: 'gbk',
};

/**
 * Text read from the source (one character per byte) decoded with the source's character set.
 * Code-extension sets (ISO 2022 …) are decoded as ISO 2022 JP when they name Japanese sets, else
 * byte for byte as Latin-1 — a name may then show wrong accents, never a wrong byte count.
 */
export function decodeSourceText(raw: string, specificCharacterSet: string): string {
  // Plain ASCII without an ISO 2022 escape (0x1b) reads the same in every character set.
  if ([...raw].every((ch) => ch.charCodeAt(0) < 0x80 && ch.charCodeAt(0) !== 0x1b)) return raw;
  const sets = specificCharacterSet.split('\\').map((s) => s.trim());
  const bytes = Buffer.from(raw, 'latin1');
  const first = sets.find((s) => s !== '') ?? '';
  const label = CHARSET_LABELS[first.replace('ISO 2022 IR ', 'ISO_IR ')]
    ?? (sets.some((s) => /IR (87|159|13)$/.test(s)) ? 'iso-2022-jp' : 'latin1');
  try {
    return new TextDecoder(label).decode(bytes);
  } catch {
    return raw;
  }
}

/** Patient, general study and (empty) patient study modules, repeated from the source series. */
export function patientAndStudy(series: SourceSeries): KeyedDataset {
  const c = series.studyContext;
  const text = (raw: string) => decodeSourceText(raw, c.specificCharacterSet);
  return {
    SpecificCharacterSet: 'ISO_IR 192',
    PatientName: text(series.patient.name),
    PatientID: text(series.patient.id),
    PatientBirthDate: c.patientBirthDate,
    PatientSex: ['M', 'F', 'O'].includes(c.patientSex) ? c.patientSex : '',
    StudyInstanceUID: series.studyInstanceUid,
    StudyDate: c.studyDate,
    StudyTime: c.studyTime,
    ReferringPhysicianName: text(c.referringPhysicianName),
    StudyID: text(c.studyId),
    AccessionNumber: text(c.accessionNumber),
    ...(c.studyDescription ? { StudyDescription: text(c.studyDescription) } : {}),
  };
}

export interface SeriesOptions {
  kind: ResultKind;
  modality: string;
  description: string;
}

/** A new series of the source study, marked as an algorithm's and not for diagnostic use. */
export function newSeries(input: ResultInput, o: SeriesOptions): KeyedDataset {
  const description = `${o.description} - ${NOT_FOR_DIAGNOSTIC_USE}`;
  return {
    Modality: o.modality,
    SeriesInstanceUID: resultUid(input, `${o.kind}-series`),
    SeriesNumber: SERIES_NUMBER[o.kind],
    SeriesDescription: description.slice(0, 64),
    SeriesDate: dicomDate(input.createdAt),
    SeriesTime: dicomTime(input.createdAt),
  };
}

/** General equipment and enhanced general equipment: LungLens, with the model as the device. */
export function equipment(input: ResultInput): KeyedDataset {
  return {
    Manufacturer: MANUFACTURER,
    ...(input.institutionName ? { InstitutionName: input.institutionName } : {}),
    ManufacturerModelName: `${input.model.name}`.slice(0, 64),
    // The serial number of a piece of software: the SHA-256 of the model that produced the object.
    DeviceSerialNumber: input.model.sha256,
    SoftwareVersions: [`LungLens ${input.softwareVersion}`.slice(0, 64), `${input.model.name} ${input.model.version}`.slice(0, 64)],
  };
}

/** Contributing Equipment Sequence: the algorithm that made this object from the source images. */
export function contributingEquipment(input: ResultInput, what: string): KeyedDataset {
  return {
    ContributingEquipmentSequence: [{
      PurposeOfReferenceCodeSequence: [codeItem(CODES.processingEquipment)],
      Manufacturer: MANUFACTURER,
      ...(input.institutionName ? { InstitutionName: input.institutionName } : {}),
      ManufacturerModelName: input.model.name.slice(0, 64),
      DeviceSerialNumber: input.model.sha256,
      SoftwareVersions: [`LungLens ${input.softwareVersion}`.slice(0, 64), `${input.model.name} ${input.model.version}`.slice(0, 64)],
      ContributionDateTime: dicomDateTime(input.createdAt),
      ContributionDescription: `${what} by the LungLens algorithm ${modelLabel(input.model)}, model SHA-256 ${input.model.sha256}; not for diagnostic use.`,
    }],
  };
}

export const modelLabel = (m: ResultModel) => `${m.name} ${m.version}`;

/** SOP common module. */
export function sopCommon(sopClassUid: string, sopInstanceUid: string, created: Date): KeyedDataset {
  return {
    SOPClassUID: sopClassUid,
    SOPInstanceUID: sopInstanceUid,
    InstanceCreationDate: dicomDate(created),
    InstanceCreationTime: dicomTime(created),
  };
}

/** A digest of everything the objects say, so a changed analysis never reuses an object's UIDs. */
function inputDigest(input: ResultInput): string {
  const a = input.analysis;
  const h = createHash('sha256');
  h.update(JSON.stringify([input.series.seriesInstanceUid, input.model, a.probability, a.verdict, a.reasons, a.threshold, a.sliceAttention, a.slicePositive, a.topSlices, a.lungVolumeMl]));
  if (a.lungMask) h.update(a.lungMask);
  return h.digest('hex');
}

const digests = new WeakMap<ResultInput, string>();

/**
 * UIDs derived from the content: analysing the same series with the same model again yields the
 * same objects with the same UIDs, so sending them twice leaves one copy in the archive.
 */
export function resultUid(input: ResultInput, what: string): string {
  let digest = digests.get(input);
  if (!digest) {
    digest = inputDigest(input);
    digests.set(input, digest);
  }
  return uidFromText(`lunglens-result|${digest}|${what}`);
}

/** The Device Observer UID: one per model (name, version and file). */
export function deviceObserverUid(model: ResultModel): string {
  return uidFromText(`lunglens-device|${model.name}|${model.version}|${model.sha256}`);
}
