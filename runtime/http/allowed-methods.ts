import { RegExpRouter } from 'hono/router/reg-exp-router';

/** A route as `app.routes` lists it. */
interface RouteEntry {
  method: string;
  path: string;
}

/**
 * The methods an app's routes take at a path, for a 405's `Allow`: each route's pattern matched
 * against the path. Middleware (`ALL`) is no route of any method; HEAD comes with GET, as Hono
 * answers it. The matcher is built on the first question, when every route is registered (the
 * router compiles once and takes no routes after); only a request no route took asks.
 */
export function allowedMethods(routes: readonly RouteEntry[]): (path: string) => string[] {
  let matcher: { router: RegExpRouter<true>; methods: string[] } | undefined;
  return function allowedAt(path) {
    matcher ??= compile(routes);
    const { router, methods } = matcher;
    const allowed = methods.filter((m) => router.match(m, path)[0].length > 0);
    return allowed.includes('GET') ? [...allowed, 'HEAD'] : allowed;
  };
}

function compile(routes: readonly RouteEntry[]): { router: RegExpRouter<true>; methods: string[] } {
  const router = new RegExpRouter<true>();
  const methods = new Set<string>();
  const added = new Set<string>();
  for (const { method, path } of routes) {
    const key = `${method} ${path}`;
    if (method === 'ALL' || added.has(key)) continue;
    added.add(key);
    methods.add(method);
    router.add(method, path, true);
  }
  return { router, methods: [...methods].sort() };
}
