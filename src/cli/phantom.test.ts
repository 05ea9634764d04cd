import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './test-support.js';

const root = mkdtempSync(path.join(tmpdir(), 'lunglens-cli-phantom-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('lunglens phantom --format png', () => {
  it('writes each case as a folder of 8-bit slices in the window asked for, with either realism', async () => {
    for (const realism of ['v1', 'v2']) {
      const out = path.join(root, `png-${realism}`);
      const r = await runCli('phantom', '--out', out, '--count', '1', '--seed', 'cli-png', '--realism', realism, '--size', '96', '--slices', '20..20', '--format', 'png', '--window', 'mediastinal');
      expect(r.code, r.stderr).toBe(0);
      const labels = JSON.parse(readFileSync(path.join(out, 'labels.json'), 'utf8')) as { generator: Record<string, unknown>; cases: { path: string; truth?: { window: string } }[] };
      expect(labels.generator).toMatchObject({ format: 'png', window: 'mediastinal' });
      expect(labels.generator.realism).toBe(realism === 'v2' ? 'v2' : undefined);
      const c = labels.cases[0]!;
      expect(c.truth?.window).toBe('mediastinal');
      expect(readdirSync(path.join(out, c.path))).toHaveLength(20);
    }
  });

  it('refuses --format png with --background, with a sentence, before writing anything', async () => {
    const out = path.join(root, 'inserted');
    const r = await runCli('phantom', '--out', out, '--count', '1', '--seed', 'x', '--background', root, '--format', 'png');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('--format png writes generated phantoms only');
    expect(() => readdirSync(out)).toThrow();
  });
});
