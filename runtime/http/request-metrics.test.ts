import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { parseExposition, sampleValue } from '../../test/harness/exposition.ts';
import { RouterMetrics, formatExposition } from '../metrics/index.ts';
import { UnauthorizedError } from '../auth/index.ts';
import { problemResponse } from './problem.ts';
import { requestMetrics } from './request-metrics.ts';

/** An app shaped like the router's: metrics first, auth on /v1, the invocation routes, problem errors. */
function makeApp() {
  const metrics = new RouterMetrics();
  const app = new Hono();
  app.use('*', requestMetrics(metrics, { isFunction: (name) => name === 'echo' }));
  app.use('/v1/*', async (c, next) => {
    if (c.req.header('authorization') !== 'ok') throw new UnauthorizedError('a bearer token is required');
    await next();
  });
  app.post('/v1/functions/:name/invoke', (c) => {
    c.header('x-function-version', 'abcdef012345');
    const cache = c.req.header('x-test-cache');
    if (cache) c.header('x-cache', cache);
    return c.json({ ok: true }, 200);
  });
  app.post('/v1/functions/:name/jobs', (c) => c.json({ id: 'x' }, 202));
  app.get('/v1/jobs/:id', (c) => c.json({ id: c.req.param('id') }, 200));
  app.notFound((c) => c.json({}, 404));
  app.onError((err, c) => problemResponse(c, err));
  const scrape = () => parseExposition(formatExposition(metrics.collect()));
  return { app, scrape };
}

const auth = { headers: { authorization: 'ok' } };

describe('requestMetrics', () => {
  it('labels requests with the route pattern, never the raw path', async () => {
    const { app, scrape } = makeApp();
    for (const id of ['echo.aaaaaaaa', 'echo.bbbbbbbb', 'echo.cccccccc']) await app.request(`/v1/jobs/${id}`, auth);
    await app.request('/no/such/path/1');
    await app.request('/no/such/path/2');
    const p = scrape();
    expect(sampleValue(p, 'autoglm_http_requests_total', { method: 'GET', route: '/v1/jobs/:id', status: '200' })).toBe(3);
    expect(sampleValue(p, 'autoglm_http_requests_total', { method: 'GET', route: 'unmatched', status: '404' })).toBe(2);
    expect(sampleValue(p, 'autoglm_http_request_duration_seconds_count', { method: 'GET', route: '/v1/jobs/:id' })).toBe(3);
    expect(JSON.stringify(p.samples)).not.toContain('echo.aaaaaaaa');
  });

  it('knows the route of a request refused by middleware, and counts it with its status', async () => {
    const { app, scrape } = makeApp();
    expect((await app.request('/v1/functions/echo/invoke', { method: 'POST' })).status).toBe(401);
    const p = scrape();
    expect(sampleValue(p, 'autoglm_http_requests_total', { method: 'POST', route: '/v1/functions/:name/invoke', status: '401' })).toBe(1);
    expect(sampleValue(p, 'autoglm_invocations_total', { function: 'echo', version: '', mode: 'sync', outcome: '4xx' })).toBe(1);
  });

  it('counts invocations by function, version, mode and outcome; unknown functions and methods mint no series', async () => {
    const { app, scrape } = makeApp();
    await app.request('/v1/functions/echo/invoke', { method: 'POST', ...auth });
    await app.request('/v1/functions/echo@abcdef012345/invoke', { method: 'POST', ...auth });
    await app.request('/v1/functions/echo/jobs', { method: 'POST', ...auth });
    await app.request('/v1/functions/made-up-name/invoke', { method: 'POST', ...auth });
    await app.request('/v1/jobs/x', { method: 'BREW' });
    const p = scrape();
    expect(sampleValue(p, 'autoglm_invocations_total', { function: 'echo', version: 'abcdef012345', mode: 'sync', outcome: 'ok' })).toBe(2);
    expect(sampleValue(p, 'autoglm_invocations_total', { function: 'echo', version: '', mode: 'async', outcome: 'ok' })).toBe(1);
    expect(p.samples.filter((s) => s.name === 'autoglm_invocations_total')).toHaveLength(2);
    // Sync calls only: an async call's answer says when the job was queued, not when it ran.
    const synced = { function: 'echo', version: 'abcdef012345', outcome: 'ok' };
    expect(sampleValue(p, 'autoglm_invocation_duration_seconds_count', synced)).toBe(2);
    expect(sampleValue(p, 'autoglm_invocation_duration_seconds_bucket', { ...synced, le: '+Inf' })).toBe(2);
    expect(p.samples.filter((s) => s.name === 'autoglm_invocation_duration_seconds_count')).toHaveLength(1);
    expect(sampleValue(p, 'autoglm_http_requests_total', { method: 'POST', route: '/v1/functions/:name/invoke', status: '200' })).toBe(3);
    expect(sampleValue(p, 'autoglm_http_requests_total', { method: 'OTHER', route: 'unmatched', status: '401' })).toBe(1);
  });

  it('counts result cache hits and misses by function (X-Cache), and no series for a call the cache was not asked about', async () => {
    const { app, scrape } = makeApp();
    const call = (cache?: string) => app.request('/v1/functions/echo/invoke', { method: 'POST', headers: { ...auth.headers, ...(cache ? { 'x-test-cache': cache } : {}) } });
    await call('hit');
    await call('hit');
    await call('miss');
    await call();
    await call('bogus');
    const p = scrape();
    expect(sampleValue(p, 'autoglm_result_cache_hits_total', { function: 'echo' })).toBe(2);
    expect(sampleValue(p, 'autoglm_result_cache_misses_total', { function: 'echo' })).toBe(1);
    expect(sampleValue(p, 'autoglm_invocations_total', { function: 'echo', version: 'abcdef012345', mode: 'sync', outcome: 'ok' })).toBe(5);
  });
});
