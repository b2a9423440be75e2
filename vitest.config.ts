import { defineConfig } from 'vitest/config';

/** Tests that start redis-server, router and worker processes, a browser: the slow, heavy files. */
const integration = ['test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts'];
// `.autoglm/` is a state directory left by a local `npm start`: its bundle cache links back here
// (through a node_modules folder, which is why those are excluded at every depth).
const excluded = ['**/node_modules/**', 'test/bench/**', '.autoglm/**'];

export default defineConfig({
  test: {
    // The unit files (beside their sources, and test/functions) run two at a time first (vitest's
    // default on 2 cores is one); then the integration files one at a time: on a 2-core machine
    // their processes would starve each other's, and the tests that wait on a crash, a hang or a
    // failover would wait longer than they mean to.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default'],
    projects: [
      { extends: true, test: { name: 'unit', include: ['**/*.test.ts'], exclude: [...excluded, ...integration], sequence: { groupOrder: 0 } } },
      { extends: true, test: { name: 'integration', include: integration, exclude: excluded, fileParallelism: false, sequence: { groupOrder: 1 } } },
    ],
  },
});
