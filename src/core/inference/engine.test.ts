// The engine with the shipped model: it refuses a model that is not what its card says, reports
// the provider it really runs on, gives the same answer every time, and leaves the caller's event
// loop free while the network runs.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { goldenInputs } from '../model/golden.js';
import { measureStalls } from '../testing/thread-stalls.js';
import { cardPathFor, defaultModelPath, InferenceEngine } from './engine.js';
import { openSession } from './execution-provider.js';

const shipped = defaultModelPath();

/** A copy of the shipped model whose card is changed by `edit` (and whose file by `editModel`). */
function tamperedCopy(edit: (card: Record<string, unknown>) => void, editModel?: (bytes: Buffer) => Buffer): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'lunglens-model-'));
  const model = path.join(dir, 'm.onnx');
  writeFileSync(model, (editModel ?? ((b) => b))(readFileSync(shipped)));
  const card = JSON.parse(readFileSync(cardPathFor(shipped), 'utf8')) as Record<string, unknown>;
  card['file'] = 'm.onnx';
  edit(card);
  writeFileSync(cardPathFor(model), JSON.stringify(card));
  return model;
}

describe('InferenceEngine', () => {
  let engine: InferenceEngine;
  beforeAll(async () => {
    engine = await InferenceEngine.open({ provider: 'cpu', threads: 2 });
  });
  afterAll(async () => engine.close());

  it('refuses a model file that is not the one its card describes', async () => {
    const model = tamperedCopy(() => undefined, (b) => Buffer.concat([b, Buffer.from([0])]));
    await expect(InferenceEngine.open({ model, provider: 'cpu' })).rejects.toMatchObject({ code: 'bad-model', message: expect.stringMatching(/not the one its card describes/) });
  });

  it('refuses a card whose input size the graph does not take', async () => {
    const model = tamperedCopy((card) => {
      (card['preprocessing'] as { size: number }).size = 96;
    });
    await expect(InferenceEngine.open({ model, provider: 'cpu' })).rejects.toMatchObject({ code: 'bad-model', message: expect.stringMatching(/expected \[N, 1, 96, 96\]/) });
  });

  it('says which provider runs and why CUDA does not', async () => {
    const auto = await InferenceEngine.open({ provider: 'auto', threads: 1 });
    try {
      expect(['cpu', 'cuda']).toContain(auto.identity.executionProvider);
      if (auto.identity.executionProvider === 'cpu') expect(auto.identity.provider.fallbackReason).toMatch(/CUDA/);
    } finally {
      await auto.close();
    }
    expect(engine.identity.provider).toEqual({ requested: 'cpu', used: 'cpu' });
  });

  it('falls back to the CPU, with the reason, when the CUDA provider fails to start', async () => {
    const tried: string[] = [];
    const factory = {
      cudaLibrary: () => '/opt/cuda/libonnxruntime_providers_cuda.so',
      create: async (_p: string, o: { executionProviders?: readonly unknown[] }) => {
        const ep = String(o.executionProviders?.[0]);
        tried.push(ep);
        if (ep === 'cuda') throw new Error('libcudnn.so.9: cannot open shared object file\nstack…');
        return { release: async () => undefined } as never;
      },
    };
    const { provider } = await openSession(factory, 'm.onnx', 'auto', 2);
    expect(tried).toEqual(['cuda', 'cpu']);
    expect(provider).toEqual({ requested: 'auto', used: 'cpu', fallbackReason: expect.stringMatching(/libcudnn\.so\.9: cannot open shared object file\); running on the CPU/) });
  });

  it('gives the same answer every time, one weight per slice, without blocking the event loop', async () => {
    const size = engine.card.preprocessing.size;
    const n = 130; // several interleaved passes
    const { slices, masks } = goldenInputs(size, n);
    const shared = new Float32Array(new SharedArrayBuffer(slices.byteLength));
    shared.set(slices);
    const sharedMasks = new Uint8Array(new SharedArrayBuffer(masks.length));
    sharedMasks.set(masks);
    const { result: a, stallMs } = await measureStalls(() => engine.infer(shared, sharedMasks, n));
    const b = await engine.infer(shared, sharedMasks, n);
    expect(a.passes).toBe(Math.ceil(n / engine.card.sliceStrategy.sliceCount));
    expect(a.attention).toHaveLength(n);
    expect(a.attention.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 6);
    expect(b.probability).toBe(a.probability);
    expect(Array.from(b.attention)).toEqual(Array.from(a.attention));
    expect(a.verdict).toBe(a.probability >= engine.card.threshold ? 'covid' : 'non-covid');
    expect(stallMs).toBeLessThan(100);
  }, 60_000);
});

