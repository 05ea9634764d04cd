// ESLint: TypeScript rules plus the layer rule of DESIGN.md §1, as errors with messages that
// explain why an import crosses a boundary (VS Code-style layering made mechanical).
import js from '@eslint/js';
import { builtinModules } from 'node:module';
import globals from 'globals';
import pluginVue from 'eslint-plugin-vue';
import tseslint from 'typescript-eslint';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

/** A no-restricted-imports rule from lists of [patterns, message]. */
function layerRule(...groups) {
  return {
    'no-restricted-imports': [
      'error',
      { patterns: groups.map(([group, message]) => ({ group, message })) },
    ],
  };
}

const electronAndUi = ['electron', 'vue', 'pinia', 'three', 'three/*', '@vue/*'];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'training/**', 'out/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { parserOptions: { projectService: { allowDefaultProject: ['scripts/*.ts'] }, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  ...pluginVue.configs['flat/recommended'].map((c) => ({ ...c, files: ['src/renderer/**/*.vue'] })),
  {
    // Vue single-file components: TypeScript inside <script setup>, without type-aware rules
    // (vue-tsc type-checks them in `npm run typecheck`).
    files: ['src/renderer/**/*.vue'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { parserOptions: { parser: tseslint.parser, projectService: false, extraFileExtensions: ['.vue'] }, globals: globals.browser },
    rules: {
      ...tseslint.configs.disableTypeChecked.rules,
      'vue/max-attributes-per-line': 'off',
      'vue/singleline-html-element-content-newline': 'off',
      'vue/multiline-html-element-content-newline': 'off',
      'vue/html-self-closing': 'off',
      'vue/first-attribute-linebreak': 'off',
      'vue/html-closing-bracket-newline': 'off',
      'vue/html-indent': 'off',
      'vue/attributes-order': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', 'vitest.config.ts', 'vite.config.ts', 'playwright.config.ts'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { ...tseslint.configs.disableTypeChecked.languageOptions, globals: globals.node, parserOptions: { projectService: false } },
  },
  {
    files: ['src/core/**/*.ts'],
    rules: layerRule(
      [electronAndUi, 'src/core is the pure domain and pipeline shared by the app, the CLI and the server: no Electron, DOM, Vue, Pinia or three.js here (DESIGN.md §1). Put UI code in src/renderer and window/IPC code in src/main.'],
      [['**/main/**', '**/renderer/**', '**/preload/**', '**/cli/**', '**/shared/**'], 'src/core sits at the bottom of the layers and must not depend on the app, the CLI or the API contract built on top of it (DESIGN.md §1): pass what it needs as arguments instead.'],
    ),
  },
  {
    files: ['src/shared/**/*.ts'],
    rules: layerRule(
      [nodeBuiltins, 'src/shared is the API contract (schemas + types) loaded by the renderer and the preload too: no Node built-ins (DESIGN.md §1).'],
      [[...electronAndUi, '**/core/**', '**/main/**', '**/renderer/**', '**/preload/**', '**/cli/**'], 'src/shared holds only the API contract (zod schemas and their types); it depends on nothing of ours (DESIGN.md §1).'],
    ),
  },
  {
    files: ['src/preload/**/*.ts', 'src/preload/**/*.cts'],
    rules: layerRule(
      [nodeBuiltins, 'The preload runs sandboxed: it builds one narrow API from src/shared and has no Node access (DESIGN.md §1, STYLE.md).'],
      [['**/core/**', '**/main/**', '**/renderer/**', '**/cli/**', 'vue', 'pinia', 'three'], 'The preload only exposes the contract from src/shared over IPC; it holds no logic and imports nothing else of ours (DESIGN.md §1).'],
    ),
  },
  {
    files: ['src/renderer/**/*.ts', 'src/renderer/**/*.vue'],
    rules: layerRule(
      [[...nodeBuiltins, 'electron'], 'The renderer runs in a browser sandbox (Electron renderer or plain Chromium against `lunglens serve`): no Node built-ins or Electron. Ask the backend through src/renderer/api (DESIGN.md §1).'],
      [['**/core/ingest/**', '**/core/dicom/**', '**/core/dicom-results/**', '**/core/dicom-node/**', '**/core/network/**', '**/core/formats/**', '**/core/testing/**', '**/backend/**', '**/main/**', '**/preload/**', '**/cli/**'], 'The renderer never imports core I/O modules, the backend, the main process or the CLI: it talks to the backend only through its api/ module and the contract in src/shared (DESIGN.md §1).'],
    ),
  },
  {
    // The stores' tests run them against the real backend in-process (src/backend/in-process-transport.ts).
    files: ['src/renderer/**/*.test.ts'],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    files: ['src/backend/**/*.ts'],
    rules: layerRule(
      [[...electronAndUi, '**/main/**', '**/renderer/**', '**/preload/**', '**/cli/**'], 'src/backend implements the API contract over src/core for both transports (Electron IPC and `lunglens serve`): no Electron, UI, renderer or CLI imports (DESIGN.md §1).'],
    ),
  },
  {
    files: ['src/main/**/*.ts'],
    rules: layerRule(
      [['**/renderer/**', '**/cli/**', 'vue', 'pinia', 'three'], 'The main process is a thin shell over src/core: it must not import the renderer or the CLI (DESIGN.md §1).'],
    ),
  },
  {
    files: ['src/cli/**/*.ts'],
    rules: layerRule(
      [[...electronAndUi, '**/main/**', '**/renderer/**', '**/preload/**'], 'The CLI runs in plain Node on the same src/core as the app: no Electron or UI imports (DESIGN.md §1).'],
    ),
  },
);
