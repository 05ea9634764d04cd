/**
 * Test-only: a model whose card carries the abstention blocks (probabilityCalibration, ood,
 * inputChecks, abstention), for tests of the product side while the shipped model has none.
 *
 * The graph is an untrained compact ResNeXt+ at the shipped card's input size, written by the
 * training package's own exporter (training/export.py `export_onnx`: outputs logits, attention and
 * features) — its probabilities mean nothing, but it runs in onnxruntime like the real one. The
 * card is the shipped card with the blocks added here: the reason sentences of
 * training/inference.py (`REASON_TEMPLATES`), limits of the caller's choosing, and an OOD model of
 * one class at the origin (score = |features|, so a threshold of 1e9 always passes and 1e-9 never).
 * The graph is exported once per version of the training code and cached under test-results/fixtures.
 * Needs Debian's /usr/bin/python3 with torch and onnx; `abstainingModelProblem()` says why not.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ModelCard } from '../model/card.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const PYTHON = '/usr/bin/python3';
const SHIPPED_CARD = path.join(ROOT, 'models', 'lunglens-compact.card.json');
const CACHE = path.join(ROOT, 'test-results', 'fixtures', 'abstaining-model');

export interface AbstainingOptions {
  temperature?: number;
  oodThreshold?: number;
  inputChecks?: Partial<NonNullable<ModelCard['inputChecks']>>;
}

let problem: string | null | undefined;

/** Why the fixture cannot be made here (no Python with torch and onnx), or null. */
export function abstainingModelProblem(): string | null {
  if (problem === undefined) {
    const done = spawnSync(PYTHON, ['-c', 'import torch, onnx'], { encoding: 'utf8' });
    problem = done.status === 0 ? null : `${PYTHON} with torch and onnx is needed to export the fixture graph (${(done.stderr || String(done.error ?? '')).trim().split('\n').pop()})`;
  }
  return problem;
}

const EXPORT = `
import json, pathlib, sys, torch
from training.export import export_onnx
from training.inference import REASON_TEMPLATES
from training.model import ResNeXtPlus, network_spec
torch.manual_seed(19)
model = ResNeXtPlus(network_spec('compact')).eval()
export_onnx(model, int(sys.argv[1]), pathlib.Path(sys.argv[2]))
with torch.no_grad():
    features = model.infer(torch.zeros(1, 1, int(sys.argv[1]), int(sys.argv[1])), torch.zeros(1, 1, int(sys.argv[1]), int(sys.argv[1])))[2]
print(json.dumps({'templates': REASON_TEMPLATES, 'features': int(features.shape[-1])}))
`;

/** The exported graph (once; cached under test-results/fixtures) and what the exporter said. */
function graph(size: number): { onnx: string; templates: Record<string, string>; features: number } {
  // Keyed by the training code that makes it, so that a changed network or rule is exported anew.
  const code = createHash('sha256');
  for (const f of ['model.py', 'export.py', 'inference.py']) code.update(readFileSync(path.join(ROOT, 'training', f)));
  const key = `${size}-${code.digest('hex').slice(0, 12)}`;
  const onnx = path.join(CACHE, `graph-${key}.onnx`);
  const meta = path.join(CACHE, `graph-${key}.json`);
  if (!existsSync(onnx) || !existsSync(meta)) {
    mkdirSync(CACHE, { recursive: true });
    // Written under temporary names and renamed: test files running at once never read half a file.
    const tmp = `${onnx}.${process.pid}.tmp`;
    const out = execFileSync(PYTHON, ['-c', EXPORT, String(size), tmp], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, PYTHONPATH: ROOT } });
    writeFileSync(`${meta}.${process.pid}.tmp`, out.trim().split('\n').pop()!);
    renameSync(tmp, onnx);
    renameSync(`${meta}.${process.pid}.tmp`, meta);
  }
  return { onnx, ...(JSON.parse(readFileSync(meta, 'utf8')) as { templates: Record<string, string>; features: number }) };
}

/** A fresh folder with `m.onnx` and its card; returns the model's path (InferenceEngine.open({ model })). */
export function abstainingModel(o: AbstainingOptions = {}): string {
  const shipped = JSON.parse(readFileSync(SHIPPED_CARD, 'utf8')) as Record<string, unknown> & { preprocessing: { size: number } };
  const g = graph(shipped.preprocessing.size);
  const dir = mkdtempSync(path.join(tmpdir(), 'lunglens-abstaining-'));
  const model = path.join(dir, 'm.onnx');
  copyFileSync(g.onnx, model);
  const card: Record<string, unknown> = {
    ...shipped,
    name: 'abstaining-fixture',
    file: 'm.onnx',
    sha256: createHash('sha256').update(readFileSync(model)).digest('hex'),
    outputs: { ...(shipped['outputs'] as object), features: { dtype: 'float32', shape: [1, g.features] } },
    probabilityCalibration: { kind: 'temperature', temperature: o.temperature ?? 1.5 },
    ood: {
      kind: 'mahalanobis-ppca', feature: 'features', dimension: g.features,
      classMeans: { 'phantom/non-covid': new Array<number>(g.features).fill(0) },
      eigenvectors: [Array.from({ length: g.features }, (_, i) => (i === 0 ? 1 : 0))], eigenvalues: [1], residualVariance: 1,
      threshold: o.oodThreshold ?? 1e9,
    },
    inputChecks: {
      maxSliceSpacingMm: 5, minLungVolumeMl: 0, maxNormalAngleDeg: 30, minBodyFractionOutsideLung: 0, bodyHuFloor: -500, uncalibrated: 'indeterminate',
      ...o.inputChecks,
    },
    abstention: { reasons: Object.entries(g.templates).map(([code, message]) => ({ code, message })), golden: [] },
  };
  delete card['golden']; // the shipped model's golden outputs are not this graph's
  writeFileSync(path.join(dir, 'm.card.json'), JSON.stringify(card, null, 1));
  return model;
}

/**
 * The bundled model with a card that has no abstention blocks (as every card before them): a fresh
 * folder with `m.onnx` and its card; returns the model's path. It answers covid / non-covid only.
 * `preprocessing` replaces the card's block (e.g. to ask for a crop).
 */
export function modelWithoutAbstention(preprocessing?: object): string {
  const shipped = JSON.parse(readFileSync(SHIPPED_CARD, 'utf8')) as Record<string, unknown> & { file: string };
  const dir = mkdtempSync(path.join(tmpdir(), 'lunglens-answering-'));
  const model = path.join(dir, 'm.onnx');
  copyFileSync(path.join(path.dirname(SHIPPED_CARD), shipped.file), model);
  const card: Record<string, unknown> = { ...shipped, file: 'm.onnx', ...(preprocessing ? { preprocessing } : {}) };
  for (const block of ['probabilityCalibration', 'ood', 'inputChecks', 'abstention']) delete card[block];
  writeFileSync(path.join(dir, 'm.card.json'), JSON.stringify(card, null, 1));
  return model;
}
