import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findSamples, parseExposition, sampleValue, type ParsedExposition } from '../harness/exposition.ts';
import { eventually, startPlatform, type TestPlatform } from '../harness/platform.ts';
import { startTestRedis, type TestRedis } from '../harness/redis.ts';

let redis: TestRedis;
let p: TestPlatform;
let scraper: string;

beforeAll(async () => {
  redis = await startTestRedis();
  p = await startPlatform(redis.url);
  // What a Prometheus server would be given: a viewer of every namespace.
  scraper = await p.router.verifier.mint({ sub: 'prometheus', roles: ['viewer'], namespaces: ['*'] });
});
afterAll(async () => {
  await p?.stop();
  await redis?.destroy();
});

async function scrape(token = scraper): Promise<ParsedExposition> {
  const res = await fetch(`${p.url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseExposition(await res.text());
}

const INVOKE = { method: 'POST', route: '/v1/functions/:name/invoke' };

describe('GET /metrics', () => {
  it('counts each synchronous invocation once, in the request counter, the histogram and the invocation counter', async () => {
    const before = await scrape();
    const n = 5;
    const versions = new Set<string | null>();
    for (let i = 0; i < n; i++) {
      const r = await p.call('POST', '/v1/functions/echo/invoke', { input: { i } });
      expect(r.status).toBe(200);
      versions.add(r.headers.get('x-function-version'));
    }
    const after = await scrape();
    expect(versions.size).toBe(1);
    const version = [...versions][0]!;
    const delta = (name: string, labels: Record<string, string>) => sampleValue(after, name, labels) - sampleValue(before, name, labels);
    expect(delta('autoglm_http_requests_total', { ...INVOKE, status: '200' })).toBe(n);
    expect(delta('autoglm_http_request_duration_seconds_count', INVOKE)).toBe(n);
    expect(sampleValue(after, 'autoglm_http_request_duration_seconds_bucket', { ...INVOKE, le: '+Inf' })).toBe(sampleValue(after, 'autoglm_http_request_duration_seconds_count', INVOKE));
    expect(delta('autoglm_http_request_duration_seconds_sum', INVOKE)).toBeGreaterThan(0);
    expect(version).toMatch(/^[0-9a-f]{12}$/);
    expect(delta('autoglm_invocations_total', { function: 'echo', version, mode: 'sync', outcome: 'ok' })).toBe(n);
    // The raw path (with its job ids or pinned versions) never becomes a label.
    expect(after.samples.some((s) => Object.values(s.labels).some((v) => v.startsWith('/v1/functions/echo')))).toBe(false);
  });

  it('counts failed and asynchronous calls by version, mode and outcome', async () => {
    const before = await scrape();
    const failed = await p.call('POST', '/v1/functions/echo/invoke', { input: { fail: 'fatal' } });
    expect(failed.status).toBe(500);
    const version = failed.headers.get('x-function-version');
    // The version that failed is named on the problem response too, so errors can be told apart by version.
    expect(version).toMatch(/^[0-9a-f]{12}$/);
    expect((await p.call('POST', '/v1/functions/echo/jobs', { input: {} })).status).toBe(202);
    expect((await p.call('POST', '/v1/functions/nope/invoke', { input: {} })).status).toBe(404);
    const after = await scrape();
    const delta = (labels: Record<string, string>) => sampleValue(after, 'autoglm_invocations_total', labels) - sampleValue(before, 'autoglm_invocations_total', labels);
    expect(delta({ function: 'echo', version: version!, mode: 'sync', outcome: '5xx' })).toBe(1);
    expect(delta({ function: 'echo', version: version!, mode: 'async', outcome: 'ok' })).toBe(1);
    expect(findSamples(after, 'autoglm_invocations_total', { function: 'nope' })).toEqual([]);
    expect(sampleValue(after, 'autoglm_http_requests_total', { ...INVOKE, status: '404' })).toBe(1);
  });

  it('counts the inputs of bulk jobs in autoglm_invocation_inputs_total', async () => {
    const before = await scrape();
    expect((await p.call('POST', '/v1/functions/echo/jobs', { inputs: [{}, {}, {}] })).status).toBe(202);
    const one = await p.call('POST', '/v1/functions/echo/jobs', { input: {} });
    const after = await scrape();
    const labels = { function: 'echo', version: one.headers.get('x-function-version')!, mode: 'async' };
    const delta = (name: string, l: Record<string, string>) => sampleValue(after, name, l) - sampleValue(before, name, l);
    expect(delta('autoglm_invocation_inputs_total', labels)).toBe(4);
    expect(delta('autoglm_invocations_total', { ...labels, outcome: 'ok' })).toBe(2);
  });

  it('labels every worker series with the backend /readyz reports', async () => {
    const ready = (await p.call('GET', '/readyz')).json;
    expect(ready.workers.length).toBeGreaterThan(0);
    const m = await scrape();
    for (const w of ready.workers as { id: string; device: string; backend: string }[]) {
      const labels = { worker: w.id, device: w.device, backend: w.backend };
      expect(sampleValue(m, 'autoglm_worker_up', labels)).toBe(1);
      expect(findSamples(m, 'autoglm_worker_jobs_done_total', labels)).toHaveLength(1);
      expect(findSamples(m, 'autoglm_worker_rss_bytes', labels)[0]!.value).toBeGreaterThan(0);
    }
    for (const name of ['autoglm_worker_inflight', 'autoglm_worker_batches_total', 'autoglm_worker_tensors', 'autoglm_worker_models_loaded', 'autoglm_worker_restarts']) {
      const s = findSamples(m, name);
      expect(s.length, name).toBe(ready.workers.length);
      for (const x of s) expect(['wasm', 'cpu', 'tensorflow']).toContain(x.labels.backend);
    }
  });

  it('has, per function version, what the workers ran: items, batches and their sizes, run and queue times', async () => {
    const n = 12;
    const answers = await Promise.all(Array.from({ length: n }, (_, i) => p.call('POST', '/v1/functions/echo/invoke', { input: { i } })));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    const version = answers[0]!.headers.get('x-function-version')!;
    const labels = { function: 'echo', version };
    // Summed over workers, as a dashboard would; the workers report in their next heartbeats.
    const total = (m: ParsedExposition, name: string, l: Record<string, string> = labels) => findSamples(m, name, l).reduce((sum, s) => sum + s.value, 0);
    const m = await eventually(async () => {
      const x = await scrape();
      return total(x, 'autoglm_function_items_total', { ...labels, outcome: 'ok' }) >= n && x;
    }, 'the calls in the workers\' figures');
    const items = total(m, 'autoglm_function_items_total');
    // Every item ran in one handler call, and waited once before it.
    expect(total(m, 'autoglm_function_batch_size_sum')).toBe(items);
    expect(total(m, 'autoglm_function_queue_seconds_count')).toBe(items);
    expect(total(m, 'autoglm_function_run_seconds_count')).toBe(total(m, 'autoglm_function_batch_size_count'));
    expect(total(m, 'autoglm_function_run_seconds_bucket', { ...labels, le: '+Inf' })).toBe(total(m, 'autoglm_function_run_seconds_count'));
    for (const s of findSamples(m, 'autoglm_function_batch_size_count', labels)) expect(['wasm', 'cpu', 'tensorflow']).toContain(s.labels.backend);
    // And on the router's side, what the callers waited, per version.
    expect(sampleValue(m, 'autoglm_invocation_duration_seconds_count', { ...labels, outcome: 'ok' })).toBeGreaterThanOrEqual(n);
    // The same figures, summed over workers, where the function is described.
    const described = (await p.call('GET', '/v1/functions/echo')).json.versions.find((v: { version: string }) => v.version === version);
    expect(described.running.ok).toBeGreaterThanOrEqual(n);
    expect(described.running.batches).toBeGreaterThan(0);
    expect(described.running.meanBatchSize).toBe(1); // echo is not batched
    expect(described.running.queueP95Ms).toBeGreaterThanOrEqual(described.running.queueP50Ms);
  });

  it('has a queue gauge for every state of the echo queue, read from Redis', async () => {
    const m = await scrape();
    for (const state of ['waiting', 'active', 'delayed', 'failed', 'completed']) {
      expect(findSamples(m, 'autoglm_queue_jobs', { function: 'echo', state }), state).toHaveLength(1);
    }
    // The successful calls of the tests above are still kept (AUTOGLM_RESULT_TTL).
    expect(sampleValue(m, 'autoglm_queue_jobs', { function: 'echo', state: 'completed' })).toBeGreaterThanOrEqual(5);
    expect(sampleValue(m, 'autoglm_metrics_collector_success', { collector: 'queues' })).toBe(1);
  });

  it('is valid exposition format with the router process figures', async () => {
    const res = await fetch(`${p.url}/metrics`, { headers: { authorization: `Bearer ${scraper}` } });
    const text = await res.text();
    const m = parseExposition(text);
    // parseExposition has checked every line and that each sample's family has a # TYPE; none was skipped.
    expect(text.split('\n').filter((l) => l && !l.startsWith('#')).length).toBe(m.samples.length);
    expect(sampleValue(m, 'process_resident_memory_bytes')).toBeGreaterThan(1e6);
    expect(sampleValue(m, 'process_cpu_seconds_total')).toBeGreaterThan(0);
    expect(Math.abs(sampleValue(m, 'process_start_time_seconds') - (Date.now() / 1000 - process.uptime()))).toBeLessThan(5);
    expect(sampleValue(m, 'nodejs_eventloop_lag_seconds')).toBeGreaterThanOrEqual(0);
    expect(m.types.get('nodejs_eventloop_lag_p99_seconds')).toBe('gauge');
  });

  it('needs a token allowed to read metrics: 401 without one, 403 for a single-namespace viewer or an invoker', async () => {
    const none = await fetch(`${p.url}/metrics`);
    expect(none.status).toBe(401);
    expect(none.headers.get('content-type')).toContain('application/problem+json');
    expect((await none.json()).code).toBe('UNAUTHORIZED');
    for (const [roles, namespaces] of [[['viewer'], ['default']], [['invoker'], ['*']], [['deployer'], ['*']]] as const) {
      const t = await p.router.verifier.mint({ sub: 'x', roles: [...roles], namespaces: [...namespaces] });
      const r = await fetch(`${p.url}/metrics`, { headers: { authorization: `Bearer ${t}` } });
      expect(r.status, `${roles} in ${namespaces}`).toBe(403);
    }
    await scrape(p.adminToken);
    // Refusals are in the audit trail, like every 401/403 of the API.
    const denied = await p.call('GET', '/v1/audit?action=access.denied');
    const targets = (denied.json.items as { target?: string; code?: string }[]).filter((r) => r.target === 'GET /metrics').map((r) => r.code);
    expect(targets.sort()).toEqual(['FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN', 'UNAUTHORIZED']);
  });
});

describe('AUTOGLM_METRICS_PUBLIC=1', () => {
  it('serves /metrics without a token', async () => {
    const open = await startPlatform(redis.url, { env: { AUTOGLM_METRICS_PUBLIC: '1' }, pool: false, deploy: false });
    try {
      const res = await fetch(`${open.url}/metrics`);
      expect(res.status).toBe(200);
      const m = parseExposition(await res.text());
      expect(m.types.get('autoglm_http_requests_total')).toBe('counter');
      // The rest of the API stays protected.
      expect((await fetch(`${open.url}/v1/functions`)).status).toBe(401);
    } finally {
      await open.stop();
    }
  });
});
