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

  it('says when the file is not JSON', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lunglens-card-'));
    writeFileSync(join(dir, 'x.card.json'), '{ not json');
    await expect(readModelCard(join(dir, 'x.card.json'))).rejects.toMatchObject({ code: 'bad-model', message: expect.stringMatching(/not JSON/) });
  });
});
