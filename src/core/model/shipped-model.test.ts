// The shipped model runs in onnxruntime-node (the app's runtime) exactly as PyTorch computed it
// at export: its card's golden outputs are reproduced within the card's tolerance, its file is the
// one the card names (sha256), and its graph has the contract's inputs and outputs.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { parseModelCard } from './card.js';
import { goldenInputs } from './golden.js';

const modelsDir = resolve(import.meta.dirname, '../../../models');
const cards = readdirSync(modelsDir).filter((f) => f.endsWith('.card.json'));

describe('shipped models', () => {
  it('ships at least one model with its card', () => {
    expect(cards.length).toBeGreaterThan(0);
  });

  for (const cardFile of cards) {
    describe(cardFile, () => {
      const card = parseModelCard(JSON.parse(readFileSync(join(modelsDir, cardFile), 'utf8')), cardFile);
      const onnxPath = join(modelsDir, card.file);

      it('is the file its card describes (sha256) and says it is not a clinical device', () => {
        expect(createHash('sha256').update(readFileSync(onnxPath)).digest('hex')).toBe(card.sha256);
        expect(card.intendedUse).toMatch(/not a clinical device/i);
      });

      it('computes in onnxruntime-node what PyTorch computed at export (golden outputs)', async () => {
        const session = await ort.InferenceSession.create(onnxPath, { executionProviders: ['cpu'] });
        expect(session.inputNames).toEqual(['slices', 'masks']);
        // logits and attention (DESIGN.md §4), plus `features` (the OOD score's input) when the card declares it
        expect([...session.outputNames].sort()).toEqual(card.outputs?.features ? ['attention', 'features', 'logits'] : ['attention', 'logits']);
        const golden = card.golden!;
        expect(golden.cases.length).toBeGreaterThan(0);
        const size = card.preprocessing.size;
        for (const c of golden.cases) {
          const { slices, masks } = goldenInputs(size, c.slices);
          const dims = [c.slices, 1, size, size];
          const out = await session.run({ slices: new ort.Tensor('float32', slices, dims), masks: new ort.Tensor('float32', masks, dims) });
          const logits = out.logits!.data as Float32Array;
          const attention = out.attention!.data as Float32Array;
          expect(out.logits!.dims).toEqual([1, 2]);
          expect(attention.length).toBe(c.slices);
          const features = (out.features?.data ?? new Float32Array()) as Float32Array;
          const worst = Math.max(...c.logits.map((v, i) => Math.abs(v - logits[i]!)), ...c.attention.map((v, i) => Math.abs(v - attention[i]!)),
            ...(c.features ?? []).map((v, i) => Math.abs(v - features[i]!)));
          expect(worst, `N=${c.slices}`).toBeLessThanOrEqual(golden.tolerance);
          expect(attention.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 5);
        }
        await session.release();
      }, 60_000);
    });
  }
});
