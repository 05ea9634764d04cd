#!/usr/bin/env node
// Runs an ONNX model in onnxruntime-node (the runtime the app uses) on inputs written by Python,
// so the export can be checked against PyTorch without a Python onnxruntime.
//
//   node training/onnx_run.mjs JOB.json
//
// JOB.json: { "model": "m.onnx", "runs": [ { "inputs": { "<name>": { "file": "x.bin", "dims": [..] } },
//             "outputs": "prefix" } ] }
// Inputs are raw little-endian float32. For each run and output name, writes `<prefix>.<name>.bin`
// (float32) and prints one JSON line per run: { "outputs": { "<name>": { "file", "dims" } }, "ms" }.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(resolve(dirname(fileURLToPath(import.meta.url)), '..', 'package.json'));
const ort = require('onnxruntime-node');

const jobPath = process.argv[2];
if (!jobPath) {
  process.stderr.write('usage: node training/onnx_run.mjs JOB.json\n');
  process.exit(1);
}
const job = JSON.parse(readFileSync(jobPath, 'utf8'));
const base = dirname(resolve(jobPath));
const at = (p) => resolve(base, p);

const session = await ort.InferenceSession.create(at(job.model), { executionProviders: ['cpu'], graphOptimizationLevel: 'all' });
for (const run of job.runs) {
  const feeds = {};
  for (const [name, input] of Object.entries(run.inputs)) {
    const bytes = readFileSync(at(input.file));
    const data = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    feeds[name] = new ort.Tensor('float32', data, input.dims);
  }
  const start = performance.now();
  const results = await session.run(feeds);
  const ms = performance.now() - start;
  const outputs = {};
  for (const [name, tensor] of Object.entries(results)) {
    const file = `${run.outputs}.${name}.bin`;
    const data = tensor.data;
    writeFileSync(at(file), Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    outputs[name] = { file, dims: Array.from(tensor.dims, Number) };
  }
  process.stdout.write(JSON.stringify({ outputs, ms }) + '\n');
}
