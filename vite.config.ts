import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vite';

// The reading room (src/renderer) → dist/renderer, loaded by Electron from file:// and served by
// `lunglens serve`: relative asset paths, no inline scripts (the pages' CSP forbids them).
export default defineConfig({
  root: 'src/renderer',
  base: './',
  plugins: [vue()],
  build: { outDir: '../../dist/renderer', emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 1500, modulePreload: { polyfill: false } },
});
