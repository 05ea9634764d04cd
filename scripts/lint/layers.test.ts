// The layer rule on imports a reviewer would refuse: each is an error that names the boundary,
// and the imports the layers are built on pass.
import path from 'node:path';
import { Linter } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';
import { layersPlugin } from './layers.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const linter = new Linter({ configType: 'flat' });

/** The rule's messages for `code` as if it were the file `file` (a path in the project). */
function lint(file: string, code: string): string[] {
  return linter.verify(code, [{
    files: ['**/*.ts'],
    languageOptions: { parser: tseslint.parser as Linter.Parser },
    plugins: { layers: layersPlugin },
    rules: { 'layers/allowed-imports': 'error' },
  }], path.join(ROOT, file)).map((m) => m.message);
}

describe('the layer rule', () => {
  it('refuses what a layer does not name, saying why', () => {
    expect(lint('src/core/scan/x.ts', "import { app } from 'electron';")[0]).toMatch(/src\/core.*no Electron/);
    expect(lint('src/core/scan/x.ts', "import { API } from '../../shared/api.js';")[0]).toMatch(/may not import src\/shared\/api\.ts/);
    expect(lint('src/shared/x.ts', "import fs from 'node:fs';")[0]).toMatch(/no Node built-in/);
    expect(lint('src/renderer/stores/x.ts', "import { LocalBackend } from '../../backend/backend.js';")[0]).toMatch(/only through src\/renderer\/api/);
    expect(lint('src/renderer/stores/x.ts', "import { readSeries } from '../../core/ingest/read-series.js';")[0]).toMatch(/declared pure/);
    expect(lint('src/preload/x.ts', "import { dispatch } from '../backend/dispatch.js';")[0]).toMatch(/preload runs sandboxed/);
    expect(lint('src/core/enhance/tone-map.ts', "import fs from 'node:fs';")[0]).toMatch(/declared pure/);
  });

  it('keeps views off the API client and folders with an index entered through it', () => {
    expect(lint('src/renderer/components/X.ts', "import { api } from '../api/client.js';")[0]).toMatch(/is a view/);
    expect(lint('src/renderer/components/X.test.ts', "import { setApi } from '../api/client.js';")).toEqual([]);
    expect(lint('src/cli/x.ts', "import { findLungs } from '../core/lung/lung-mask.js';")[0]).toMatch(/entered only through src\/core\/lung\/index\.ts/);
  });

  it('lets each layer import what it names', () => {
    expect(lint('src/renderer/stores/x.ts', "import { topSlices } from '../../core/model/top-slices.js';\nimport { api } from '../api/client.js';\nimport { defineStore } from 'pinia';")).toEqual([]);
    expect(lint('src/backend/x.ts', "import { AnalysisPools } from '../core/analysis/index.js';\nimport { API } from '../shared/api.js';\nimport path from 'node:path';")).toEqual([]);
    expect(lint('src/core/lung/x.ts', "import { findLungs } from './lung-mask.js';")).toEqual([]);
    expect(lint('src/renderer/stores/x.test.ts', "import { LocalBackend } from '../../backend/backend.js';\nimport { it } from 'vitest';")).toEqual([]);
  });
});
