import type { Context, MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import type { AnsweredCall, InvocationMode, RouterMetrics } from '../metrics/index.ts';
import type { AppEnv } from './app-deps.ts';

/** Methods kept as they are; any other becomes `OTHER`, so a caller cannot mint new series. */
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** The invocation routes, by method and pattern. */
const INVOCATIONS: Readonly<Record<string, InvocationMode>> = {
  'POST /v1/functions/:name/invoke': 'sync',
  'POST /v1/functions/:name/jobs': 'async',
};

/**
 * The pattern of the route that matched (`/v1/jobs/:id`): the last matched route that is not
 * middleware (`app.use` registers method `ALL`). Known even when middleware answered first
 * (a 401). `unmatched` when no route did (a 404 for an unknown path).
 */
function routeOf(c: Context): string {
  const routes = matchedRoutes(c);
  for (let i = routes.length - 1; i >= 0; i--) {
    if (routes[i]!.method !== 'ALL') return routes[i]!.path;
  }
  return 'unmatched';
}

/** `X-Cache` of an answer (set by the invoke route for a version that declares `cache`), as metrics count it. */
function cacheOutcome(header: string | null): 'hit' | 'miss' | undefined {
  return header === 'hit' || header === 'miss' ? header : undefined;
}

export interface RequestMetricsOptions {
  /** Whether a function of this name is deployed: calls of unknown names are not counted as invocations. */
  isFunction: (name: string) => boolean;
  /** Told of every answered invocation (the per-minute rollups the console charts) [nobody]. */
  onCall?: (call: AnsweredCall) => void;
}

/**
 * Middleware recording every answer in `metrics`: count and duration by method, route pattern
 * and status; for the invocation routes also the function, the version that answered
 * (`X-Function-Version`), the mode and the outcome. Mount it first, so it times the whole request.
 */
export function requestMetrics(metrics: RouterMetrics, opts: RequestMetricsOptions): MiddlewareHandler<AppEnv> {
  return async function requestMetricsMiddleware(c, next) {
    const started = performance.now();
    await next();
    const method = METHODS.has(c.req.method) ? c.req.method : 'OTHER';
    const route = routeOf(c);
    const status = c.res.status;
    const mode = INVOCATIONS[`${method} ${route}`];
    // Segment 3 of /v1/functions/<name>[@version]/…; a name no function has is not counted.
    const fn = mode ? c.req.path.split('/')[3]?.split('@')[0] : undefined;
    const inputs = c.get('inputCount') ?? 1;
    const cache = cacheOutcome(c.res.headers.get('x-cache'));
    const invocation = mode && fn && opts.isFunction(fn) ? { function: fn, version: c.res.headers.get('x-function-version') ?? '', mode, inputs, ...(cache ? { cache } : {}) } : undefined;
    const seconds = (performance.now() - started) / 1000;
    metrics.record({ method, route, status, seconds, ...(invocation ? { invocation } : {}) });
    if (invocation) opts.onCall?.({ function: invocation.function, version: invocation.version, mode: invocation.mode, status, seconds, inputs, ...(cache ? { cache } : {}) });
  };
}
