// The verdict a user sees, through the one analysis path, with real onnxruntime sessions: a card
// without abstention blocks answers covid / non-covid as before; a card with the blocks
// says indeterminate, with the reason in a sentence, for a scan that fails an input check, and
// keeps its probability and attention.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SeriesSummary } from '../ingest/types.js';
import { InferenceEngine } from '../inference/engine.js';
import { computeLungMask } from '../lung/index.js';
import { DEFAULT_LUNG_CROP } from '../model/defaults.js';
import { volumeTensors } from '../model/volume-tensors.js';
import { generateCase, planCases } from '../phantom/index.js';
import { abstainingModel, abstainingModelProblem, modelWithoutAbstention } from '../testing/abstaining-model.js';
import { Volume } from '../volume/volume.js';
import { analyzeVolume } from './analyze-volume.js';
import { AnalysisPools } from './pools.js';
import type { SeriesResult } from './series-result.js';

/** A 40-slice phantom chest at 2.5 mm, and the same voxels said to lie 8 mm apart. */
function volumes(): { thin: Volume; thick: Volume } {
  const spec = { ...planCases({ count: 1, seed: 'abstention-analysis', size: 96, slices: [40, 40], positiveRate: 1 })[0]!, sliceThicknessMm: 2.5 };
  const thin = generateCase(spec).volume;
  const init = { dimensions: thin.dimensions, spacingMm: thin.spacingMm, originLps: thin.originLps, direction: thin.direction, voxels: thin.voxels, units: thin.units };
  return { thin, thick: Volume.create({ ...init, spacingMm: [thin.spacingMm[0], thin.spacingMm[1], 8] }) };
}

function summaryOf(volume: Volume, id: string): SeriesSummary {
  return {
    id, source: 'nifti', path: `/phantoms/${id}.nii.gz`, seriesInstanceUid: '', studyInstanceUid: '', modality: 'CT', seriesDescription: id,
    patient: { name: '', id: '' }, dimensions: volume.dimensions, spacingMm: volume.spacingMm, originLps: volume.originLps, direction: volume.direction,
    units: volume.units, valueRange: [-1024, 3071], valueMean: 0, transferSyntaxUids: [], warnings: [], files: [], spacingSource: 'header', contiguous: true,
  };
}

const pools = new AnalysisPools(1);
const { thin, thick } = volumes();
const analyse = async (engine: InferenceEngine, volume: Volume, id: string): Promise<SeriesResult> =>
  (await analyzeVolume(summaryOf(volume, id), volume, id, { readMs: 0, identityMs: 0 }, { engine, compute: pools.compute, thumbnails: false })).result;
afterAll(async () => pools.close());

describe('analyzeVolume with a card without abstention blocks', () => {
  let engine: InferenceEngine;
  beforeAll(async () => {
    engine = await InferenceEngine.open({ model: modelWithoutAbstention(), provider: 'cpu', threads: 2 });
  });
  afterAll(async () => engine.close());

  it('answers covid or non-covid at the threshold, even for 8 mm slices, with no OOD score or reasons', async () => {
    for (const [volume, id] of [[thin, 'thin'], [thick, 'thick']] as const) {
      const r = await analyse(engine, volume, id);
      expect(r.status).toBe('ok');
      expect(r.verdict).toBe(r.probability! >= r.threshold ? 'covid' : 'non-covid');
      expect(r).not.toHaveProperty('reasons');
      expect(r).not.toHaveProperty('oodScore');
    }
  }, 120_000);
});

describe('analyzeVolume with a card that crops to the lungs', () => {
  let whole: InferenceEngine;
  let cropping: InferenceEngine;
  beforeAll(async () => {
    whole = await InferenceEngine.open({ model: modelWithoutAbstention(), provider: 'cpu', threads: 2 });
    cropping = await InferenceEngine.open({ model: modelWithoutAbstention({ ...whole.card.preprocessing, crop: DEFAULT_LUNG_CROP }), provider: 'cpu', threads: 2 });
  });
  afterAll(async () => Promise.all([whole.close(), cropping.close()]));

  it('shows the model the square around the lungs, the input `lunglens prepare` makes for such a card', async () => {
    const pre = cropping.card.preprocessing;
    const expected = volumeTensors(thin, computeLungMask(thin).dilatedMask, pre);
    const direct = await cropping.infer(expected.slices, expected.masks, thin.dimensions[2]);
    const analysed = await analyse(cropping, thin, 'cropped');
    expect(analysed.status).toBe('ok');
    expect(analysed.probability).toBe(direct.probability);
    expect(analysed.sliceAttention).toEqual(Array.from(direct.attention));
    // the same scan read whole is another input: the card decides
    expect((await analyse(whole, thin, 'whole')).probability).not.toBe(analysed.probability);
  }, 120_000);
});

const missing = abstainingModelProblem();

describe.skipIf(missing !== null)(`analyzeVolume with a card that has the abstention blocks${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let decides: InferenceEngine;
  let unfamiliar: InferenceEngine;
  let uncalibrated: InferenceEngine;
  beforeAll(async () => {
    decides = await InferenceEngine.open({ model: abstainingModel({ oodThreshold: 1e9, temperature: 1.5 }), provider: 'cpu', threads: 2 });
    uncalibrated = await InferenceEngine.open({ model: abstainingModel({ oodThreshold: 1e9, temperature: 1 }), provider: 'cpu', threads: 2 });
    unfamiliar = await InferenceEngine.open({ model: abstainingModel({ oodThreshold: 1e-6 }), provider: 'cpu', threads: 2 });
  }, 120_000);
  afterAll(async () => Promise.all([decides?.close(), unfamiliar?.close(), uncalibrated?.close()]));

  it('decides a scan that passes every check, with the calibrated probability and its OOD score', async () => {
    const r = await analyse(decides, thin, 'thin');
    expect(r.verdict).toBe(r.probability! >= r.threshold ? 'covid' : 'non-covid');
    expect(r.reasons).toEqual([]);
    expect(r.oodScore).toBeGreaterThan(0);
    // one pass (40 slices): p = σ((l_covid − l_non-covid) / T), so logit(p) scales with 1 / T
    const logit = (p: number) => Math.log(p / (1 - p));
    const raw = await analyse(uncalibrated, thin, 'thin');
    expect(logit(r.probability!)).toBeCloseTo(logit(raw.probability!) / 1.5, 4);
  }, 120_000);

  it('says indeterminate for 8 mm slices, with the reason in the card’s words, and keeps probability and attention', async () => {
    const [a, b] = [await analyse(decides, thin, 'thin'), await analyse(decides, thick, 'thick')];
    expect(b.verdict).toBe('indeterminate');
    expect(b.reasons).toEqual([{ code: 'thick-slices', message: 'The slices are 8.0 mm apart, more than the 5.0 mm the model was trained on.' }]);
    // the same voxels: the model's answer is kept, only the verdict is withheld (the lung mask's
    // morphology works in millimetres, so the inputs differ a little)
    expect(b.probability).toBeCloseTo(a.probability!, 2);
    expect(b.sliceAttention).toHaveLength(40);
    expect(b.sliceAttention.reduce((s, x) => s + x, 0)).toBeCloseTo(1, 5);
    expect(b.slicePositive.some(Boolean)).toBe(false);
  }, 120_000);

  it('says indeterminate, out of distribution, when the features lie beyond the card’s limit', async () => {
    const r = await analyse(unfamiliar, thin, 'thin');
    expect(r.verdict).toBe('indeterminate');
    expect(r.reasons?.map((x) => x.code)).toEqual(['out-of-distribution']);
    expect(r.reasons?.[0]?.message).toMatch(/^The scan's features lie at distance \d+\.\d\d from the training data \(limit 0\.00\)/);
  }, 120_000);
});
