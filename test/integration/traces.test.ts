import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FunctionCatalog, PayloadCipher, newKeyringSpec, parseKeyring, recordOf, type StoredSpan as Span } from '../../queue/cluster/index.ts';
import { JobSubmitter, QueueSet } from '../../queue/jobs/index.ts';
import { buildBundle } from '../../runtime/bundles/build-bundle.ts';
import { fixturePath } from './pool-helpers.ts';
import { eventually, startPlatform, type TestPlatform } from '../harness/platform.ts';
import { startTestRedis, type TestRedis } from '../harness/redis.ts';

/** Traces the platform keeps in this file: small, so the bound shows after a few calls. */
const KEEP = 3;
/** The platform's payload keys, so a test can queue a job as a router would. */
const KEYRING = newKeyringSpec('traces');

let redis: TestRedis;
let p: TestPlatform;

beforeAll(async () => {
  redis = await startTestRedis();
  // No OTEL_* variables: no collector; the store alone records the spans.
  p = await startPlatform(redis.url, { env: { AUTOGLM_TRACE_KEEP: String(KEEP), AUTOGLM_ENCRYPTION_KEYS: KEYRING } });
});
afterAll(async () => {
  await p?.stop();
  await redis?.destroy();
});

const SPANS = ['invoke echo', 'queue wait', 'execute echo', 'batch', 'handle echo'];

/** The job's trace once every span the call makes is stored (written on timers: an async job's by router and worker, a sync call's by its router). */
async function fullTrace(id: string): Promise<{ traceId: string; spans: Span[] }> {
  return eventually(async () => {
    const r = await p.call('GET', `/v1/jobs/${id}/trace`);
    if (r.status !== 200) return undefined;
    const names = (r.json.spans as Span[]).map((s) => s.name);
    return SPANS.every((n) => names.includes(n)) && r.json;
  }, `the trace of ${id} with router and worker spans`);
}

/** The spans by name, with the links a waterfall needs checked: one trace, each parent where it belongs. */
function checkLinks(spans: Span[], jobId: string): Record<string, Span> {
  const by = Object.fromEntries(spans.map((s) => [s.name, s]));
  const [router, wait, worker, batch, handler] = SPANS.map((n) => by[n]!) as [Span, Span, Span, Span, Span];
  expect(router.service).toBe('autoglm-router');
  expect(router.attributes.job_id).toBe(jobId);
  expect(wait.parentId).toBe(router.spanId);
  expect(worker.parentId).toBe(router.spanId);
  expect(worker.service).toBe('autoglm-worker');
  expect(worker.attributes.job_id).toBe(jobId);
  expect(batch.parentId).toBe(worker.spanId);
  expect(handler.parentId).toBe(worker.spanId);
  expect(batch.attributes.batch_size).toBeGreaterThanOrEqual(1);
  // The handler ran inside the worker's span.
  expect(handler.start).toBeGreaterThanOrEqual(worker.start);
  expect(handler.start + handler.durationMs).toBeLessThanOrEqual(worker.start + worker.durationMs + 1);
  return by;
}

describe('traces kept by the platform (no collector)', () => {
  it("a synchronous call's trace holds the router, queue wait, worker, batch and handler spans, linked", async () => {
    const r = await p.call('POST', '/v1/functions/echo/invoke', { input: { message: 'traced' } });
    expect(r.status).toBe(200);
    const id = r.headers.get('x-job-id')!;
    // Read at once, the trace is there or on its way (its spans are written in batches): never "not kept".
    const early = await p.call('GET', `/v1/jobs/${id}/trace`);
    if (early.status !== 200) expect([early.status, early.json.code, early.headers.get('retry-after')]).toEqual([404, 'TRACE_PENDING', '1']);
    const t = await fullTrace(id);
    // The trace the answer's traceparent names.
    expect(r.headers.get('traceparent')).toContain(t.traceId);
    const by = checkLinks(t.spans, id);
    expect(by['invoke echo']!.attributes.mode).toBe('sync');
    // The router's span of a synchronous call lasts until the answer: the worker's sits inside it.
    expect(by['invoke echo']!.durationMs).toBeGreaterThanOrEqual(by['execute echo']!.durationMs);
    // The worker's span came with the answer, and the router sealed both in one record.
    expect(await p.redis.llen(`${p.prefix}:trace:${t.traceId}`)).toBe(1);
  });

  it('a synchronous call no router hears the end of (its router went away) keeps its worker span: the worker writes it', async () => {
    // Queued as a router would queue a call it waits for, by a router id nobody listens on.
    const state = await new FunctionCatalog(p.redis, p.prefix).get('echo');
    const ring = parseKeyring(KEYRING);
    if (!ring.ok) throw new Error(ring.error);
    const conn = p.redis.duplicate();
    const queues = new QueueSet(conn, p.prefix);
    const [traceId, parentId] = ['7'.repeat(32), '5'.repeat(16)];
    try {
      const submitter = new JobSubmitter(queues, { prefix: p.prefix, cipher: new PayloadCipher(ring.ring) });
      const { id } = await submitter.submit({
        rec: recordOf(state!, state!.traffic.stable!)!,
        input: undefined,
        inputJson: Buffer.from('{"message":"nobody waits"}'),
        ns: 'default',
        by: 'test-admin',
        deadline: null,
        replyTo: 'router-gone',
        spansToRouter: true,
        traceparent: `00-${traceId}-${parentId}-01`,
      });
      await eventually(async () => (await p.call('GET', `/v1/jobs/${id}`)).json.status === 'succeeded', 'the job to succeed');
      const spans = await eventually(async () => {
        const r = await p.call('GET', `/v1/jobs/${id}/trace`);
        return r.status === 200 && (r.json.spans as Span[]).some((s) => s.name === 'execute echo') && (r.json.spans as Span[]);
      }, 'the worker span in the trace');
      const worker = spans.find((s) => s.name === 'execute echo')!;
      expect(worker.service).toBe('autoglm-worker');
      expect(worker.parentId).toBe(parentId);
      expect(worker.attributes.job_id).toBe(id);
    } finally {
      await queues.close();
      conn.disconnect();
    }
  });

  it("an async job's trace holds the same spans, the queue wait starting at submission", async () => {
    const r = await p.call('POST', '/v1/functions/echo/jobs', { input: { message: 'later' } });
    expect(r.status).toBe(202);
    const id = r.json.id as string;
    const t = await fullTrace(id);
    const by = checkLinks(t.spans, id);
    expect(by['invoke echo']!.attributes.mode).toBe('async');
    expect(by['queue wait']!.start).toBeGreaterThanOrEqual(by['invoke echo']!.start);
  });

  it("keeps a failed job's trace, error spans marked, while newer traces push older ones out", async () => {
    const failed = await p.call('POST', '/v1/functions/echo/jobs', { input: { fail: 'fatal' } });
    expect(failed.status).toBe(202);
    const failedId = failed.json.id as string;
    await eventually(async () => (await p.call('GET', `/v1/jobs/${failedId}`)).json.status === 'failed', 'the job to fail');
    const ft = await fullTrace(failedId);
    expect(ft.spans.find((s) => s.name === 'handle echo')!.status).toBe('error');
    expect(ft.spans.find((s) => s.name === 'execute echo')!.status).toBe('error');

    const first = await p.call('POST', '/v1/functions/echo/invoke', { input: { message: 'oldest' } });
    await fullTrace(first.headers.get('x-job-id')!);
    let last = '';
    for (let i = 0; i < KEEP; i++) {
      const r = await p.call('POST', '/v1/functions/echo/invoke', { input: { message: `newer ${i}` } });
      last = r.headers.get('x-job-id')!;
      await fullTrace(last);
    }
    // KEEP newer traces are stored: the oldest successful one is gone, its job still there.
    const gone = await p.call('GET', `/v1/jobs/${first.headers.get('x-job-id')}/trace`);
    expect(gone.status).toBe(404);
    expect(gone.json.code).toBe('TRACE_NOT_FOUND');
    expect((await p.call('GET', `/v1/jobs/${first.headers.get('x-job-id')}`)).status).toBe(200);
    expect((await p.redis.zcard(`${p.prefix}:traces`))).toBe(KEEP);
    // The failed one does not count against the bound, and stays.
    expect((await p.call('GET', `/v1/jobs/${failedId}/trace`)).status).toBe(200);
    expect((await p.call('GET', `/v1/jobs/${last}/trace`)).status).toBe(200);
  });

  it('is read as the job is: another namespace gets 404, another caller without the right to see every job 403', async () => {
    const mine = await p.router.verifier.mint({ sub: 'owner', roles: ['invoker'] });
    const r = await fetch(`${p.url}/v1/functions/echo/jobs`, { method: 'POST', headers: { authorization: `Bearer ${mine}`, 'content-type': 'application/json' }, body: JSON.stringify({ input: { message: 'private' } }) });
    const id = ((await r.json()) as { id: string }).id;
    await fullTrace(id);
    const read = async (token: string, path: string) => (await fetch(`${p.url}${path}`, { headers: { authorization: `Bearer ${token}` } })).status;
    const elsewhere = await p.router.verifier.mint({ sub: 'other-team', roles: ['viewer'], namespaces: ['team-b'] });
    const sameTeam = await p.router.verifier.mint({ sub: 'colleague', roles: ['invoker'] });
    for (const [token, status] of [[elsewhere, 404], [sameTeam, 403], [mine, 200]] as const) {
      expect(await read(token, `/v1/jobs/${id}`)).toBe(status);
      expect(await read(token, `/v1/jobs/${id}/trace`)).toBe(status);
    }
  });

  it("a call of another namespace continuing the same trace id neither shows in the job's trace nor sees it", async () => {
    const b = await buildBundle(fixturePath('functions/whoami-b'), { typecheck: false });
    expect((await p.api.deploy(b.archive, b.hash, { namespace: 'team-b' })).status).toBe(201);
    const mine = await p.call('POST', '/v1/functions/echo/invoke', { input: { message: 'mine' } });
    const traceparent = mine.headers.get('traceparent')!;
    // Another team's caller sends the same trace id (it leaked, or was guessed).
    const theirs = await p.call('POST', '/v1/functions/whoami-b/invoke', { input: {} }, { traceparent });
    expect(theirs.status).toBe(200);
    const theirTrace = await eventually(async () => {
      const r = await p.call('GET', `/v1/jobs/${theirs.headers.get('x-job-id')}/trace`);
      return r.status === 200 && r.json.spans.some((s: Span) => s.name === 'execute whoami-b') && r.json;
    }, 'the other namespace call trace');
    const myTrace = await fullTrace(mine.headers.get('x-job-id')!);
    expect(theirTrace.traceId).toBe(myTrace.traceId);
    expect(myTrace.spans.map((s) => s.name).filter((n) => n.includes('whoami'))).toEqual([]);
    expect((theirTrace.spans as Span[]).map((s) => s.name).filter((n) => n.includes('echo'))).toEqual([]);
  });

  it('answers 404 JOB_NOT_FOUND for a job that does not exist', async () => {
    const r = await p.call('GET', '/v1/jobs/echo.nosuchjob0000000000/trace');
    expect(r.status).toBe(404);
    expect(r.json.code).toBe('JOB_NOT_FOUND');
  });
});
