import { defineConfig } from 'vitest/config';

/** Tests that start redis-server, router and worker processes, a browser: the slow, heavy files. */
const integration = ['test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts'];
// `.autoglm/` is a state directory left by a local `npm start`: its bundle cache links back here
// (through a node_modules folder, which is why those are excluded at every depth).
const excluded = ['**/node_modules/**', 'test/bench/**', '.autoglm/**'];

export default defineConfig({
  test: {
    // Two files at a time (vitest's default on 2 cores is one): the unit files (beside their
    // sources, and test/functions) first, then the integration files. Those spend most of their
    // time waiting on a crash, a hang, a lock or a failover they caused, not on the CPU: two at
    // a time took the suite from 13:32 to 8:29 on a 2-core VM with no test failing (the slowest
    // test, a real Sentinel failover, read 35 s either way), and every wait is on an event, so a
    // busier machine makes a test slower, not wrong.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default'],
    projects: [
      { extends: true, test: { name: 'unit', include: ['**/*.test.ts'], exclude: [...excluded, ...integration], sequence: { groupOrder: 0 } } },
      { extends: true, test: { name: 'integration', include: integration, exclude: excluded, sequence: { groupOrder: 1 } } },
    ],
  },
});
