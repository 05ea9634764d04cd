import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseModelCard, readModelCard } from './card.js';
import { DEFAULT_PREPROCESSING } from './defaults.js';

/** The fields inference depends on, as training/export.py writes them. */
function minimalCard(): Record<string, unknown> {
  return {
    format: 'lunglens-model-card', version: 1, name: 'm', file: 'm.onnx', sha256: 'a'.repeat(64), opset: 17,
    labels: ['non-covid', 'covid'], preprocessing: structuredClone(DEFAULT_PREPROCESSING),
    sliceStrategy: { kind: 'interleaved', sliceCount: 50 }, threshold: 0.5,
    slicePositiveRule: { kind: 'attention-over-uniform', factor: 1 },
    inputs: { slices: {}, masks: {} }, intendedUse: 'Research. Not a clinical device.',
    training: { anything: 'kept for display' },
  };
}

/** The blocks a card with abstention adds (training/export.py `abstention_block`), at dimension 2. */
function withAbstention(): Record<string, unknown> {
  return {
    ...minimalCard(),
    outputs: { logits: {}, attention: {}, features: { dtype: 'float32', shape: [1, 2] } },
    probabilityCalibration: { kind: 'temperature', temperature: 1.7 },
    ood: {
      kind: 'mahalanobis-ppca', feature: 'features', dimension: 2, classMeans: { 'phantom/covid': [1, 0], 'real/non-covid': [0, 1] },
      eigenvectors: [[1, 0]], eigenvalues: [0.5], residualVariance: 0.1, threshold: 3.2,
    },
    inputChecks: { maxSliceSpacingMm: 5, minLungVolumeMl: 750, maxNormalAngleDeg: 30, minBodyFractionOutsideLung: 0.05, bodyHuFloor: -500, uncalibrated: 'indeterminate' },
    abstention: { reasons: [{ code: 'out-of-distribution', message: 'far: {oodScore:.2f}' }], golden: [{ facts: { calibrated: true, sliceSpacingMm: 2.5, lungVolumeMl: 3500, normalAngleDeg: 0, bodyFractionOutsideLung: 0.3 }, probability: 0.9, oodScore: null, verdict: 'indeterminate', reasons: [{ code: 'out-of-distribution', message: 'm' }] }] },
  };
}

describe('model card', () => {
  it('accepts what the exporter writes and keeps the descriptive blocks', () => {
    const card = parseModelCard(minimalCard(), 'm.card.json');
    expect(card.sliceStrategy.sliceCount).toBe(50);
    expect(card['training']).toEqual({ anything: 'kept for display' });
  });

  it.each([
    ['a threshold outside 0…1', (c: Record<string, unknown>) => { c['threshold'] = 1.5; }, /threshold/],
    ['an unknown slice strategy', (c: Record<string, unknown>) => { c['sliceStrategy'] = { kind: 'random', sliceCount: 50 }; }, /sliceStrategy\.kind/],
    ['labels in the other order', (c: Record<string, unknown>) => { c['labels'] = ['covid', 'non-covid']; }, /labels/],
    ['a preprocessing step this version does not know', (c: Record<string, unknown>) => { (c['preprocessing'] as Record<string, unknown>)['crop'] = true; }, /preprocessing/],
    ['a malformed sha256', (c: Record<string, unknown>) => { c['sha256'] = 'xyz'; }, /sha256/],
  ])('refuses %s with bad-model and the field named', (_what, mutate, field) => {
    const card = minimalCard();
    mutate(card);
    expect(() => parseModelCard(card, 'm.card.json')).toThrow(expect.objectContaining({ code: 'bad-model', message: expect.stringMatching(field) }));
  });

  it('accepts the abstention blocks (temperature, OOD model, input checks) and keeps them typed', () => {
    const card = parseModelCard(withAbstention(), 'm.card.json');
    expect(card.probabilityCalibration?.temperature).toBe(1.7);
    expect(card.ood?.eigenvalues).toEqual([0.5]);
    expect(card.inputChecks?.uncalibrated).toBe('indeterminate');
    expect(card.abstention?.golden[0]?.verdict).toBe('indeterminate');
  });

  it.each([
    ['an OOD model without its input checks', (c: Record<string, unknown>) => { delete c['inputChecks']; }, /all three or none/],
    ['an OOD dimension unlike the features output', (c: Record<string, unknown>) => { (c['ood'] as Record<string, unknown>)['dimension'] = 3; }, /ood/],
    ['a class mean of the wrong length', (c: Record<string, unknown>) => { (c['ood'] as { classMeans: Record<string, number[]> }).classMeans['x'] = [1]; }, /dimension 2/],
    ['a zero eigenvalue', (c: Record<string, unknown>) => { (c['ood'] as Record<string, unknown>)['eigenvalues'] = [0]; }, /eigenvalues/],
    ['a zero temperature', (c: Record<string, unknown>) => { c['probabilityCalibration'] = { kind: 'temperature', temperature: 0 }; }, /temperature/],
    ['an unknown policy for uncalibrated input', (c: Record<string, unknown>) => { (c['inputChecks'] as Record<string, unknown>)['uncalibrated'] = 'ignore'; }, /uncalibrated/],
  ])('refuses %s', (_what, mutate, field) => {
    const card = withAbstention();
    mutate(card);
    expect(() => parseModelCard(card, 'm.card.json')).toThrow(expect.objectContaining({ code: 'bad-model', message: expect.stringMatching(field) }));
  });

  it('says when the file is not JSON', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lunglens-card-'));
    writeFileSync(join(dir, 'x.card.json'), '{ not json');
    await expect(readModelCard(join(dir, 'x.card.json'))).rejects.toMatchObject({ code: 'bad-model', message: expect.stringMatching(/not JSON/) });
  });
});
