/**
 * A Secondary Capture summary for viewers that show no SR (DESIGN.md §8): the verdict, the
 * attention timeline along the scan and the key slices in the lung window, burned into one RGB
 * image with "not for diagnostic use" on it.
 */
import { keyedElements, writePart10, type DataElement, type KeyedDataset } from '../dicom/write/index.js';
import { LUNG_WINDOW } from '../enhance/tone-map.js';
import { textWidth } from '../render/bitmap-font.js';
import { windowImage } from '../render/gray-png.js';
import { RgbCanvas, type Rgb } from '../render/rgb-canvas.js';
import { contributingEquipment, dicomDate, dicomTime, equipment, modelLabel, newSeries, patientAndStudy, resultUid, sopCommon } from './modules.js';
import { SOP_CLASS, type ResultInput, type ResultObject } from './types.js';

/** What the summary needs of the volume: its slices in HU. */
export interface SliceSource {
  slice(k: number): Int16Array;
}

const WIDTH = 1024;
const HEIGHT = 768;
const KEY_SLICES = 4;
const PIXEL_DATA = 0x7fe00010;

const WHITE: Rgb = [235, 235, 235];
const GREY: Rgb = [150, 150, 150];
const PANEL: Rgb = [28, 28, 32];
const VERDICT: Record<ResultInput['analysis']['verdict'], { text: string; colour: Rgb }> = {
  covid: { text: 'COVID-19 LIKELY', colour: [235, 80, 70] },
  'non-covid': { text: 'COVID-19 NOT FOUND', colour: [90, 200, 110] },
  indeterminate: { text: 'NO ANSWER (INDETERMINATE)', colour: [240, 180, 60] },
};

/** Text cut to fit `width` pixels at `scale`. */
function fit(text: string, width: number, scale: number): string {
  let t = text;
  while (t.length > 1 && textWidth(t, scale) > width) t = t.slice(0, -1);
  return t === text ? t : `${t.slice(0, -1)}~`;
}

/** The picture itself (also used to look at it as a PNG). */
export function drawSummary(input: ResultInput, volume: SliceSource): RgbCanvas {
  const a = input.analysis;
  const g = input.geometry;
  const n = input.series.slices.length;
  const c = new RgbCanvas(WIDTH, HEIGHT, [0, 0, 0]);
  const m = 24;

  c.text(m, m, fit('LUNGLENS COVID-19 DETECTOR - NOT FOR DIAGNOSTIC USE', WIDTH - 2 * m, 2), 2, GREY);
  const verdict = VERDICT[a.verdict];
  c.text(m, m + 28, fit(verdict.text, WIDTH - 2 * m, 5), 5, verdict.colour);
  const figures = `PROBABILITY ${a.probability.toFixed(3)}   THRESHOLD ${a.threshold.toFixed(3)}`
    + (a.lungVolumeMl !== null ? `   LUNG VOLUME ${Math.round(a.lungVolumeMl)} ML` : '');
  c.text(m, m + 76, fit(figures, WIDTH - 2 * m, 2), 2, WHITE);
  c.text(m, m + 100, fit(`MODEL ${modelLabel(input.model)}  SHA-256 ${input.model.sha256.slice(0, 16)}`, WIDTH - 2 * m, 2), 2, GREY);
  a.reasons.slice(0, 2).forEach((r, i) => c.text(m, m + 124 + i * 20, fit(r, WIDTH - 2 * m, 2), 2, verdict.colour));

  // Attention along the scan: one bar per slice, predicted-positive slices on a red ground.
  const tx = m, ty = 200, tw = WIDTH - 2 * m, th = 150;
  c.text(tx, ty, 'ATTENTION PER SLICE (LEFT: FIRST SLICE, RIGHT: LAST)', 2, GREY);
  const top = ty + 24;
  c.fillRect(tx, top, tw, th, PANEL);
  const max = Math.max(...a.sliceAttention, 1e-12);
  for (let k = 0; k < n; k++) {
    const x0 = tx + Math.floor((k * tw) / n), x1 = tx + Math.floor(((k + 1) * tw) / n);
    const bw = Math.max(1, x1 - x0 - (tw / n > 3 ? 1 : 0));
    if (a.slicePositive[k]) c.fillRect(x0, top, bw, th, [90, 30, 30]);
    const h = Math.round((a.sliceAttention[k]! / max) * (th - 4));
    c.fillRect(x0, top + th - h, bw, h, a.topSlices.includes(k) ? [250, 210, 80] : [110, 160, 230]);
  }
  a.topSlices.slice(0, KEY_SLICES).forEach((k, rank) => {
    const x = tx + Math.floor(((k + 0.5) * tw) / n);
    c.text(Math.min(tx + tw - 6, Math.max(tx, x - 2)), top + th + 6, String(rank + 1), 2, [250, 210, 80]);
  });

  // The key slices in the lung window, physical aspect ratio kept.
  const keys = a.topSlices.slice(0, KEY_SLICES);
  const py = top + th + 36, ph = HEIGHT - py - m - 24;
  const pw = Math.floor((WIDTH - 2 * m - (KEY_SLICES - 1) * 12) / KEY_SLICES);
  const aspect = (g.columns * g.spacingMm[0]) / (g.rows * g.spacingMm[1]);
  keys.forEach((k, i) => {
    const x = m + i * (pw + 12);
    c.fillRect(x, py, pw, ph, PANEL);
    c.image(x, py, pw, ph, windowImage(volume.slice(k), g.columns, g.rows, LUNG_WINDOW.centreHu, LUNG_WINDOW.widthHu), aspect);
    c.text(x, py + ph + 6, fit(`${i + 1}: SLICE ${k + 1}/${n}${a.slicePositive[k] ? ' +' : ''}`, pw, 2), 2, WHITE);
  });
  if (keys.length === 0) c.text(m, py, 'NO KEY SLICES', 2, GREY);
  return c;
}

/** The summary as a Secondary Capture image in its own series. */
export function summaryImage(input: ResultInput, volume: SliceSource): ResultObject {
  const canvas = drawSummary(input, volume);
  const created = input.createdAt;
  const sopInstanceUid = resultUid(input, 'sc');
  const series = newSeries(input, { kind: 'sc', modality: 'OT', description: 'LungLens summary' });
  const keyed: KeyedDataset = {
    ...patientAndStudy(input.series),
    ...series,
    ...equipment(input),
    ...contributingEquipment(input, 'Summary image drawn'),
    BodyPartExamined: 'CHEST',
    ConversionType: 'WSD',
    DateOfSecondaryCapture: dicomDate(created),
    TimeOfSecondaryCapture: dicomTime(created),
    SecondaryCaptureDeviceManufacturer: 'LungLens',
    SecondaryCaptureDeviceManufacturerModelName: input.model.name.slice(0, 64),
    SecondaryCaptureDeviceSoftwareVersions: input.softwareVersion,
    ImageType: ['DERIVED', 'SECONDARY'],
    InstanceNumber: 1,
    PatientOrientation: '',
    ContentDate: dicomDate(created),
    ContentTime: dicomTime(created),
    BurnedInAnnotation: 'YES',
    RecognizableVisualFeatures: 'NO',
    LossyImageCompression: '00',
    SamplesPerPixel: 3,
    PhotometricInterpretation: 'RGB',
    PlanarConfiguration: 0,
    Rows: canvas.height,
    Columns: canvas.width,
    BitsAllocated: 8,
    BitsStored: 8,
    HighBit: 7,
    PixelRepresentation: 0,
    ...sopCommon(SOP_CLASS.secondaryCapture, sopInstanceUid, created),
  };
  const elements: DataElement[] = [...keyedElements(keyed), { tag: PIXEL_DATA, vr: 'OB', value: canvas.pixels }];
  return { kind: 'sc', sopClassUid: SOP_CLASS.secondaryCapture, sopInstanceUid, seriesInstanceUid: series.SeriesInstanceUID as string, bytes: writePart10(elements) };
}
