import { RegExpRouter } from 'hono/router/reg-exp-router';
import { describe, expect, it } from 'vitest';
import { createApp } from './app.ts';
import type { AppDeps } from './app-deps.ts';

/** Every optional part on, so every route is registered; only what building the app touches is real. */
const deps = {
  bodyLimit: 1024,
  bundleLimit: 1024,
  knowledge: { maxBytes: 1024 },
  auditLog: {},
  log: {},
  driftCounts: {},
  rollouts: {},
  callRollups: { rollups: {} },
  feedback: {},
  trainings: {},
  webhookKeys: {},
  loginCodes: {},
  queueBoard: { boardQueues: { sync: () => undefined }, sessions: {}, sessionTtlMs: 60_000, secureCookie: false },
  functions: { list: () => [] },
} as unknown as AppDeps;

describe("the API's routes", () => {
  it("all fit Hono's RegExpRouter, so no request falls back to the slower trie router", () => {
    const app = createApp(deps);
    const router = new RegExpRouter<string>();
    for (const r of app.routes) router.add(r.method, r.path, r.path);
    // The router compiles its matchers on the first match, and throws there for a route it cannot take.
    expect(() => router.match('GET', '/v1/functions')).not.toThrow();
    expect(app.routes.some((r) => r.path.startsWith('/console/queues'))).toBe(true);
  });
});
