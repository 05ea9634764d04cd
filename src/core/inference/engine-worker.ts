/**
 * The inference worker: holds one onnxruntime session and runs the passes of a volume, so that no
 * caller's event loop ever waits for the network. Inputs arrive as views on SharedArrayBuffers
 * (nothing large is copied through messages); each pass gathers its interleaved slices.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { openSession, type ProviderPreference, type ProviderReport } from './execution-provider.js';

export interface OpenTask {
  modelPath: string;
  provider: ProviderPreference;
  threads: number;
}

export interface OpenResult {
  provider: ProviderReport;
  inputNames: string[];
  outputNames: string[];
  /** Input shapes as the graph declares them (symbolic dimensions as strings). */
  inputShapes: Record<string, (number | string)[]>;
}

export interface RunTask {
  /** [N,1,S,S] float32 and [N,1,S,S] {0,1} on shared memory. */
  slices: Float32Array;
  masks: Uint8Array;
  size: number;
  /** The slice indices of each pass (interleaved strategy), each in index order. */
  passes: number[][];
}

export interface RunResult {
  /** `features` only where the graph has that output (models whose card has an OOD model). */
  passes: { logits: number[]; attention: number[]; features?: number[] }[];
  ms: number;
}

let current: { key: string; session: ort.InferenceSession; info: OpenResult } | null = null;

function cudaLibrary(): string | null {
  try {
    const binding = path.dirname(createRequire(import.meta.url).resolve('onnxruntime-node'));
    const dir = path.join(binding, '..', 'bin', 'napi-v6', process.platform, process.arch);
    const file = path.join(dir, process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so');
    return existsSync(file) ? file : null;
  } catch {
    return null;
  }
}

export async function open(task: OpenTask): Promise<OpenResult> {
  const key = JSON.stringify(task);
  if (current?.key === key) return current.info;
  await current?.session.release();
  current = null;
  ort.env.logLevel = 'fatal'; // a failed CUDA start is reported in the result, not printed on stderr
  const { session, provider } = await openSession({ create: (p, o) => ort.InferenceSession.create(p, o), cudaLibrary }, task.modelPath, task.provider, task.threads);
  const inputShapes: Record<string, (number | string)[]> = {};
  for (const meta of session.inputMetadata) {
    if (meta.isTensor) inputShapes[meta.name] = meta.shape.map((d) => d);
  }
  const info: OpenResult = { provider, inputNames: [...session.inputNames], outputNames: [...session.outputNames], inputShapes };
  current = { key, session, info };
  return info;
}

export async function run(task: RunTask): Promise<RunResult> {
  if (!current) throw new Error('no model is open in the inference worker');
  const area = task.size * task.size;
  const started = performance.now();
  const out: RunResult['passes'] = [];
  for (const pass of task.passes) {
    const n = pass.length;
    const slices = new Float32Array(n * area);
    const masks = new Float32Array(n * area);
    pass.forEach((k, j) => {
      slices.set(task.slices.subarray(k * area, (k + 1) * area), j * area);
      const m = task.masks.subarray(k * area, (k + 1) * area);
      for (let i = 0, o = j * area; i < area; i++, o++) masks[o] = m[i]!;
    });
    const dims = [n, 1, task.size, task.size];
    const result = await current.session.run({ slices: new ort.Tensor('float32', slices, dims), masks: new ort.Tensor('float32', masks, dims) });
    const features = result['features'];
    out.push({
      logits: Array.from(result['logits']!.data as Float32Array),
      attention: Array.from(result['attention']!.data as Float32Array),
      ...(features ? { features: Array.from(features.data as Float32Array) } : {}),
    });
  }
  return { passes: out, ms: performance.now() - started };
}

export async function close(): Promise<void> {
  await current?.session.release();
  current = null;
}
