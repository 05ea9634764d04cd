// ESLint: TypeScript rules plus the layer rule of DESIGN.md §1 (scripts/lint/layers.js): each
// layer names what it may import, with messages that explain why an import crosses a boundary.
import js from '@eslint/js';
import globals from 'globals';
import pluginVue from 'eslint-plugin-vue';
import tseslint from 'typescript-eslint';
import { layersPlugin } from './scripts/lint/layers.js';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'training/**', 'out/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // The scripts have no tsconfig of their own: each is a default-project file, and there are more
    // than typescript-eslint's default limit of 8.
    languageOptions: { parserOptions: { projectService: { allowDefaultProject: ['scripts/*.ts', 'scripts/lint/*.ts'], maximumDefaultProjectFileMatchCount_THIS_WILL_SLOW_DOWN_LINTING: 16 }, tsconfigRootDir: import.meta.dirname } },
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
    // The layers as an allowlist (scripts/lint/layers.js): what each may import, and folders with
    // an index.ts entered only through it.
    files: ['src/**/*.ts', 'src/**/*.cts', 'src/**/*.vue', 'e2e/**/*.ts', 'scripts/**/*.ts'],
    plugins: { layers: layersPlugin },
    rules: { 'layers/allowed-imports': 'error' },
  },
);
