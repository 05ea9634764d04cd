import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { valueSha256 } from '../../ingest/checksum.js';
import { inspectPaths } from '../../ingest/inspect.js';
import { Volume } from '../../volume/volume.js';
import { seededRandom } from '../../util/seeded-random.js';
import { uidGenerator } from './uid.js';
import { writeVolumeAsCtSeries, type CtSeriesIdentity } from './ct-series.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'lunglens-ctseries-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function rampVolume(): Volume {
  const [nx, ny, nz] = [20, 14, 7];
  const voxels = new Int16Array(nx * ny * nz);
  for (let i = 0; i < voxels.length; i++) voxels[i] = -1024 + ((i * 37) % 3000);
  return Volume.create({
    dimensions: [nx, ny, nz], spacingMm: [0.7, 0.7, 1.25], originLps: [-10, 20, -300],
    direction: [1, 0, 0, 0, 1, 0, 0, 0, 1], voxels, units: 'HU',
  });
}

describe('writeVolumeAsCtSeries', () => {
  const uid = uidGenerator({ random: seededRandom('ct-series') });
  const identity = (): CtSeriesIdentity => ({
    studyInstanceUid: uid(), seriesInstanceUid: uid(), frameOfReferenceUid: uid(), patientName: 'Test^Ramp', patientId: 'RAMP',
    studyDescription: 'ramp', seriesDescription: 'ramp', seriesNumber: 3, studyDate: '20200401', studyTime: '120000',
  });

  it.each([
    ['unsigned 12-bit, intercept −1024', { signed: false, bitsStored: 12, slope: 1, intercept: -1024 }],
    ['signed 16-bit, intercept 0', { signed: true, bitsStored: 16, slope: 1, intercept: 0 }],
  ])('writes a series that reads back with the same geometry and every value (%s)', async (_, storage) => {
    const volume = rampVolume();
    const dir = path.join(root, storage.signed ? 'signed' : 'unsigned');
    const written = await writeVolumeAsCtSeries(volume, dir, {
      identity: identity(), storage, uid, random: seededRandom(1), fileNames: 'shuffled', instanceNumbers: 'shuffled',
    });
    expect(readdirSync(dir)).toHaveLength(7);
    const { series, rejected } = await inspectPaths([dir], { checksum: true, workers: 1 });
    expect(rejected).toEqual([]);
    expect(series).toHaveLength(1);
    const s = series[0]!;
    expect(s.files).toEqual(written.files);
    expect(s.dimensions).toEqual([20, 14, 7]);
    expect(s.spacingMm.map((v) => +v.toFixed(6))).toEqual([0.7, 0.7, 1.25]);
    expect(s.originLps).toEqual([-10, 20, -300]);
    expect(s.valueSha256).toBe(await valueSha256(volume.voxels));
  });

  it('refuses a value the storage cannot hold instead of clamping it silently', async () => {
    const volume = rampVolume();
    volume.voxels[5] = -2000;
    await expect(writeVolumeAsCtSeries(volume, path.join(root, 'bad'), {
      identity: identity(), storage: { signed: false, bitsStored: 12, slope: 1, intercept: -1024 }, uid, random: seededRandom(2),
    })).rejects.toThrow(/outside the unsigned 12-bit range/);
  });
});
