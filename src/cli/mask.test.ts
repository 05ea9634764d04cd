import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { readNifti, writeNifti } from '../core/formats/index.js';
import { syntheticChest } from '../core/lung/index.js';
import { runCli as run } from './test-support.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'lunglens-mask-cli-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

describe('lunglens mask', () => {
  it('writes the lung mask on the volume grid and prints its volume', async () => {
    const chest = syntheticChest();
    const input = path.join(root, 'chest.nii.gz');
    await writeNifti(input, { geometry: chest.volume, data: chest.volume.voxels });
    const out = path.join(root, 'mask.nii.gz');
    const { code, stdout } = await run('mask', input, '--out', out, '--json');
    expect(code).toBe(0);
    const printed = JSON.parse(stdout) as { lungVolumeMl: number; slicesWithLung: number };
    const mask = (await readNifti(out)).volume;
    expect(mask.dimensions).toEqual(chest.volume.dimensions);
    mask.originLps.forEach((v, i) => expect(v).toBeCloseTo(chest.volume.originLps[i]!, 3));
    const voxelMl = chest.volume.spacingMm.reduce((a, b) => a * b, 1) / 1000;
    const inMask = mask.voxels.reduce((n, v) => n + (v ? 1 : 0), 0);
    expect(printed.lungVolumeMl).toBeCloseTo(inMask * voxelMl, 0);
    expect(printed.slicesWithLung).toBeGreaterThan(0);
    const dilated = path.join(root, 'dilated.nii.gz');
    expect((await run('mask', input, '--out', dilated, '--dilated')).code).toBe(0);
    const grown = (await readNifti(dilated)).volume.voxels.reduce((n, v) => n + (v ? 1 : 0), 0);
    expect(grown).toBeGreaterThan(inMask);
  });

  it('exits 2 with a sentence when the scan holds no lung', async () => {
    const chest = syntheticChest({ lungs: false });
    const input = path.join(root, 'abdomen.nii.gz');
    await writeNifti(input, { geometry: chest.volume, data: chest.volume.voxels });
    const { code, stdout } = await run('mask', input, '--out', path.join(root, 'none.nii.gz'), '--json');
    expect(code).toBe(2);
    expect(JSON.parse(stdout)).toMatchObject({ status: 'no-lung-found', reason: expect.stringMatching(/lung/i) });
  });
});
