import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // dist/ is built once, before any file runs (the CLI and package-name tests need it).
    globalSetup: ['test/global-setup.ts'],
    // Integration tests start real servers on loopback; keep files in separate workers
    // but bound parallelism to the 2 cores CI machines have.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
});
