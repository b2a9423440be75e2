import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleMaker } from '../harness/bundles.ts';
import { GATE_FUNCTION, newGate } from '../harness/gate.ts';
import { eventually, startPlatform, type TestPlatform } from '../harness/platform.ts';
import { watchCommands } from '../harness/redis-monitor.ts';
import { startTestRedis, type TestRedis } from '../harness/redis.ts';

let redis: TestRedis;
let p: TestPlatform;
/** Folder of the gates (test/harness/gate.ts) that hold jobs running until a test releases them. */
let gates: string;

beforeAll(async () => {
  redis = await startTestRedis();
  gates = mkdtempSync(join(tmpdir(), 'autoglm-gates-'));
  // Thread isolation: the held fixture reads the test's files, which a sandbox cannot see.
  p = await startPlatform(redis.url, { env: { AUTOGLM_BODY_LIMIT: '64KiB', AUTOGLM_ISOLATION: 'thread' } });
  const gate = (await bundleMaker(GATE_FUNCTION))('held');
  expect((await p.api.deploy(gate.archive, gate.hash)).status).toBe(201);
});
afterAll(async () => {
  await p?.stop();
  await redis?.destroy();
  if (gates) rmSync(gates, { recursive: true, force: true });
});

describe('synchronous invoke', () => {
  it('returns the output with job id, version and traceparent headers', async () => {
    const r = await p.call('POST', '/v1/functions/echo/invoke', { input: { message: 'hello' } });
    expect(r.status).toBe(200);
    expect(r.json.output).toEqual({ echo: { message: 'hello' } });
    expect(r.json.function).toBe('echo');
    expect(r.headers.get('x-job-id')).toBe(r.json.id);
    expect(r.headers.get('x-function-version')).toMatch(/^[0-9a-f]{12}$/);
    expect(r.headers.get('x-function-version')).toBe(r.json.version);
    expect(r.headers.get('traceparent')).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
    expect(['wasm', 'cpu', 'tensorflow']).toContain(r.json.backend);
    // The job is recorded and readable afterwards.
    const job = await p.call('GET', `/v1/jobs/${r.json.id}`);
    expect(job.json.status).toBe('succeeded');
    expect(job.json.output).toEqual({ echo: { message: 'hello' } });
  });

  it('announces a sync result only after Redis has recorded the job as completed', async () => {
    // The worker writes the announcement right behind BullMQ's completion instead of waiting
    // for its reply; Redis's own command log shows which of the two it ran first.
    const log = await watchCommands(redis.url);
    const ids: string[] = [];
    try {
      for (let i = 0; i < 5; i++) {
        const r = await p.call('POST', '/v1/functions/echo/invoke', { input: { message: `order ${i}` } });
        expect(r.status).toBe(200);
        ids.push(r.json.id);
      }
      await log.upToNow();
    } finally {
      log.stop();
    }
    const seen = log.seen;
    for (const id of ids) {
      const completed = seen.findIndex((c) => c.startsWith(`ZADD ${p.prefix}:fn.echo:completed `) && c.endsWith(` ${id}`));
      const announced = seen.findIndex((c) => c.startsWith(`publish ${p.prefix}:done:`) && c.includes(`"id":"${id}"`));
      expect(completed, `completion of ${id}`).toBeGreaterThanOrEqual(0);
      expect(announced, `announcement of ${id}`).toBeGreaterThan(completed);
    }
  });

  it('continues the caller trace', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const r = await p.call('POST', '/v1/functions/echo/invoke', { input: {} }, { traceparent: `00-${traceId}-00f067aa0ba902b7-01` });
    expect(r.status).toBe(200);
    expect(r.headers.get('traceparent')).toContain(traceId);
  });

  it('answers 504 when the function outlasts the caller timeout', async () => {
    const g = newGate(gates);
    // The call runs until the test opens its gate, after the answer: only the timeout can end the wait.
    const r = await p.call('POST', '/v1/functions/held/invoke', { input: g.input(), timeoutMs: 300 }).finally(() => g.open());
    expect(r.status).toBe(504);
    expect(r.headers.get('content-type')).toContain('application/problem+json');
    expect(r.json.code).toBe('DEADLINE_EXCEEDED');
    expect(r.json.jobId).toMatch(/^held\./);
    // Headers set before the failure stay on the problem response.
    expect(r.headers.get('x-job-id')).toBe(r.json.jobId);
    expect(r.headers.get('x-function-version')).toMatch(/^[0-9a-f]{12}$/);
    expect(r.headers.get('traceparent')).toContain(r.json.traceId);
  });

  it('reports a function failure as a problem with its code, without a stack', async () => {
    const r = await p.call('POST', '/v1/functions/echo/invoke', { input: { fail: 'fatal' } });
    expect(r.status).toBe(500);
    expect(r.json.code).toBe('ECHO_FAILED');
    expect(r.json.detail).toBe('echo was asked to fail');
    expect(JSON.stringify(r.json)).not.toMatch(/at .*\.ts:\d+/);
  });
});

describe('asynchronous jobs', () => {
  it('accepts with 202, then polls to succeeded with timings and attempts', async () => {
    const r = await p.call('POST', '/v1/functions/echo/jobs', { input: { message: 'later' } });
    expect(r.status).toBe(202);
    expect(r.json.statusUrl).toBe(`/v1/jobs/${r.json.id}`);
    expect(r.headers.get('location')).toBe(r.json.statusUrl);
    const job = await eventually(async () => {
      const j = await p.call('GET', r.json.statusUrl);
      return j.json.status === 'succeeded' && j;
    }, 'the job to succeed');
    expect(job.json.output).toEqual({ echo: { message: 'later' } });
    expect(job.json.attempts).toBe(1);
    const t = job.json.timings;
    expect(Date.parse(t.queued)).toBeLessThanOrEqual(Date.parse(t.started));
    expect(Date.parse(t.started)).toBeLessThanOrEqual(Date.parse(t.finished));
  });

  it('long-polls with ?wait until the job ends', async () => {
    const g = newGate(gates);
    const r = await p.call('POST', '/v1/functions/held/jobs', { input: g.input('polled') });
    const first = await p.call('GET', `/v1/jobs/${r.json.id}`);
    expect(['queued', 'running']).toContain(first.json.status);
    // The long poll is waiting when the job ends: the gate opens once the job runs and the poll is sent.
    await eventually(async () => g.started().length > 0, 'the job to run');
    const polled = p.call('GET', `/v1/jobs/${r.json.id}?wait=20s`);
    g.open();
    const job = await polled;
    expect(job.json.status).toBe('succeeded');
    expect(job.json.output).toEqual({ label: 'polled' });
  });

  it('long-poll returns the current state when the wait runs out', async () => {
    const g = newGate(gates);
    const r = await p.call('POST', '/v1/functions/held/jobs', { input: g.input() });
    try {
      const job = await p.call('GET', `/v1/jobs/${r.json.id}?wait=200ms`);
      expect(job.status).toBe(200);
      expect(['queued', 'running']).toContain(job.json.status);
    } finally {
      g.open();
    }
  });

  it('a job whose deadline passes before it starts is not run', async () => {
    // Occupy the single worker's echo slots? Simpler: a deadline already near zero.
    const r = await p.call('POST', '/v1/functions/echo/jobs', { input: { sleepMs: 10 }, timeoutMs: 1 });
    const job = await p.call('GET', `/v1/jobs/${r.json.id}?wait=10s`);
    expect(job.json.status).toBe('failed');
    expect(job.json.error.code).toBe('DEADLINE_EXCEEDED');
    expect(job.json.attempts).toBe(1);
  });

  it('404 for an unknown job id', async () => {
    const r = await p.call('GET', '/v1/jobs/echo.zzzzzzzzzzzzzzzz');
    expect(r.status).toBe(404);
    expect(r.json.code).toBe('JOB_NOT_FOUND');
  });
});

describe('idempotency', () => {
  it('same key and body give the same job; a different body is 409', async () => {
    const h = { 'idempotency-key': `k-${Date.now()}` };
    const a = await p.call('POST', '/v1/functions/echo/jobs', { input: { message: 'once' } }, h);
    const b = await p.call('POST', '/v1/functions/echo/jobs', { input: { message: 'once' } }, h);
    expect(a.status).toBe(202);
    expect(b.status).toBe(202);
    expect(b.json.id).toBe(a.json.id);
    expect(b.headers.get('idempotent-replayed')).toBe('true');
    const c = await p.call('POST', '/v1/functions/echo/jobs', { input: { message: 'twice' } }, h);
    expect(c.status).toBe(409);
    expect(c.json.code).toBe('IDEMPOTENCY_CONFLICT');
    expect(c.json).toMatchObject({ jobId: a.json.id, field: 'Idempotency-Key', in: 'header' });
  });

  it("a key is its caller's: another caller with the same key gets a job of its own, and no 409 naming the first's", async () => {
    const h = { 'idempotency-key': `shared-${Date.now()}` };
    const a = await p.call('POST', '/v1/functions/echo/jobs', { input: { message: 'mine' } }, h);
    const other = await p.token(['invoker'], 'mallory');
    const as = (body: unknown) => fetch(`${p.url}/v1/functions/echo/jobs`, { method: 'POST', headers: { authorization: `Bearer ${other}`, 'content-type': 'application/json', ...h }, body: JSON.stringify(body) });
    const same = await as({ input: { message: 'mine' } });
    expect(same.status).toBe(202);
    expect(same.headers.get('idempotent-replayed')).toBeNull();
    const sameJob = (await same.json()).id;
    expect(sameJob).not.toBe(a.json.id);
    const different = await as({ input: { message: 'theirs' } });
    expect(different.status).toBe(409);
    // The conflict is with mallory's own earlier job, not with the first caller's.
    expect((await different.json()).jobId).toBe(sameJob);
  });

  it('concurrent retries with one key make exactly one job', async () => {
    const h = { 'idempotency-key': `c-${Date.now()}` };
    const all = await Promise.all(Array.from({ length: 8 }, () => p.call('POST', '/v1/functions/echo/jobs', { input: { n: 1 } }, h)));
    expect(new Set(all.map((r) => r.json.id)).size).toBe(1);
    expect(all.every((r) => r.status === 202)).toBe(true);
  });
});

describe('cancel', () => {
  it('cancels a queued job; running and finished jobs give 409', async () => {
    // Fill the worker: the held fixture runs 64 at a time, so 64 held calls take every slot until the gate opens.
    const g = newGate(gates);
    const blockers = await Promise.all(Array.from({ length: 64 }, (_, i) => p.call('POST', '/v1/functions/held/jobs', { input: g.input(`blocker ${i}`) })));
    const never = newGate(gates);
    try {
      await eventually(async () => g.started().length === 64, 'every slot to be taken');
      const queued = await p.call('POST', '/v1/functions/held/jobs', { input: never.input('never'), priority: 3 });
      const del = await p.call('DELETE', `/v1/jobs/${queued.json.id}`);
      expect(del.status).toBe(200);
      expect(del.json.status).toBe('cancelled');
      const after = await p.call('GET', `/v1/jobs/${queued.json.id}`);
      // What it was queued with still shows once it is gone (held retries twice: 3 attempts).
      expect(after.json).toMatchObject({ status: 'cancelled', attempts: 0, maxAttempts: 3, priority: 3 });
      const again = await p.call('DELETE', `/v1/jobs/${queued.json.id}`);
      expect(again.status).toBe(409);

      const running = blockers[0]!.json.id as string;
      const state = await p.call('GET', `/v1/jobs/${running}`);
      expect(state.json.status).toBe('running');
      const r = await p.call('DELETE', `/v1/jobs/${running}`);
      expect(r.status).toBe(409);
      expect(r.json.code).toBe('JOB_NOT_CANCELLABLE');

      g.open();
      const done = await p.call('GET', `/v1/jobs/${running}?wait=20s`);
      expect(done.json.status).toBe('succeeded');
      const f = await p.call('DELETE', `/v1/jobs/${running}`);
      expect(f.status).toBe(409);
      // The cancelled job never ran: every slot came free, and its gate saw no start.
      for (const b of blockers) expect((await p.call('GET', `/v1/jobs/${b.json.id}?wait=20s`)).json.status).toBe('succeeded');
      expect((await p.call('GET', `/v1/jobs/${queued.json.id}`)).json.status).toBe('cancelled');
      expect(never.started()).toEqual([]);
    } finally {
      g.open();
      never.open();
    }
  });
});

/**
 * A POST with no body and no Content-Length, as `curl -X POST -H 'content-type: application/json'`
 * sends it (Node's client would add `Content-Length: 0`).
 */
function bodylessPost(path: string): Promise<{ status: number; json: any }> {
  return new Promise((resolve, reject) => {
    const req = request(p.url + path, { method: 'POST', headers: { authorization: `Bearer ${p.adminToken}`, 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode!, json: JSON.parse(text) }));
    });
    req.on('error', reject);
    req.removeHeader('content-length');
    req.removeHeader('transfer-encoding');
    req.end();
  });
}

describe('bad requests', () => {
  const invoke = '/v1/functions/echo/invoke';
  it('an empty body with a JSON content type is no body: a route without one runs, one that needs one names body', async () => {
    const done = await p.call('POST', invoke, { input: {} });
    const retry = await bodylessPost(`/v1/jobs/${done.json.id}/retry`);
    expect([retry.status, retry.json.code]).toEqual([409, 'JOB_NOT_RETRYABLE']);
    const rollback = await bodylessPost('/v1/functions/echo/rollback');
    expect([rollback.status, rollback.json.code]).toEqual([400, 'INVALID_TRAFFIC']);
    const call = await bodylessPost(invoke);
    expect(call.json).toMatchObject({ status: 400, code: 'INVALID_REQUEST', field: 'body', in: 'body' });
  });
  it('malformed JSON → 400 MALFORMED_JSON', async () => {
    const r = await p.call('POST', invoke, '{"input": ', {});
    expect(r.status).toBe(400);
    expect(r.json.code).toBe('MALFORMED_JSON');
    expect(r.headers.get('content-type')).toContain('application/problem+json');
  });
  it('input failing the function schema → 400 naming the field', async () => {
    const r = await p.call('POST', invoke, { input: { message: 42 } });
    expect(r.status).toBe(400);
    expect(r.json.code).toBe('INVALID_REQUEST');
    expect(r.json.field).toBe('input.message');
  });
  it('a bad envelope field → 400 naming it', async () => {
    const r = await p.call('POST', invoke, { input: {}, timeoutMs: -5 });
    expect(r.status).toBe(400);
    expect(r.json.field).toBe('timeoutMs');
    const u = await p.call('POST', invoke, { input: {}, bogus: 1 });
    expect(u.status).toBe(400);
    expect(u.json.field).toBe('bogus');
    const cb = await p.call('POST', '/v1/functions/echo/jobs', { input: {}, callbackUrl: 'not a URL' });
    expect(cb.status).toBe(400);
    expect([cb.json.code, cb.json.field]).toEqual(['INVALID_REQUEST', 'callbackUrl']);
  });
  it('a bad header → 400 naming it, in the header', async () => {
    const long = await p.call('POST', invoke, { input: {} }, { 'x-routing-key': 'k'.repeat(257) });
    expect(long.status).toBe(400);
    expect([long.json.field, long.json.in]).toEqual(['x-routing-key', 'header']);
    const longKey = await p.call('POST', '/v1/functions/echo/jobs', { input: {} }, { 'idempotency-key': 'x'.repeat(256) });
    expect(longKey.status).toBe(400);
    expect([longKey.json.field, longKey.json.in]).toEqual(['idempotency-key', 'header']);
    // Headers the routes do not declare are none of their business.
    expect((await p.call('POST', invoke, { input: {} }, { 'x-anything': 'y'.repeat(5000) })).status).toBe(200);
  });
  it('unknown function → 404', async () => {
    const r = await p.call('POST', '/v1/functions/nope/invoke', { input: {} });
    expect(r.status).toBe(404);
    expect(r.json.code).toBe('FUNCTION_NOT_FOUND');
  });
  it('a pinned version the function lacks → 404 VERSION_NOT_FOUND; to a caller of another namespace the function is missing', async () => {
    const outsider = await p.router.verifier.mint({ sub: 'olga', roles: ['invoker'], namespaces: ['team-c'] });
    for (const path of ['/v1/functions/echo@ffffffffffff/invoke', '/v1/functions/echo@ffffffffffff/jobs']) {
      const r = await p.call('POST', path, { input: {} });
      expect(r.status, path).toBe(404);
      expect(r.json).toMatchObject({ code: 'VERSION_NOT_FOUND', field: 'name', in: 'path', detail: "function 'echo' has no version 'ffffffffffff'" });
      const other = await p.call('POST', path, { input: {} }, { authorization: `Bearer ${outsider}` });
      expect(other.json).toMatchObject({ status: 404, code: 'FUNCTION_NOT_FOUND', detail: "no function named 'echo'" });
    }
  });
  it('body over the limit → 413', async () => {
    const r = await p.call('POST', invoke, { input: { message: 'x'.repeat(70 * 1024) } });
    expect(r.status).toBe(413);
    expect(r.json.code).toBe('PAYLOAD_TOO_LARGE');
  });
  it('a chunked body (no Content-Length) over the limit → 413, counted as it is read', async () => {
    const chunk = new TextEncoder().encode(`{"input":{"message":"${'x'.repeat(70 * 1024)}"}}`);
    const body = new ReadableStream({ start: (c) => (c.enqueue(chunk), c.close()) });
    const res = await fetch(`${p.url}${invoke}`, { method: 'POST', body, duplex: 'half', headers: { authorization: `Bearer ${p.adminToken}`, 'content-type': 'application/json' } } as RequestInit);
    expect(res.status).toBe(413);
    expect((await res.json()).code).toBe('PAYLOAD_TOO_LARGE');
  });
  it('a chunked body under the limit is read whole', async () => {
    const body = new ReadableStream({ start: (c) => (c.enqueue(new TextEncoder().encode('{"input":{"mess')), c.enqueue(new TextEncoder().encode('age":"in two"}}')), c.close()) });
    const res = await fetch(`${p.url}${invoke}`, { method: 'POST', body, duplex: 'half', headers: { authorization: `Bearer ${p.adminToken}`, 'content-type': 'application/json' } } as RequestInit);
    expect(res.status).toBe(200);
    expect((await res.json()).output).toEqual({ echo: { message: 'in two' } });
  });
  it('wrong content type → 415', async () => {
    const r = await p.call('POST', invoke, 'input=1', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(r.status).toBe(415);
    expect(r.json.code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });
  it('missing, malformed or forged token → 401 with a Bearer challenge (error="invalid_token" for a token refused)', async () => {
    for (const [auth, challenge] of [['', 'Bearer'], ['Bearer', 'Bearer'], ['Basic abc', 'Bearer'], ['Bearer not.a.jwt', 'Bearer error="invalid_token"']]) {
      const r = await fetch(p.url + invoke, { method: 'POST', headers: { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) }, body: '{"input":{}}' });
      expect([r.status, r.headers.get('www-authenticate')], auth).toEqual([401, challenge]);
      expect((await r.json()).code).toBe('UNAUTHORIZED');
    }
    const { SignJWT } = await import('jose');
    const forged = await new SignJWT({ roles: ['admin'] }).setProtectedHeader({ alg: 'HS256' }).setSubject('x').setExpirationTime('1h').sign(new TextEncoder().encode('another-secret-another-secret-0000'));
    const r = await fetch(p.url + invoke, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${forged}` }, body: '{"input":{}}' });
    expect([r.status, r.headers.get('www-authenticate')]).toEqual([401, 'Bearer error="invalid_token"']);
  });
  it('a viewer may read but not invoke → 403', async () => {
    const viewer = await p.token(['viewer']);
    const r = await fetch(p.url + invoke, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${viewer}` }, body: '{"input":{}}' });
    expect(r.status).toBe(403);
    const list = await fetch(p.url + '/v1/functions', { headers: { authorization: `Bearer ${viewer}` } });
    expect(list.status).toBe(200);
  });
  it('unknown route → 404 problem; a known path with a wrong method → 405 with Allow', async () => {
    const r = await p.call('GET', '/v1/nothing-here');
    expect(r.status).toBe(404);
    expect(r.json.code).toBe('ROUTE_NOT_FOUND');
    const wrong = await p.call('GET', invoke);
    expect([wrong.status, wrong.headers.get('allow'), wrong.json.code]).toEqual([405, 'POST', 'METHOD_NOT_ALLOWED']);
  });
});

describe('health and API document', () => {
  it('healthz and readyz answer without a token; readyz says ready and counts, and lists workers only to admin or an all-namespace viewer', async () => {
    expect((await fetch(p.url + '/healthz')).status).toBe(200);
    const readyz = (token?: string) => fetch(p.url + '/readyz', token ? { headers: { authorization: `Bearer ${token}` } } : {});
    const r = await readyz();
    expect(r.status).toBe(200);
    const body = await r.json();
    expect(body).toMatchObject({ ready: true, redis: true, counts: { workers: 1 }, reasons: [] });
    // No host, pid, function or model of anyone's without a token.
    expect(body.workers).toBeUndefined();
    expect(body.slots).toBeUndefined();
    expect(JSON.stringify(body)).not.toContain('echo');
    // A viewer of one namespace sees no more; admin and a viewer of every namespace see it all.
    expect((await (await readyz(await p.token(['viewer']))).json()).workers).toBeUndefined();
    for (const token of [p.adminToken, await p.router.verifier.mint({ sub: 'ops', roles: ['viewer'], namespaces: ['*'] })]) {
      const detail = await (await readyz(token)).json();
      expect(detail.workers.length).toBe(1);
      expect(detail.workers[0].functions).toContain('echo');
    }
    // A token that is there must be valid.
    expect((await readyz('not-a-token')).status).toBe(401);
  });
  it('openapi.json is generated from the route schemas', async () => {
    const doc = await (await fetch(p.url + '/openapi.json')).json();
    expect(doc.openapi).toBe('3.1.0');
    for (const path of ['/v1/functions/{name}/invoke', '/v1/functions/{name}/jobs', '/v1/jobs/{id}', '/healthz', '/readyz']) {
      expect(doc.paths[path], path).toBeDefined();
    }
    expect(doc.components.schemas.InvokeRequest.properties.timeoutMs).toBeDefined();
    expect(doc.paths['/v1/jobs/{id}'].delete).toBeDefined();
  });
});
