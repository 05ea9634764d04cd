// The layers of DESIGN.md §1 as an allowlist: each layer names the layers and the packages it may
// import, and anything else is an error with a sentence that says why (VS Code-style layering made
// mechanical). A folder with an index.ts is entered only through it. Used by eslint.config.js.
import { existsSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../..');
const NODE = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);

/**
 * Core modules the contract and the renderer may import: pure functions and schemas with no I/O
 * and no Node, declared here. A module on this list imports only modules on it (and zod), and is
 * imported directly, not through its folder's index (which would bring the folder's I/O with it).
 */
export const PURE_CORE = ['src/core/analysis/series-result.ts', 'src/core/enhance/tone-map.ts', 'src/core/model/top-slices.ts'];

/** The renderer's views: they reach the backend only through stores and composables. */
const VIEWS = /^src\/renderer\/(components\/|App\.vue$)/;

/** Packages test files may import besides their layer's. */
const TEST_PACKAGES = ['vitest', 'fast-check', '@vue/test-utils'];

/**
 * Per layer: the folder, the layers it may import (itself included), the packages it may import
 * (`node` for Node's built-ins; `pkg/*` for subpaths too), and why — the sentence an error shows.
 */
export const LAYERS = {
  shared: {
    folder: 'src/shared/', may: ['shared', 'pure'], packages: ['zod'],
    why: 'src/shared is the API contract (zod schemas and their types), loaded by the renderer and the preload too: it depends on nothing of ours but the core modules declared pure in scripts/lint/layers.js, and on no Node built-in (DESIGN.md §1).',
  },
  core: {
    folder: 'src/core/', may: ['core'],
    packages: ['node', 'zod', 'piscina', 'onnxruntime-node', 'better-sqlite3', 'dicom-parser', 'dcmjs-dimse', '@cornerstonejs/*', 'jpeg-js', 'nifti-reader-js', 'pngjs', 'csv-parse', 'wabt'],
    why: 'src/core is the domain and the pipeline shared by the app, the CLI and the server: it sits at the bottom of the layers, with no Electron, DOM, Vue or UI, and imports nothing built on top of it (the backend, the contract, the CLI). Pass what it needs as arguments (DESIGN.md §1).',
  },
  backend: {
    folder: 'src/backend/', may: ['backend', 'core', 'shared'], packages: ['node', 'zod'],
    why: 'src/backend implements the API contract over src/core for both transports (Electron IPC and `lunglens serve`): no Electron, UI, renderer or CLI (DESIGN.md §1).',
  },
  main: {
    folder: 'src/main/', may: ['main', 'backend', 'core', 'shared'], packages: ['node', 'electron'],
    why: 'The Electron main process is a thin shell that routes to the backend: no renderer, UI or CLI code (DESIGN.md §1).',
  },
  preload: {
    folder: 'src/preload/', may: ['preload', 'shared'], packages: ['electron'],
    why: 'The preload runs sandboxed: it exposes one narrow API built from src/shared over IPC, with no Node access and no logic (DESIGN.md §1, STYLE.md).',
  },
  renderer: {
    folder: 'src/renderer/', may: ['renderer', 'shared', 'pure'], packages: ['vue', 'pinia', 'three', 'three/*', 'zod'],
    why: 'The renderer runs in a browser sandbox (the Electron window, or Chromium against `lunglens serve`): it reaches the backend only through src/renderer/api and the contract in src/shared, and uses only the core modules declared pure in scripts/lint/layers.js (DESIGN.md §1).',
  },
  cli: {
    folder: 'src/cli/', may: ['cli', 'core', 'backend', 'shared'], packages: ['node', 'commander', 'cli-progress', 'cli-table3'],
    why: 'The CLI runs in plain Node over the same core and backend as the app: no Electron or UI (DESIGN.md §1).',
  },
  bench: {
    folder: 'src/bench/', may: ['bench', 'core'], packages: ['node'],
    why: 'The benchmarks measure src/core as the CLI runs it: they import core and Node only.',
  },
};

/** What else a layer's tests may import: the stores are tested against the real backend in-process. */
const TEST_MAY = {
  renderer: { layers: ['backend', 'core'], packages: ['node'] },
  main: { layers: [], packages: ['js-yaml', 'minimatch', 'builder-util', 'app-builder-lib'] },
  cli: { layers: [], packages: ['pngjs'] },
};

const relative = (file) => path.relative(ROOT, file).split(path.sep).join('/');

function layerOf(rel) {
  if (PURE_CORE.includes(rel)) return 'pure';
  for (const [name, layer] of Object.entries(LAYERS)) if (rel.startsWith(layer.folder)) return name;
  return null;
}

/** Pure core modules belong to core too. */
const inLayer = (target, allowed) => allowed.includes(target) || (target === 'pure' && allowed.includes('core'));

function packageAllowed(spec, packages) {
  if (NODE.has(spec)) return packages.includes('node');
  return packages.some((p) => (p.endsWith('/*') ? spec === p.slice(0, -2) || spec.startsWith(p.slice(0, -1)) : spec === p || spec.startsWith(`${p}/`)));
}

/** The source file a relative specifier names (`./x.js` is `./x.ts` in the sources). */
function resolveSource(fromFile, spec) {
  const target = path.resolve(path.dirname(fromFile), spec);
  for (const candidate of [target.replace(/\.js$/, '.ts'), target.replace(/\.cjs$/, '.cts'), target, `${target}.ts`]) if (existsSync(candidate)) return candidate;
  return target;
}

/** The outermost folder with an index.ts that holds `target` but not `fromFile`, when `target` is not that index. */
function bypassedIndex(fromFile, target) {
  const parts = relative(target).split('/');
  for (let i = 1; i < parts.length; i++) {
    const folder = path.join(ROOT, ...parts.slice(0, i));
    const index = path.join(folder, 'index.ts');
    if (!existsSync(index) || target === index || PURE_CORE.includes(relative(target))) continue;
    if (!fromFile.startsWith(folder + path.sep)) return relative(index);
  }
  return null;
}

const rule = {
  meta: { type: 'problem', schema: [], docs: { description: 'Each layer imports only what it names (DESIGN.md §1); folders with an index.ts are entered through it.' } },
  create(context) {
    const file = context.filename;
    const rel = relative(file);
    const own = layerOf(rel);
    const isTest = /(\.test|test-support)\.ts$/.test(file) || rel.startsWith('src/core/testing/') || rel.includes('/__tests__/');
    const check = (node, spec) => {
      if (typeof spec !== 'string') return;
      if (spec.startsWith('.')) {
        const target = resolveSource(file, spec);
        const index = bypassedIndex(file, target);
        if (index) context.report({ node, message: `${relative(target)} is inside a folder entered only through ${index}: import from it (its index says what the folder offers, so its insides can change).` });
        if (!own) return;
        // A view's test sets the page's client (the view itself only uses stores and composables).
        if (VIEWS.test(rel) && !isTest && relative(target).startsWith('src/renderer/api/')) {
          context.report({ node, message: `${rel} is a view: it reaches the backend through a store or a composable (src/renderer/stores, src/renderer/composables), which owns each request's state, never through src/renderer/api itself (STYLE.md).` });
        }
        const theirs = layerOf(relative(target));
        if (!theirs || theirs === own) return;
        const allowed = own === 'pure' ? ['pure'] : [...LAYERS[own].may, ...(isTest ? TEST_MAY[own]?.layers ?? [] : [])];
        if (!inLayer(theirs, allowed)) {
          const why = own === 'pure' ? 'A core module declared pure (scripts/lint/layers.js) imports only other pure modules: the contract and the renderer load it.' : LAYERS[own].why;
          context.report({ node, message: `${rel} (${own}) may not import ${relative(target)} (${theirs}). ${why}` });
        }
        return;
      }
      if (!own) return;
      const packages = own === 'pure' ? ['zod'] : [...LAYERS[own].packages, ...(isTest ? [...TEST_PACKAGES, ...(TEST_MAY[own]?.packages ?? [])] : [])];
      if (!packageAllowed(spec, packages)) {
        const why = own === 'pure' ? 'A core module declared pure (scripts/lint/layers.js) imports no package but zod and no Node built-in: the contract and the renderer load it.' : LAYERS[own].why;
        context.report({ node, message: `${rel} (${own}) may not import "${spec}". ${why} (The packages each layer may use are listed in scripts/lint/layers.js.)` });
      }
    };
    return {
      ImportDeclaration: (node) => check(node, node.source.value),
      ExportNamedDeclaration: (node) => node.source && check(node, node.source.value),
      ExportAllDeclaration: (node) => check(node, node.source.value),
      ImportExpression: (node) => node.source.type === 'Literal' && check(node, node.source.value),
    };
  },
};

export const layersPlugin = { rules: { 'allowed-imports': rule } };
