import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import type { EvaluationReport } from '../core/evaluate/evaluate.js';
import { runCli as run } from './test-support.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'lunglens-evaluate-cli-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

const write = (name: string, value: unknown) => {
  const file = path.join(root, name);
  writeFileSync(file, typeof value === 'string' ? value : JSON.stringify(value));
  return file;
};

const labels = write('labels.json', {
  cases: [
    { id: 'case-0001', seriesInstanceUid: '1.2.1', label: 'covid', slicePositive: [false, true, true] },
    { id: 'case-0002', seriesInstanceUid: '1.2.2', label: 'non-covid', slicePositive: [false, false] },
  ],
});
const item = (uid: string, probability: number, sliceAttention: number[], slicePositive: boolean[]) => ({
  id: uid, seriesInstanceUid: uid, path: `/scans/${uid}`, status: 'ok', probability, verdict: probability >= 0.5 ? 'covid' : 'non-covid',
  threshold: 0.5, sliceAttention, slicePositive, lungVolumeMl: 4000, timingsMs: { total: 1 },
});

describe('lunglens evaluate', () => {
  it('prints the report as JSON, writes it with --out and exits 0', async () => {
    const results = write('results.json', {
      model: { name: 'm', version: '1', sha256: '', executionProvider: 'cpu' },
      items: [item('1.2.1', 0.8, [0.2, 0.5, 0.3], [false, true, false]), item('1.2.2', 0.3, [0.5, 0.5], [false, false]), item('7.7', 0.9, [1], [true])],
    });
    const out = path.join(root, 'reports', 'report.json');
    const { code, stdout } = await run('evaluate', '--results', results, '--labels', labels, '--out', out);
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as Record<string, unknown>;
    expect(Object.keys(report)).toEqual(['volume', 'slice', 'sliceScore', 'unmatched', 'errors', 'sliceExcluded', 'labelsWithoutResult']);
    expect(report.volume).toMatchObject({ count: 2, tp: 1, fp: 0, tn: 1, fn: 0, acc: 1, pre: 1, f1: 1, sen: 1, spe: 1, auc: 1, indeterminate: 0, indeterminateRate: 0 });
    // one study of each kind: right on both, yet the intervals say how little that shows
    const { ci95 } = report.volume as EvaluationReport['volume'];
    expect(ci95.auc).toBeNull();
    expect(ci95.sen![0]).toBeCloseTo(0.2065, 4);
    expect(ci95.spe![1]).toBe(1);
    // Slices: truth F T T | F F, predicted F T F | F F; scores 0.48 1.2 0.72 | 0.3 0.3.
    expect(report.slice).toMatchObject({ count: 5, tp: 1, fp: 0, tn: 3, fn: 1, pre: 1, sen: 0.5, spe: 1, auc: 1 });
    expect(report.unmatched).toEqual([{ id: '7.7', seriesInstanceUid: '7.7', path: '/scans/7.7', reason: 'no-label' }]);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual(report);
  });

  it('counts the volumes of one patient as one cluster when labels.json names the patient of every series', async () => {
    // three patients, each scanned once with lesions inserted and once without
    const uids = ['5.1', '5.2', '5.3', '5.4', '5.5', '5.6'];
    const byPatient = write('labels-patients.json', { cases: uids.map((uid, i) => ({ id: `case-${i}`, seriesInstanceUid: uid, label: i % 2 === 0 ? 'covid' : 'non-covid', patient: `patient-${i >> 1}` })) });
    const results = write('results-patients.json', { model: {}, items: uids.map((uid, i) => item(uid, [0.9, 0.2, 0.7, 0.4, 0.35, 0.3][i]!, [1], [i % 2 === 0])) });
    const { code, stdout } = await run('evaluate', '--results', results, '--labels', byPatient);
    expect(code).toBe(0);
    const { ci95 } = (JSON.parse(stdout) as EvaluationReport).volume;
    expect(ci95.patients).toBe(3);
    expect(ci95.method).toMatch(/^95 %: volumes of one patient counted as one cluster \(3 patients\) — AUC by Obuchowski's clustered DeLong/);
    expect(Object.keys(ci95)).toEqual(['auc', 'sen', 'spe', 'method', 'patients']);
  });

  it('scores a scan where the model gave no answer for every volume: AUC from the probabilities, no accuracy, exit 0', async () => {
    const abstained = (i: ReturnType<typeof item>) => ({ ...i, verdict: 'indeterminate', slicePositive: i.slicePositive.map(() => false), oodScore: 50, reasons: [{ code: 'out-of-distribution', message: 'Unlike the training scans.' }] });
    const results = write('abstained.json', { model: {}, items: [abstained(item('1.2.1', 0.8, [0.2, 0.5, 0.3], [false, true, false])), abstained(item('1.2.2', 0.3, [0.5, 0.5], [false, false]))] });
    const { code, stdout } = await run('evaluate', '--results', results, '--labels', labels);
    expect(code).toBe(0);
    expect((JSON.parse(stdout) as { volume: unknown }).volume).toMatchObject({ count: 0, acc: null, auc: 1, indeterminate: 2, indeterminateRate: 1 });
  });

  it('exits 2 when no item matches a label, and 1 with a sentence on a file that is not a result', async () => {
    const none = write('none.json', { model: {}, items: [item('9.9', 0.5, [1], [true])] });
    const r = await run('evaluate', '--results', none, '--labels', labels);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toMatchObject({ volume: { count: 0, acc: null, auc: null }, labelsWithoutResult: 2 });
    const bad = await run('evaluate', '--results', write('bad.json', '{"items": 3}'), '--labels', labels);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/lunglens evaluate: bad\.json is not a scan result/);
    const missing = await run('evaluate', '--results', path.join(root, 'absent.json'), '--labels', labels);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/cannot be read/);
  });
});
