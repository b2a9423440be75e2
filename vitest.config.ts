import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    // `.autoglm/` is a state directory left by a local `npm start`: its bundle cache links back
    // here (through a node_modules folder, which is why those are excluded at every depth).
    exclude: ['**/node_modules/**', 'test/bench/**', '.autoglm/**'],
    // Integration tests start redis-server and worker processes; on a 2-core machine running
    // files one at a time keeps them from starving each other.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
});
