import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBundle } from '../../runtime/bundles/build-bundle.ts';
import { bundleMaker } from '../harness/bundles.ts';
import { startReceiver, type HttpReceiver } from '../harness/http-receiver.ts';
import { eventually, startPlatform, type TestPlatform } from '../harness/platform.ts';
import { startTestRedis, type TestRedis } from '../harness/redis.ts';

// GET /v1/jobs across every function a caller may read, and POST /v1/jobs/{id}/retry of a dead
// letter, on a real router, Redis and pool.

const ECHO = fileURLToPath(new URL('../fixtures/default-functions/echo/', import.meta.url));
const FLAGGED = fileURLToPath(new URL('../fixtures/functions/flagged/', import.meta.url));

let redis: TestRedis;
let p: TestPlatform;
let hooks: HttpReceiver;

beforeAll(async () => {
  redis = await startTestRedis();
  hooks = await startReceiver('127.0.0.1');
  p = await startPlatform(redis.url, { env: { AUTOGLM_CALLBACK_ALLOW: '127.0.0.0/31' } });
});

afterAll(async () => {
  await p?.stop();
  await hooks?.close();
  await redis?.destroy();
});

type Job = { id: string; function: string; namespace: string; status: string; submittedBy: string; timings: { queued: string; finished?: string } };

const as = async (token: string, method: string, path: string, body?: unknown) => {
  const res = await fetch(p.url + path, { method, headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type'), json: text ? JSON.parse(text) : undefined };
};
const mint = (sub: string, roles: string[], namespaces?: string[]) => p.router.verifier.mint({ sub, roles, ...(namespaces ? { namespaces } : {}) });
const ended = (id: string) => eventually(async () => ['succeeded', 'failed'].includes((await p.call('GET', `/v1/jobs/${id}`)).json.status), `job ${id} to end`);

/** Every page of `query`, `limit` at a time, following `next`. */
async function allPages(token: string, query: string, limit: number): Promise<Job[]> {
  const out: Job[] = [];
  let cursor: string | undefined;
  do {
    const r = await as(token, 'GET', `/v1/jobs?${query}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    out.push(...r.json.items);
    cursor = r.json.next;
  } while (cursor);
  return out;
}

describe('GET /v1/jobs: recent jobs across functions', () => {
  const ids: Record<string, string[]> = { echo: [], teamB: [], failed: [] };
  let alice: string;

  beforeAll(async () => {
    const copy = (await bundleMaker(ECHO))('echo-b');
    await p.api.deploy(copy.archive, copy.hash, { namespace: 'team-b' });
    alice = await mint('alice', ['invoker'], ['team-b']);
    for (let i = 0; i < 4; i++) ids.echo!.push((await p.call('POST', '/v1/functions/echo/jobs', { input: { message: `e${i}` } })).json.id);
    for (let i = 0; i < 3; i++) ids.teamB!.push((await as(alice, 'POST', '/v1/functions/echo-b/jobs', { input: { message: `b${i}` } })).json.id);
    ids.teamB!.push((await p.call('POST', '/v1/functions/echo-b/jobs', { input: { message: 'by the admin' } })).json.id);
    for (const fn of ['echo', 'echo-b']) ids.failed!.push((await p.call('POST', `/v1/functions/${fn}/jobs`, { input: { fail: 'fatal' } })).json.id);
    for (const id of [...ids.echo!, ...ids.teamB!, ...ids.failed!]) await ended(id);
  });

  it('lists every function the admin may read, newest first, without naming one', async () => {
    const r = await p.call('GET', '/v1/jobs?limit=500');
    expect(r.status).toBe(200);
    const got = (r.json.items as Job[]).map((j) => j.id);
    expect(got).toEqual(expect.arrayContaining([...ids.echo!, ...ids.teamB!, ...ids.failed!]));
    expect(r.json.next).toBeUndefined();
    const finished = (r.json.items as Job[]).map((j) => Date.parse(j.timings.finished!));
    expect(finished).toEqual([...finished].sort((a, b) => b - a));
  });

  it('filters by status (failed: the dead letters of every function), function and namespace', async () => {
    const failed = (await p.call('GET', '/v1/jobs?status=failed&limit=500')).json.items as Job[];
    expect(failed.every((j) => j.status === 'failed')).toBe(true);
    expect(failed.map((j) => j.id)).toEqual(expect.arrayContaining(ids.failed!));
    expect(new Set(failed.map((j) => j.function))).toEqual(new Set(['echo', 'echo-b']));

    const one = (await p.call('GET', '/v1/jobs?function=echo-b&limit=500')).json.items as Job[];
    expect(one.map((j) => j.id).sort()).toEqual([...ids.teamB!, ids.failed![1]!].sort());
    const ns = (await p.call('GET', '/v1/jobs?namespace=team-b&status=succeeded&limit=500')).json.items as Job[];
    expect(ns.map((j) => j.id).sort()).toEqual([...ids.teamB!].sort());
    expect((await p.call('GET', '/v1/jobs?function=echo&namespace=team-b')).json.items).toEqual([]);
  });

  it('pages with limit and cursor: the pages together are the whole list, in order, each job once', async () => {
    const whole = ((await p.call('GET', '/v1/jobs?limit=500')).json.items as Job[]).map((j) => j.id);
    const paged = (await allPages(p.adminToken, 'x=1', 3)).map((j) => j.id);
    expect(paged).toEqual(whole);
    const first = await p.call('GET', '/v1/jobs?limit=3');
    expect(first.json.items).toHaveLength(3);
    expect(first.json.next).toEqual(expect.any(String));
  });

  it("shows a caller only its namespaces' jobs, and an invoker only its own", async () => {
    const mine = await allPages(alice, 'x=1', 2);
    expect(mine.map((j) => j.id).sort()).toEqual([...ids.teamB!.slice(0, 3)].sort());
    const viewer = await allPages(await mint('vic', ['viewer'], ['team-b']), 'x=1', 500);
    expect(viewer.map((j) => j.id).sort()).toEqual([...ids.teamB!, ids.failed![1]!].sort());
    // Another team's function is as missing as one that does not exist; its namespace is refused.
    const outsider = await mint('olga', ['viewer'], ['team-c']);
    const missing = { status: 404, code: 'FUNCTION_NOT_FOUND', field: 'function', in: 'query' };
    expect((await as(outsider, 'GET', '/v1/jobs?function=echo-b')).json).toMatchObject(missing);
    expect((await as(p.adminToken, 'GET', '/v1/jobs?function=nope')).json).toMatchObject(missing);
    expect((await as(outsider, 'GET', '/v1/jobs?namespace=team-b')).status).toBe(403);
    expect((await as(outsider, 'GET', '/v1/jobs')).json.items).toEqual([]);
  });

  it.each([
    ['limit=0', 'limit'],
    ['limit=501', 'limit'],
    ['status=dead', 'status'],
    ['function=Bad_Name', 'function'],
    ['namespace=-x', 'namespace'],
    ['cursor=not-a-cursor', 'cursor'],
  ])('refuses %s: 400 problem naming %s', async (qs, field) => {
    const r = await as(p.adminToken, 'GET', `/v1/jobs?${qs}`);
    expect(r.status).toBe(400);
    expect(r.type).toContain('application/problem+json');
    expect(r.json).toMatchObject({ code: 'INVALID_REQUEST', field, in: 'query' });
  });
});

describe('POST /v1/jobs/{id}/retry: a dead letter runs again', () => {
  it('a job that failed runs again under its id once its cause is fixed, and its callback tells the new outcome', async () => {
    expect((await p.call('PUT', '/v1/secrets/flag', { value: 'closed' })).status).toBe(201);
    const b = await buildBundle(FLAGGED, { typecheck: false });
    await p.api.deploy(b.archive, b.hash);
    const ivan = await mint('ivan', ['invoker']);
    const submitted = await as(ivan, 'POST', '/v1/functions/flagged/jobs', { input: { n: 1 }, callbackUrl: `${hooks.origin}/hook` });
    expect(submitted.status).toBe(202);
    const id = submitted.json.id as string;
    const dead = (await p.call('GET', `/v1/jobs/${id}?wait=30s`)).json;
    expect(dead).toMatchObject({ status: 'failed', error: { code: 'FLAG_CLOSED' } });
    const posts = () => hooks.received.filter((r) => r.path === '/hook').map((r) => JSON.parse(r.body) as { type: string; job: { id: string; output?: unknown } });
    await eventually(async () => posts().length === 1, 'the failure delivered');
    expect(posts()[0]).toMatchObject({ type: 'job.failed', job: { id } });
    expect((await p.call('GET', `/v1/jobs?status=failed&function=flagged`)).json.items.map((j: Job) => j.id)).toEqual([id]);

    // Refused: a role that may not invoke, and an invoker that is not the submitter.
    const deployer = await as(await mint('dana', ['deployer']), 'POST', `/v1/jobs/${id}/retry`);
    expect(deployer.json).toMatchObject({ status: 403, code: 'FORBIDDEN' });
    expect((await as(await mint('vic', ['viewer']), 'POST', `/v1/jobs/${id}/retry`)).status).toBe(403);
    expect((await as(await mint('bob', ['invoker']), 'POST', `/v1/jobs/${id}/retry`)).status).toBe(403);
    expect((await as(await mint('tess', ['invoker'], ['team-b']), 'POST', `/v1/jobs/${id}/retry`)).status).toBe(404);
    expect((await p.call('GET', `/v1/jobs/${id}`)).json.status).toBe('failed');

    // The cause fixed (the workers have the new value once a fresh call succeeds), it is retried.
    await p.call('PUT', '/v1/secrets/flag', { value: 'open' });
    await eventually(async () => (await p.call('POST', '/v1/functions/flagged/invoke', { input: { probe: true } })).status === 200, 'the new flag to reach the workers');
    const retried = await as(ivan, 'POST', `/v1/jobs/${id}/retry`);
    expect(retried.status, JSON.stringify(retried.json)).toBe(200);
    expect(retried.json.id).toBe(id);
    expect(retried.json.status).not.toBe('failed');
    const done = (await p.call('GET', `/v1/jobs/${id}?wait=30s`)).json;
    expect(done).toMatchObject({ id, status: 'succeeded', attempts: 1, maxAttempts: 1, output: { ok: true, input: { n: 1 } }, submittedBy: 'ivan' });
    expect(done.error).toBeUndefined();
    await eventually(async () => posts().length === 2, 'the new outcome delivered');
    expect(posts()[1]).toMatchObject({ type: 'job.succeeded', job: { id, output: { ok: true, input: { n: 1 } } } });
    expect((await p.call('GET', `/v1/jobs?status=failed&function=flagged`)).json.items.map((j: Job) => j.id)).not.toContain(id);

    // Only a dead letter can be retried; an unknown id is missing.
    const again = await as(ivan, 'POST', `/v1/jobs/${id}/retry`);
    expect(again.type).toContain('application/problem+json');
    expect(again.json).toMatchObject({ status: 409, code: 'JOB_NOT_RETRYABLE', jobStatus: 'succeeded' });
    const unknown = await p.call('POST', `/v1/jobs/flagged.zzzzzzzzzzzz/retry`);
    expect(unknown.json).toMatchObject({ status: 404, code: 'JOB_NOT_FOUND' });

    // Audited: the retry, and the refusals as denials.
    const audit = (await p.call('GET', '/v1/audit?action=job.retry&limit=100')).json.items as { actor: string; outcome: string; jobId: string }[];
    expect(audit).toContainEqual(expect.objectContaining({ actor: 'ivan', outcome: 'ok', jobId: id }));
    const denied = (await p.call('GET', '/v1/audit?action=access.denied&actor=dana&limit=100')).json.items as { target: string }[];
    expect(denied.map((d) => d.target)).toContain(`POST /v1/jobs/${id}/retry`);
  });

  it('a large input (stored apart from the job record) stays with the dead letter, so the retry runs it rather than failing INPUT_MISSING', async () => {
    const input = { fail: 'fatal', pad: 'x'.repeat(40_000) };
    const id = (await p.call('POST', '/v1/functions/echo/jobs', { input })).json.id as string;
    const dead = (await p.call('GET', `/v1/jobs/${id}?wait=30s`)).json;
    expect(dead).toMatchObject({ status: 'failed', error: { code: 'ECHO_FAILED' } });
    const at = JSON.parse((await p.redis.hget(`${p.prefix}:fn.echo:${id}`, 'data'))!).input.at as string;
    expect(await p.redis.exists(at)).toBe(1);
    expect((await p.call('POST', `/v1/jobs/${id}/retry`)).status).toBe(200);
    // It ran again on the same input: the function's own failure again, after its retries.
    const again = (await p.call('GET', `/v1/jobs/${id}?wait=30s`)).json;
    expect(again).toMatchObject({ status: 'failed', attempts: 1, error: { code: 'ECHO_FAILED' } });
  });

  it('refuses one item of a bulk job (its job is what runs again) with 409 naming the job', async () => {
    const bulk = (await p.call('POST', '/v1/functions/echo/jobs', { inputs: [{ message: 'a' }] })).json.id as string;
    expect((await p.call('GET', `/v1/jobs/${bulk}?wait=30s`)).json.status).toBe('succeeded');
    const r = await p.call('POST', `/v1/jobs/${bulk}.0/retry`);
    expect(r.json).toMatchObject({ status: 409, code: 'JOB_NOT_RETRYABLE', partOf: bulk });
  });
});

describe('POST /v1/jobs/{id}/retry under a namespace concurrency quota', () => {
  let q: TestPlatform;
  beforeAll(async () => {
    q = await startPlatform(redis.url, { env: { AUTOGLM_NAMESPACE_LIMITS: '{"default":{"concurrency":1}}' } });
  });
  afterAll(async () => {
    await q?.stop();
  });

  it('takes its slot again: 429 CONCURRENCY_QUOTA_EXCEEDED while another job holds it, accepted once it is free', async () => {
    const failed = await q.call('POST', '/v1/functions/echo/jobs', { input: { fail: 'fatal' } });
    expect(failed.status, JSON.stringify(failed.json)).toBe(202);
    await eventually(async () => (await q.call('GET', `/v1/jobs/${failed.json.id}`)).json.status === 'failed', 'the job to fail');
    // With no pool, a new job stays queued and holds the namespace's one slot.
    await q.pool!.stop();
    const holder = await q.call('POST', '/v1/functions/echo/jobs', { input: { message: 'holds the slot' } });
    expect(holder.status, JSON.stringify(holder.json)).toBe(202);
    const refused = await q.call('POST', `/v1/jobs/${failed.json.id}/retry`);
    expect(refused.status, JSON.stringify(refused.json)).toBe(429);
    expect(refused.json.code).toBe('CONCURRENCY_QUOTA_EXCEEDED');
    expect(refused.headers.get('retry-after')).toBeTruthy();
    expect((await q.call('GET', `/v1/jobs/${failed.json.id}`)).json.status).toBe('failed');
    // Cancelling the holder frees the slot: the retry is accepted and the job queued again.
    expect((await q.call('DELETE', `/v1/jobs/${holder.json.id}`)).status).toBe(200);
    const retried = await q.call('POST', `/v1/jobs/${failed.json.id}/retry`);
    expect(retried.status, JSON.stringify(retried.json)).toBe(200);
    expect(retried.json.status).toBe('queued');
  });
});
