/**
 * What one route match costs the router, on the API's app as `createApp` builds it (every route
 * registered) against the same app with the queue board's routes added to it, as they were
 * before the board ran as an app of its own: bull-board's routes put Hono's SmartRouter on its
 * trie router for every request. Standalone: `npx tsx test/bench/route-match-bench.ts`.
 */
import type { Hono } from 'hono';
import type { AppDeps } from '../../runtime/http/app-deps.ts';
import { createApp } from '../../runtime/http/app.ts';
import { queueBoardRoutes } from '../../runtime/http/routes/queue-board-routes.ts';

/** Every optional part on; only what building the app touches is real. */
const deps = {
  bodyLimit: 1024, bundleLimit: 1024, knowledge: { maxBytes: 1024 }, auditLog: {}, log: {}, driftCounts: {}, rollouts: {}, callRollups: { rollups: {} },
  feedback: {}, trainings: {}, webhookKeys: {}, loginCodes: {}, functions: { list: () => [] },
  queueBoard: { boardQueues: { sync: () => undefined }, sessions: {}, sessionTtlMs: 60_000, secureCookie: false },
} as unknown as AppDeps;

const now = createApp(deps) as unknown as Hono;
const before = createApp(deps) as unknown as Hono;
before.route('/', queueBoardRoutes({ ...(deps.queueBoard as object), functions: deps.functions, verifier: {} } as unknown as Parameters<typeof queueBoardRoutes>[0]) as unknown as Hono);

const N = 200_000;
for (const [name, app] of [['board behind one wildcard (now)', now], ['board routes in the app (before)', before]] as const) {
  const router = app.router;
  router.match('POST', '/v1/functions/risk-scoring/invoke'); // compiles the matchers
  const t = process.hrtime.bigint();
  for (let i = 0; i < N; i++) router.match('POST', '/v1/functions/risk-scoring/invoke');
  process.stdout.write(`${name}: ${router.name}, ${(Number(process.hrtime.bigint() - t) / N / 1000).toFixed(2)} µs per match\n`);
}
