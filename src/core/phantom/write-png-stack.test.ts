import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseLabels } from '../dataset/labels.js';
import { readImageStack } from '../formats/index.js';
import { writePhantoms } from './write-phantoms.js';

const root = mkdtempSync(path.join(tmpdir(), 'lunglens-png-phantoms-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** The chunk types of a PNG file, in order. */
function chunks(png: Buffer): string[] {
  const out: string[] = [];
  for (let p = 8; p < png.length; ) {
    const length = png.readUInt32BE(p);
    out.push(png.toString('latin1', p + 4, p + 8));
    p += 12 + length;
  }
  return out;
}

describe('phantoms written as 8-bit PNG stacks', () => {
  it('write one folder of slices per case, no spacing in the files, the truth in labels.json', async () => {
    const out = path.join(root, 'mediastinal');
    const labels = await writePhantoms({ out, count: 2, seed: 'png', size: 128, slices: [24, 24], format: 'png', window: 'mediastinal' });
    expect(labels.generator).toMatchObject({ format: 'png', window: 'mediastinal' });
    const c = labels.cases[0]!;
    const files = readdirSync(path.join(out, c.path)).sort();
    expect(files).toHaveLength(24);
    expect(files[0]).toBe('slice-0001.png');
    const png = readFileSync(path.join(out, c.path, files[0]!));
    // Grey 8-bit, and no pHYs (pixel size) chunk: the reader must estimate the spacing.
    expect(png[24]).toBe(8);
    expect(png[25]).toBe(0);
    expect(chunks(png)).not.toContain('pHYs');
    expect(c.truth?.spacingMm[0]).toBeCloseTo(c.spec.pixelSpacingMm, 4);
    expect(c.truth?.lungVolumeMl).toBeGreaterThan(0);
    expect(c.truth?.window).toBe('mediastinal');

    // The labels match the stacks by path, as for every series without a SeriesInstanceUID.
    const parsed = parseLabels(readFileSync(path.join(out, 'labels.json'), 'utf8'), out);
    expect(parsed.find('', path.join(out, c.path))?.label).toBe(c.label);

    const r = await readImageStack(files.map((f) => path.join(out, c.path, f)));
    expect(r.volume.assumedWindow?.basis?.rendering).toBe('soft-tissue');
    expect(r.volume.dimensions).toEqual([128, 128, 24]);
  });
});
