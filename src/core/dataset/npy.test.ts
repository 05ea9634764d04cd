import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { npyHeader, parseNpy, writeNpy } from './npy.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'lunglens-npy-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** numpy, when this machine has it: an independent reader of what we write. */
const numpy = spawnSync('python3', ['-c', 'import numpy'], { encoding: 'utf8' }).status === 0;

describe('npy writer', () => {
  it('writes the version 1.0 header numpy writes, padded so the data starts at a multiple of 64', () => {
    const header = npyHeader('<f4', [3, 1, 4, 4]);
    expect(header.length % 64).toBe(0);
    expect([...header.subarray(0, 8)]).toEqual([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
    expect(header.readUInt16LE(8)).toBe(header.length - 10);
    const dict = header.subarray(10).toString('latin1');
    expect(dict).toMatch(/^\{'descr': '<f4', 'fortran_order': False, 'shape': \(3, 1, 4, 4\), \} *\n$/);
    expect(npyHeader('|u1', [5]).subarray(10).toString('latin1')).toMatch(/'shape': \(5,\), \}/);
  });

  it('round-trips float32 and uint8 arrays of any shape', async () => {
    const floats = Float32Array.from({ length: 2 * 1 * 3 * 3 }, (_, i) => (i - 7) / 3);
    const bytes = Uint8Array.from({ length: 18 }, (_, i) => i % 2);
    await writeNpy(path.join(root, 'f.npy'), floats, [2, 1, 3, 3]);
    await writeNpy(path.join(root, 'u.npy'), bytes, [18]);
    const f = parseNpy(readFileSync(path.join(root, 'f.npy')));
    expect(f).toMatchObject({ descr: '<f4', fortranOrder: false, shape: [2, 1, 3, 3] });
    expect(f.dataOffset % 64).toBe(0);
    expect([...f.data]).toEqual([...floats]);
    const u = parseNpy(readFileSync(path.join(root, 'u.npy')));
    expect(u).toMatchObject({ descr: '|u1', shape: [18] });
    expect([...u.data]).toEqual([...bytes]);
    // Atomic: nothing but the two files is left in the folder.
    expect(readdirSync(root).sort()).toEqual(['f.npy', 'u.npy']);
  });

  it('refuses a shape that does not hold the array', async () => {
    await expect(writeNpy(path.join(root, 'bad.npy'), new Float32Array(5), [2, 2])).rejects.toThrow(/holds 4 values/);
    expect(readdirSync(root)).not.toContain('bad.npy');
  });

  it.skipIf(!numpy)('is read by numpy with the same dtype, shape and values (skipped without python3 + numpy)', async () => {
    const floats = Float32Array.from({ length: 2 * 1 * 5 * 7 }, (_, i) => Math.sin(i) * 1000);
    const file = path.join(root, 'numpy.npy');
    await writeNpy(file, floats, [2, 1, 5, 7]);
    const script = [
      'import json, sys, numpy as np',
      'a = np.load(sys.argv[1])',
      'print(json.dumps({"dtype": a.dtype.str, "shape": list(a.shape), "c": bool(a.flags["C_CONTIGUOUS"]), "last": float(a[1, 0, 4, 6]), "sum": float(a.sum(dtype=np.float64))}))',
    ].join('\n');
    const r = spawnSync('python3', ['-c', script, file], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const seen = JSON.parse(r.stdout) as { dtype: string; shape: number[]; c: boolean; last: number; sum: number };
    expect(seen).toMatchObject({ dtype: '<f4', shape: [2, 1, 5, 7], c: true, last: floats[69] });
    expect(seen.sum).toBeCloseTo(floats.reduce((a, b) => a + b, 0), 6);
  });
});
