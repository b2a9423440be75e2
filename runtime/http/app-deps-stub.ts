import type { TokenVerifier } from '../auth/index.ts';
import type { AppDeps } from './app-deps.ts';

/**
 * For tests of the app's shape (its routes, its OpenAPI document): deps with every optional part
 * on, so every route is registered, and only what building the app touches real. A request that
 * reaches a route's handler finds stubs, so such tests stop at the middleware in front of it.
 */
export function allPartsDeps(verifier: TokenVerifier): AppDeps {
  return {
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
    functions: { list: () => [], get: () => undefined },
    verifier,
  } as unknown as AppDeps;
}
