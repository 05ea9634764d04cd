import { afterAll, describe, expect, it } from 'vitest';
import { computeLungMask, syntheticChest } from '../lung/index.js';
import { DEFAULT_LUNG_CROP, DEFAULT_PREPROCESSING } from '../model/defaults.js';
import { inputRegion } from '../model/lung-crop.js';
import { volumeTensors } from '../model/volume-tensors.js';
import { Volume } from '../volume/volume.js';
import { ComputePool } from './compute-pool.js';
import { maskInputs, type MaskInputsTask } from './compute-worker.js';

/** The volume with its voxels in shared memory, as the ingest hands them over. */
function shared(volume: Volume): Volume {
  const voxels = new Int16Array(new SharedArrayBuffer(volume.voxels.length * 2));
  voxels.set(volume.voxels);
  return Volume.create({ dimensions: volume.dimensions, spacingMm: volume.spacingMm, originLps: volume.originLps, direction: volume.direction, voxels, units: volume.units });
}

function task(volume: Volume, size = 64): MaskInputsTask {
  const n = volume.dimensions[2];
  return {
    volume: { dimensions: volume.dimensions, spacingMm: volume.spacingMm, originLps: volume.originLps, direction: volume.direction, voxels: volume.voxels, units: volume.units },
    size,
    masks: new Uint8Array(new SharedArrayBuffer(n * size * size)),
    lungMask: new Uint8Array(new SharedArrayBuffer(volume.voxels.length)),
  };
}

describe('the lung mask on two threads', () => {
  const pool = new ComputePool(2);
  afterAll(() => pool.close());

  it('gives the same mask, model input and measures as on one thread, to the byte', async () => {
    for (const chest of [
      syntheticChest({ airways: false }), // 3.1 mm pixels: the volume's own grid
      syntheticChest({ dimensions: [320, 320, 24], spacingMm: [0.9, 0.9, 10], z0Mm: 0, bodyMm: [135, 100], lungScale: 0.75, airways: false }), // the 2 × 2 grid
    ]) {
      const volume = shared(chest.volume);
      const one = task(volume);
      const two = task(volume);
      const alone = maskInputs(one);
      const split = await pool.maskInputs(two);
      expect(alone.ok && split.ok).toBe(true);
      if (!alone.ok || !split.ok) continue;
      expect(split.lungVolumeMl).toBe(alone.lungVolumeMl);
      expect(split.slicesWithLung).toBe(alone.slicesWithLung);
      expect(alone.lungVolumeMl).toBeGreaterThan(500);
      expect(Buffer.from(two.masks!).equals(Buffer.from(one.masks!))).toBe(true);
      expect(Buffer.from(two.lungMask!).equals(Buffer.from(one.lungMask!))).toBe(true);
    }
  });

  it('refuses a volume without lungs with the same code and sentence', async () => {
    const volume = shared(syntheticChest({ lungs: false }).volume);
    const alone = maskInputs(task(volume));
    const split = await pool.maskInputs(task(volume));
    expect(split.ok).toBe(false);
    expect(alone.ok).toBe(false);
    if (split.ok || alone.ok) return;
    expect(split.code).toBe('no-lung-found');
    expect(split.message).toBe(alone.message);
  });

  it('makes a cropping model\'s inputs, mask first and then both tensors over the lungs, as prepare does on one thread', async () => {
    const volume = shared(syntheticChest({ dimensions: [200, 200, 20], spacingMm: [2.2, 2.2, 5], z0Mm: 0, bodyMm: [135, 100], lungScale: 0.75, airways: false }).volume);
    const pre = { ...DEFAULT_PREPROCESSING, size: 64, crop: DEFAULT_LUNG_CROP };
    const expected = volumeTensors(volume, computeLungMask(volume).dilatedMask, pre);
    const n = volume.dimensions[2];
    for (const split of [true, false]) {
      const mask = task(volume, pre.size);
      delete mask.masks; // a cropping model's mask input waits for the region
      const dilatedMask = new Uint8Array(new SharedArrayBuffer(volume.voxels.length));
      const found = split ? await pool.maskInputs({ ...mask, dilatedMask }) : maskInputs({ ...mask, dilatedMask });
      expect(found.ok).toBe(true);
      const slices = new Float32Array(new SharedArrayBuffer(n * 64 * 64 * 4));
      const masks = new Uint8Array(new SharedArrayBuffer(n * 64 * 64));
      const region = inputRegion(volume, dilatedMask, pre);
      expect(region).toBeDefined();
      await pool.croppedInputs({ volume: mask.volume, preprocessing: pre, dilatedMask, region, slices, masks });
      expect(Buffer.from(masks).equals(Buffer.from(expected.masks))).toBe(true);
      expect(Buffer.from(slices.buffer).equals(Buffer.from(expected.slices.buffer))).toBe(true);
    }
  });
});
