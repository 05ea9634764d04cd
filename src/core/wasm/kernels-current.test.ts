import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');

interface BuildScript {
  KERNELS: Record<string, { wat: string; out: string }>;
  assemble(wat: string, filename?: string): Promise<Uint8Array>;
  tsSource(bytes: Uint8Array, kernel: string): string;
}

describe('the generated WebAssembly modules', () => {
  it('each kernel’s .wasm.ts holds exactly the module its .wat assembles to', async (ctx) => {
    try {
      await import('wabt');
    } catch {
      ctx.skip('wabt is not installed, so the .wat files cannot be assembled here');
    }
    // A computed specifier: the script is plain JavaScript outside the TypeScript project.
    const build = (await import(pathToFileURL(join(root, 'scripts/build-wasm.mjs')).href)) as BuildScript;
    for (const [name, k] of Object.entries(build.KERNELS)) {
      const bytes = await build.assemble(readFileSync(join(root, k.wat), 'utf8'), k.wat.split('/').pop());
      expect(readFileSync(join(root, k.out), 'utf8'), `${k.out} is stale: run node scripts/build-wasm.mjs`).toBe(build.tsSource(bytes, name));
    }
  });
});
