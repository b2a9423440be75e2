import { RegExpRouter } from 'hono/router/reg-exp-router';
import { describe, expect, it } from 'vitest';
import { TokenVerifier } from '../auth/index.ts';
import { createApp } from './app.ts';
import { allPartsDeps } from './app-deps-stub.ts';

const verifier = new TokenVerifier({ secret: 'app-router-test-secret-0123456789abcdef' });

const deps = allPartsDeps(verifier);

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

describe('a request no route takes', () => {
  const send = async (method: string, path: string) => {
    const token = await verifier.mint({ sub: 'ann', roles: ['admin'] });
    const r = await createApp(deps).request(path, { method, headers: { authorization: `Bearer ${token}` } });
    return { status: r.status, allow: r.headers.get('allow'), problem: await r.json() };
  };

  it('answers 405 with Allow listing the methods the path takes', async () => {
    const wrong = await send('GET', '/v1/functions/echo/invoke');
    expect([wrong.status, wrong.allow]).toEqual([405, 'POST']);
    expect(wrong.problem).toMatchObject({ code: 'METHOD_NOT_ALLOWED', title: 'Method Not Allowed', detail: '/v1/functions/echo/invoke does not take GET; it takes POST' });
    expect(await send('PUT', '/v1/jobs/echo.m3x9k2a1b4c5')).toMatchObject({ status: 405, allow: 'DELETE, GET, HEAD' });
    expect(await send('DELETE', '/v1/jobs/echo.m3x9k2a1b4c5/retry')).toMatchObject({ status: 405, allow: 'POST' });
  });

  it('answers 404 for a path no route takes with any method', async () => {
    const r = await send('GET', '/v1/nothing-here');
    expect([r.status, r.allow, r.problem.code]).toEqual([404, null, 'ROUTE_NOT_FOUND']);
  });
});
