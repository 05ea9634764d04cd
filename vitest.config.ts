import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  plugins: [vue()],
  test: {
    include: ['src/**/*.test.ts', 'scripts/**/*.test.ts'],
    // Every test's temporary files go to one folder per run, removed at its end.
    globalSetup: ['./src/core/testing/run-tmpdir.ts'],
    // Ingestion tests read real files and spawn worker threads: two cores, so keep it calm.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
