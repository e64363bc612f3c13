import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/support/setup.ts'],
    // Simulator runs are CPU-bound; a generous timeout keeps shared, noisy CI machines green
    // without hiding hangs (a hang still fails after a minute).
    testTimeout: 60_000,
    pool: 'threads',
  },
});
