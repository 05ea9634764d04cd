/**
 * Memory of the lung mask on a long 512² volume, measured in a process of its own (peak RSS
 * counts everything a process ever held, so it cannot share one with other tests). The target
 * size, 1,000 slices of 512² (262 M voxels, 500 MB of HU), measured with
 * `node --expose-gc --import tsx scripts/measure-lung-memory.ts`: peak RSS 659 MB before the
 * mask, 991 MB after (+332 MB, 1.3 bytes per voxel), 9 s. Here 200 slices keep the test short.
 */
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const script = join(dirname(fileURLToPath(import.meta.url)), '../../../scripts/measure-lung-memory.ts');

describe('lung mask memory', () => {
  it('grows the peak RSS by under 3 bytes per voxel on 512 × 512 × 200 (it returns two Uint8 masks)', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--expose-gc', '--import', 'tsx', script, '--slices', '50', '--repeat', '4', '--json'], { maxBuffer: 1 << 20 });
    const m = JSON.parse(stdout.trim().split('\n').pop()!) as { status: string; voxels: number; peakGrowthBytesPerVoxel: number };
    expect(m.status).toBe('ok');
    expect(m.voxels).toBe(512 * 512 * 200);
    expect(m.peakGrowthBytesPerVoxel).toBeLessThan(3);
  }, 120_000);
});
