import { defineConfig } from 'vitest/config';
import vue from '@vitejs/plugin-vue';

const shared = {
  setupFiles: ['test/support/setup.ts'],
  // Simulator runs are CPU-bound; a generous timeout keeps shared, noisy CI machines green
  // without hiding hangs (a hang still fails after a minute).
  testTimeout: 60_000,
  pool: 'threads' as const,
};

export default defineConfig({
  test: {
    projects: [
      // The core, the peers, the main process and the command line; component and store tests
      // (test/renderer, with `// @vitest-environment jsdom`) import .vue files.
      { plugins: [vue()], test: { ...shared, name: 'node', include: ['test/**/*.test.ts'], exclude: ['test/e2e/**', '**/node_modules/**'] } },
      // The window in Debian's Chromium, against real peers: one file at a time (each runs a
      // browser and a cluster), after one build of the window.
      {
        test: {
          ...shared,
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          globalSetup: ['test/e2e/support/global-setup.ts'],
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
