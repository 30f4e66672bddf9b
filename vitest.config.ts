import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // One real Temporal dev server and one set of workflow bundles for the whole run (test/setup/README.md).
    globalSetup: ['test/setup/global-setup.ts'],
    setupFiles: ['test/setup/quiet-runtime.ts'],
    // Forks, not threads: the Temporal worker's native runtime and signal handling want a process each.
    pool: 'forks',
    // Two cores on CI; more workers only contend.
    maxWorkers: 2,
    fileParallelism: true,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    teardownTimeout: 60_000,
  },
});
