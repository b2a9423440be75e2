import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { keys } from '../../queue/keys.ts';
import { eventually, startPlatform, type TestPlatform } from '../harness/platform.ts';
import { buildBundle } from '../../runtime/bundles/build-bundle.ts';
import { startTestRedis, type TestRedis } from '../harness/redis.ts';
import { watchCommands } from '../harness/redis-monitor.ts';
import { bundleMaker } from '../harness/bundles.ts';
import { GATE_FUNCTION, newGate } from '../harness/gate.ts';
import { splitItemId } from '../../queue/cluster/index.ts';

// Grouped calls and bulk jobs: many inputs in one queue job, each with its own id and outcome.
// Groups form on demand: while a call is in flight, new calls wait up to the grouping window for
// companions. A call of the held fixture (test/harness/gate.ts) is kept in flight until the test
// opens its gate, so a burst always arrives while one is, and the window is long enough for a
// burst of concurrent requests to arrive in. The held fixture reads the test's files: thread isolation
// (grouping is the router's; the isolation levels have their own tests).
const ECHO = fileURLToPath(new URL('../../functions/echo/', import.meta.url));
let redis: TestRedis;
let p: TestPlatform;
let gates: string;
let gateBundle: Awaited<ReturnType<typeof bundleMaker>>;

beforeAll(async () => {
  redis = await startTestRedis();
  gates = mkdtempSync(join(tmpdir(), 'autoglm-gates-'));
  p = await startPlatform(redis.url, {
    env: {
      AUTOGLM_GROUP_WAIT_MS: '1000',
      AUTOGLM_ISOLATION: 'thread',
      AUTOGLM_JOB_LOCK: '1500ms',
      AUTOGLM_STALLED_INTERVAL: '1s',
      AUTOGLM_NAMESPACE_LIMITS: JSON.stringify({ quota: { concurrency: 20 } }),
    },
  });
  gateBundle = await bundleMaker(GATE_FUNCTION);
  const gate = gateBundle('held');
  expect((await p.api.deploy(gate.archive, gate.hash)).status).toBe(201);
});
afterAll(async () => {
  await p?.stop();
  await redis?.destroy();
  if (gates) rmSync(gates, { recursive: true, force: true });
});

const invoke = (input: unknown, headers?: Record<string, string>, fn = 'echo') => p.call('POST', `/v1/functions/${fn}/invoke`, { input }, headers);
type Answer = Awaited<ReturnType<typeof invoke>>;

/**
 * Sends `inputs` as concurrent sync calls (to echo, or `fn`) while a held call keeps the grouper
 * waiting for companions, so they group. `whileSent` runs once they are all sent, before their
 * answers are awaited; it may let the held call end first (`releaseHolder`), which otherwise ends
 * when the burst's calls are answered.
 */
async function burst(
  inputs: unknown[],
  headers?: (i: number) => Record<string, string>,
  fn?: string,
  whileSent?: (pending: Promise<Answer>[], releaseHolder: () => Promise<void>) => Promise<void>,
) {
  const holder = newGate(gates);
  const held = invoke(holder.input('holds the grouper busy'), undefined, 'held');
  await eventually(async () => holder.started().length > 0, 'the holding call to run');
  let released: Promise<void> | undefined;
  const releaseHolder = () =>
    (released ??= (async () => {
      holder.open();
      expect((await held).status).toBe(200);
    })());
  try {
    const pending = inputs.map((input, i) => invoke(input, headers?.(i), fn));
    await whileSent?.(pending, releaseHolder);
    return await Promise.all(pending);
  } finally {
    await releaseHolder();
  }
}

/** The job a call ran in: its group's, or its own. */
const jobOf = (id: string) => splitItemId(id)?.jobId ?? id;

/** BullMQ jobs of echo that completed, counted in Redis. */
const completedJobs = () => p.redis.zcard(`${p.prefix}:fn.echo:completed`);

describe('grouped synchronous calls', () => {
  it('carries concurrent calls in fewer queue jobs, each call with its own id and output', async () => {
    const before = await completedJobs();
    const inputs = Array.from({ length: 12 }, (_, i) => ({ message: `call ${i}` }));
    const calls = await burst(inputs);
    calls.forEach((r, i) => {
      expect(r.status).toBe(200);
      expect(r.json.output).toEqual({ echo: { message: `call ${i}` } });
      expect(r.headers.get('x-job-id')).toBe(r.json.id);
    });
    const ids = calls.map((r) => r.json.id as string);
    expect(new Set(ids).size).toBe(12);
    const jobs = new Set(ids.map(jobOf));
    expect(jobs.size).toBeLessThan(12);
    // The groups' jobs: no job per call (the holding call is the held fixture's).
    expect((await completedJobs()) - before).toBe(jobs.size);
  });

  it('marks a lone call solo, so its worker does not wait for companions, and a burst\'s group not', async () => {
    const dataOf = async (id: string) => JSON.parse((await p.redis.hget(`${p.prefix}:fn.echo:${jobOf(id)}`, 'data'))!) as { solo?: true };
    const lone = await invoke({ message: 'alone' });
    expect(lone.status).toBe(200);
    expect((await dataOf(lone.json.id)).solo).toBe(true);
    const calls = await burst([{ message: 'a' }, { message: 'b' }, { message: 'c' }]);
    for (const r of calls) expect((await dataOf(r.json.id)).solo).toBeUndefined();
  });

  it('makes each item readable by its id, and the group as a job with items', async () => {
    const calls = await burst([{ message: 'x' }, { message: 'y' }]);
    const [a, b] = calls.map((r) => r.json.id as string);
    const item = await p.call('GET', `/v1/jobs/${b}`);
    expect(item.status).toBe(200);
    expect(item.json).toMatchObject({ id: b, status: 'succeeded', output: { echo: { message: 'y' } }, partOf: splitItemId(b!)!.jobId, attempts: 1 });
    const group = await p.call('GET', `/v1/jobs/${splitItemId(a!)!.jobId}`);
    expect(group.json.itemCount).toBe(2);
    expect(group.json.items.map((i: { id: string; output: unknown }) => [i.id, i.output])).toEqual([
      [a, { echo: { message: 'x' } }],
      [b, { echo: { message: 'y' } }],
    ]);
    // An item is not cancelled alone.
    const del = await p.call('DELETE', `/v1/jobs/${a}`);
    expect(del.status).toBe(409);
    expect(del.json.partOf).toBe(splitItemId(a!)!.jobId);
  });

  it('groups the calls of different callers, and each caller reads only its own', async () => {
    const [alice, bob] = await Promise.all([p.token(['invoker'], 'alice'), p.token(['invoker'], 'bob')]);
    const who = (i: number) => (i % 2 === 0 ? 'alice' : 'bob');
    const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
    const calls = await burst([0, 1, 2, 3].map((i) => ({ message: `${who(i)} ${i}` })), (i) => bearer(i % 2 === 0 ? alice : bob));
    calls.forEach((r, i) => expect(r.json.output, JSON.stringify(r.json)).toEqual({ echo: { message: `${who(i)} ${i}` } }));
    const ids = calls.map((r) => r.json.id as string);
    // Some job carries both callers' calls (without cross-caller grouping, none would).
    const mixed = ids.map(jobOf).find((j, i) => ids.some((other, k) => who(k) !== who(i) && jobOf(other) === j));
    expect(mixed).toBeDefined();

    const aliceItem = ids.find((id, i) => who(i) === 'alice' && jobOf(id) === mixed)!;
    const bobItem = ids.find((id, i) => who(i) === 'bob' && jobOf(id) === mixed)!;
    const own = await p.call('GET', `/v1/jobs/${aliceItem}`, undefined, bearer(alice));
    expect(own.status).toBe(200);
    expect(own.json).toMatchObject({ id: aliceItem, submittedBy: 'alice', status: 'succeeded' });
    // Neither the other caller's call, nor the job that carries both, is hers to read.
    expect((await p.call('GET', `/v1/jobs/${bobItem}`, undefined, bearer(alice))).status).toBe(403);
    expect((await p.call('GET', `/v1/jobs/${mixed}`, undefined, bearer(alice))).status).toBe(403);
    const listed = await p.call('GET', '/v1/jobs?function=echo&status=succeeded&limit=500', undefined, bearer(alice));
    expect(listed.json.items.map((j: { id: string }) => j.id)).not.toContain(mixed);
    // An operator sees the job, owned by no one caller, with each call's caller.
    const group = await p.call('GET', `/v1/jobs/${mixed}`);
    expect(group.json.submittedBy).toBeNull();
    expect(Object.fromEntries(group.json.items.map((it: { id: string; submittedBy: string }) => [it.id, it.submittedBy]))).toMatchObject({ [aliceItem]: 'alice', [bobItem]: 'bob' });
  });

  it('takes feedback on a grouped call by its own id, from its caller, on that call\'s own input and output', async () => {
    const [alice, bob] = await Promise.all([p.token(['invoker'], 'alice'), p.token(['invoker'], 'bob')]);
    const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
    const calls = await burst([0, 1, 2, 3].map((i) => ({ message: `judged ${i}` })), (i) => bearer(i % 2 === 0 ? alice : bob));
    const ids = calls.map((r) => r.json.id as string);
    const mixed = ids.map(jobOf).find((j, i) => ids.some((other, k) => k % 2 !== i % 2 && jobOf(other) === j));
    expect(mixed).toBeDefined();
    const aliceItem = ids.find((id, i) => i % 2 === 0 && jobOf(id) === mixed)!;
    const bobItem = ids.find((id, i) => i % 2 === 1 && jobOf(id) === mixed)!;
    const judge = (id: string, t: string) => p.call('POST', `/v1/jobs/${id}/feedback`, { correct: false }, bearer(t));
    expect((await judge(aliceItem, alice)).json).toMatchObject({ jobId: aliceItem, score: 0, by: 'alice' });
    // Bob's call in the same job is not hers to judge, nor the job carrying both.
    expect((await judge(bobItem, alice)).status).toBe(403);
    expect((await judge(mixed!, alice)).status).toBe(403);
    const exported = await p.call('GET', '/v1/functions/echo/feedback');
    const rows = (typeof exported.json === 'string' ? exported.json : `${JSON.stringify(exported.json)}\n`).trim().split('\n').map((l) => JSON.parse(l));
    const index = ids.indexOf(aliceItem);
    expect(rows.find((r) => r.jobId === aliceItem)).toMatchObject({ input: { message: `judged ${index}` }, output: { echo: { message: `judged ${index}` } }, feedback: { correct: false }, by: 'alice' });
  });

  it('fails a bad call alone: the others in its group succeed', async () => {
    const calls = await burst([{ message: 'ok 1' }, { fail: 'fatal' }, { message: 'ok 2' }]);
    expect(calls.map((r) => r.status)).toEqual([200, 500, 200]);
    expect(calls[1]!.json.code).toBe('ECHO_FAILED');
    expect(calls[1]!.json.jobId).toBe(splitItemId(calls[0]!.json.id)!.jobId + '.1');
    expect(calls[2]!.json.output).toEqual({ echo: { message: 'ok 2' } });
  });

  it('retries a retryable item in place, up to the function retries, without failing its neighbours', async () => {
    const calls = await burst([{ fail: 'retryable' }, { message: 'fine' }]);
    expect(calls.map((r) => r.status)).toEqual([500, 200]);
    const failed = await p.call('GET', `/v1/jobs/${calls[0]!.json.jobId}`);
    expect(failed.json.status).toBe('failed');
    expect(failed.json.attempts).toBe(3); // retries: 2 in the manifest
    expect(failed.json.error.code).toBe('ECHO_FAILED');
  });

  it('keeps each call on its own trace', async () => {
    const traces = ['4bf92f3577b34da6a3ce929d0e0e4736', '0af7651916cd43dd8448eb211c80319c'];
    const calls = await burst([{}, {}], (i) => ({ traceparent: `00-${traces[i]}-00f067aa0ba902b7-01` }));
    calls.forEach((r, i) => expect(r.headers.get('traceparent')).toContain(traces[i]));
    expect(splitItemId(calls[0]!.json.id)!.jobId).toBe(splitItemId(calls[1]!.json.id)!.jobId);
  });

  it('admits grouped calls against the namespace concurrency quota, one slot each', async () => {
    // The held fixture's code in a namespace of its own with a quota (bulk jobs elsewhere here are larger).
    const quotaGate = gateBundle('held-quota');
    expect((await p.api.deploy(quotaGate.archive, quotaGate.hash, { namespace: 'quota' })).status).toBe(201);
    // Every call holds its slot until the test opens the gate: 20 run, and 4 are refused while they do.
    const slots = newGate(gates);
    const answered: number[] = [];
    const calls = await burst(Array.from({ length: 24 }, (_, i) => slots.input(`q${i}`)), undefined, 'held-quota', async (pending) => {
      pending.forEach((c) => void c.then((r) => answered.push(r.status)));
      await eventually(async () => slots.started().length === 20 && answered.length === 4, '20 calls running and 4 answered');
      expect(answered).toEqual([429, 429, 429, 429]);
      slots.open();
    });
    const statuses = calls.map((r) => r.status);
    // 20 slots (the holding call is the held fixture's, in another namespace): 20 run, 4 are refused.
    expect(statuses.filter((s) => s === 200)).toHaveLength(20);
    expect(statuses.filter((s) => s === 429)).toHaveLength(4);
    expect(calls.find((r) => r.status === 429)!.json.code).toBe('CONCURRENCY_QUOTA_EXCEEDED');
    // Grouped: fewer queue jobs than admitted calls.
    expect(new Set(calls.filter((r) => r.status === 200).map((r) => jobOf(r.json.id))).size).toBeLessThan(20);
    // Every slot is given back when the calls end.
    await eventually(async () => (await p.redis.zcard(keys.inflight(p.prefix, 'quota'))) === 0, 'the quota to be released');
  });

  it('completes every call of a group whose worker is killed mid-run', { timeout: 150_000 }, async () => {
    const survivors = newGate(gates);
    let killed = 0;
    try {
      const calls = await burst(Array.from({ length: 4 }, (_, i) => survivors.input(`survivor ${i}`)), undefined, 'held', async (_pending, releaseHolder) => {
        // Killed while every call of the group runs on it, and released once they run again elsewhere.
        await eventually(async () => survivors.started().length === 4, 'the group to run');
        // The grouped calls are on their way: the holding call may end. (Left running, it would be
        // a stalled job too, and a stalled job runs alone on the next worker: held, it would hold that worker.)
        await releaseHolder();
        killed = (await p.pool!.workerPids())[0]!;
        process.kill(killed, 'SIGKILL');
        // A job its worker died running runs again alone: the first to do so is held until the gate
        // opens, so wait for one of them (the rest follow one by one), not for all.
        await eventually(async () => survivors.started().length > 4, 'the group to run again', 100_000);
        survivors.open();
      });
      calls.forEach((r, i) => {
        expect(r.status).toBe(200);
        expect(r.json.output.label).toBe(`survivor ${i}`);
      });
      expect(new Set(calls.map((r) => jobOf(r.json.id))).size).toBeLessThan(4);
    } finally {
      // Never leave the group holding the worker for the tests after this one.
      survivors.open();
    }
    await eventually(async () => (await p.pool!.workerPids()).some((x) => x !== killed), 'a replacement worker');
  });
});

describe('bulk jobs', () => {
  it('runs many inputs as one job: outcomes in order, one bad input failing alone', async () => {
    const inputs = [{ message: 'a' }, { fail: 'fatal' }, { message: 'c' }];
    const r = await p.call('POST', '/v1/functions/echo/jobs', { inputs });
    expect(r.status).toBe(202);
    const job = await p.call('GET', `/v1/jobs/${r.json.id}?wait=20s`);
    expect(job.json).toMatchObject({ status: 'succeeded', itemCount: 3, itemsFailed: 1 });
    expect(job.json.items.map((i: { status: string }) => i.status)).toEqual(['succeeded', 'failed', 'succeeded']);
    expect(job.json.items[2]).toMatchObject({ id: `${r.json.id}.2`, output: { echo: { message: 'c' } } });
    expect(job.json.items[1].error.code).toBe('ECHO_FAILED');
    const item = await p.call('GET', `/v1/jobs/${r.json.id}.1`);
    expect(item.json).toMatchObject({ status: 'failed', partOf: r.json.id, error: { code: 'ECHO_FAILED' } });
    expect((await p.call('GET', `/v1/jobs/${r.json.id}.3`)).status).toBe(404);
  });

  it('names the bad input of a bulk job, and refuses input together with inputs', async () => {
    const bad = await p.call('POST', '/v1/functions/echo/jobs', { inputs: [{}, { sleepMs: 'soon' }] });
    expect(bad.status).toBe(400);
    expect(bad.json.errors[0].field).toBe('inputs[1].sleepMs');
    const both = await p.call('POST', '/v1/functions/echo/jobs', { input: {}, inputs: [{}] });
    expect(both.status).toBe(400);
    expect(both.json.errors[0].field).toBe('input');
    const neither = await p.call('POST', '/v1/functions/echo/jobs', {});
    expect(neither.status).toBe(400);
    expect(neither.json.detail).toBe('input: give exactly one of input (one call) or inputs (a bulk job)');
  });

  it('makes a bulk submission safe to retry with an Idempotency-Key', async () => {
    const body = { inputs: [{ message: 'once' }, { message: 'twice' }] };
    const a = await p.call('POST', '/v1/functions/echo/jobs', body, { 'idempotency-key': 'bulk-1' });
    const b = await p.call('POST', '/v1/functions/echo/jobs', body, { 'idempotency-key': 'bulk-1' });
    expect(b.json.id).toBe(a.json.id);
    const c = await p.call('POST', '/v1/functions/echo/jobs', { inputs: [{ message: 'other' }] }, { 'idempotency-key': 'bulk-1' });
    expect(c.status).toBe(409);
  });
});

describe('inputs as the client wrote them', () => {
  // The router seals an input from the bytes it arrived as (runtime/http/json-member.ts) rather
  // than serializing the parsed value again: spacing, escapes and the keys around it must not matter.
  const texts = [
    '{ "message" : "quote \\" brace } bracket ] comma , colon :" , "n": [1.50, 2E3, -7], "ü": "😀" }',
    '{"message":"\\u00e9\\n\\\\","nested":{"input":{"inputs":[]}}}',
  ];
  const values = texts.map((t) => JSON.parse(t));
  const raw = (path: string, body: string) => p.call('POST', path, body);

  it('arrive unchanged, whether called alone, grouped or in a bulk job', async () => {
    const alone = await raw('/v1/functions/echo/invoke', `{\n  "timeoutMs": 20000 ,\t"input" :  ${texts[0]}\n}`);
    expect(alone.json.output).toEqual({ echo: values[0] });

    const holder = newGate(gates);
    const held = invoke(holder.input('holds the grouper busy'), undefined, 'held');
    await eventually(async () => holder.started().length > 0, 'the holding call to run');
    const grouped = await Promise.all(texts.map((t) => raw('/v1/functions/echo/invoke', `{"input":${t} }`))).finally(() => holder.open());
    expect((await held).status).toBe(200);
    grouped.forEach((r, i) => expect(r.json.output).toEqual({ echo: values[i] }));
    expect(splitItemId(grouped[1]!.json.id)?.jobId).toBe(splitItemId(grouped[0]!.json.id)?.jobId);

    const bulk = await raw('/v1/functions/echo/jobs', `{ "inputs" : [ ${texts.join(' ,\n')} ] , "timeoutMs": 60000 }`);
    const job = await p.call('GET', `/v1/jobs/${bulk.json.id}?wait=20s`);
    expect(job.json.items.map((it: { output: unknown }) => it.output)).toEqual(values.map((v) => ({ echo: v })));
  });
});

describe('large inputs', () => {
  // ~306 KB of JSON: over the size from which an input is stored apart from its job record.
  const inputs = Array.from({ length: 300 }, (_, i) => ({ message: `${i} ${'x'.repeat(1000)}` }));
  const storedAt = async (id: string): Promise<string> => JSON.parse((await p.redis.hget(`${p.prefix}:fn.echo:${id}`, 'data'))!).input.at;

  it('are stored apart from the job record, sealed, and deleted when the job ends or is cancelled', async () => {
    await p.pool!.stop(); // jobs wait, so their stored inputs can be looked at
    const done = await p.call('POST', '/v1/functions/echo/jobs', { inputs });
    expect(done.status).toBe(202);
    const record = JSON.parse((await p.redis.hget(`${p.prefix}:fn.echo:${done.json.id}`, 'data'))!);
    expect(record.input.ct).toBeUndefined();
    const stored = await p.redis.getBuffer(record.input.at);
    expect(stored!.length).toBeGreaterThan(300_000);
    expect(stored!.toString('latin1')).not.toContain('xxxxxxxx');

    // A replay with the same Idempotency-Key stores nothing more.
    const replay = await p.call('POST', '/v1/functions/echo/jobs', { inputs }, { 'idempotency-key': 'large-1' });
    expect((await p.call('POST', '/v1/functions/echo/jobs', { inputs }, { 'idempotency-key': 'large-1' })).json.id).toBe(replay.json.id);
    expect(await p.redis.keys(`${p.prefix}:input:${replay.json.id}:*`)).toHaveLength(1);

    const cancelled = await p.call('POST', '/v1/functions/echo/jobs', { inputs });
    const cancelledAt = await storedAt(cancelled.json.id);
    expect((await p.call('DELETE', `/v1/jobs/${cancelled.json.id}`)).status).toBe(200);
    expect(await p.redis.exists(cancelledAt)).toBe(0);
    // Its items answer as the job's (one cannot be cancelled alone), not as unknown ids.
    expect((await p.call('DELETE', `/v1/jobs/${cancelled.json.id}.0`)).status).toBe(409);

    // An input gone when a worker takes the job (it outlived its retention) fails the job clearly.
    const lost = await p.call('POST', '/v1/functions/echo/jobs', { inputs });
    await p.redis.del(await storedAt(lost.json.id));

    await p.startPool();
    const job = await p.call('GET', `/v1/jobs/${done.json.id}?wait=30s`);
    expect(job.json).toMatchObject({ status: 'succeeded', itemCount: 300, itemsFailed: 0 });
    expect(job.json.items[299].output).toEqual({ echo: inputs[299] });
    await eventually(async () => (await p.redis.exists(record.input.at)) === 0, 'the stored input to be deleted');
    const failed = await p.call('GET', `/v1/jobs/${lost.json.id}?wait=30s`);
    expect(failed.json).toMatchObject({ status: 'failed', error: { code: 'INPUT_MISSING' } });
  });
});

describe('inputs of a group of calls', () => {
  // Each ~5 KB: alone under the size from which an input is stored apart (16 KiB), four or more together over it.
  const big = (i: number) => ({ message: `${i} ${'y'.repeat(5000)}` });
  const inputOf = async (jobId: string) => JSON.parse((await p.redis.hget(`${p.prefix}:fn.echo:${jobId}`, 'data'))!).input as { at?: string; ct?: string };

  it('are stored apart once large together, and the stored input is gone when the calls are answered', async () => {
    const inputs = Array.from({ length: 8 }, (_, i) => big(i));
    const calls = await burst(inputs);
    calls.forEach((r, i) => expect(r.json.output).toEqual({ echo: inputs[i] }));
    const groups = new Map<string, number>();
    for (const r of calls) {
      const jobId = jobOf(r.json.id);
      groups.set(jobId, (groups.get(jobId) ?? 0) + 1);
    }
    const apart = [...groups].filter(([, n]) => n >= 4);
    expect(apart.length).toBeGreaterThan(0);
    for (const [jobId, n] of groups) {
      const input = await inputOf(jobId);
      expect(input.at !== undefined, `job ${jobId} of ${n} calls`).toBe(n >= 4);
      expect(input.ct === undefined).toBe(n >= 4);
    }
    for (const [jobId] of apart) await eventually(async () => (await p.redis.keys(`${p.prefix}:input:${jobId}:*`)).length === 0, 'the stored input to be deleted');
  });

  it('are written before the job that names them, though the router does not wait for that reply', async () => {
    const log = await watchCommands(redis.url);
    let calls: Awaited<ReturnType<typeof burst>>;
    try {
      calls = await burst(Array.from({ length: 8 }, (_, i) => big(i)));
      await log.upToNow();
    } finally {
      log.stop();
    }
    const jobs = new Set(calls.map((r) => splitItemId(r.json.id)?.jobId).filter((id) => id !== undefined));
    const apart = [...jobs].filter((id) => log.seen.some((c) => c.startsWith(`set ${p.prefix}:input:${id}:`)));
    expect(apart.length).toBeGreaterThan(0);
    for (const id of apart) {
      const stored = log.seen.findIndex((c) => c.startsWith(`set ${p.prefix}:input:${id}:`));
      // BullMQ's add script writes the job's hash (HMSET; HSET in some versions).
      const created = log.seen.findIndex((c) => {
        const [command, key] = c.split(' ', 2);
        return /^hm?set$/i.test(command!) && key === `${p.prefix}:fn.echo:${id}`;
      });
      expect(created, `the job ${id}`).toBeGreaterThan(stored);
    }
  });

  it('stays in the job record for a lone call of the same size', async () => {
    const r = await invoke(big(99));
    expect(r.json.output).toEqual({ echo: big(99) });
    const input = await inputOf(r.json.id);
    expect(input.ct).toBeDefined();
    expect(input.at).toBeUndefined();
  });
});

describe('shadow copies', () => {
  it('ride in groups as live calls do, and are all compared', async () => {
    // A function of its own (echo's code), and a candidate differing only in its description.
    const dir = mkdtempSync(join(tmpdir(), 'autoglm-shadow-'));
    try {
      cpSync(ECHO, dir, { recursive: true });
      const manifest = readFileSync(join(ECHO, 'manifest.yaml'), 'utf8').replace('name: echo', 'name: echo-shadowed');
      writeFileSync(join(dir, 'manifest.yaml'), manifest);
      const serving = await buildBundle(dir, { typecheck: false });
      await p.api.deploy(serving.archive, serving.hash);
      writeFileSync(join(dir, 'manifest.yaml'), manifest.replace('description: ', 'description: (candidate) '));
      const candidate = await buildBundle(dir, { typecheck: false });
      const dep = await p.api.deploy(candidate.archive, candidate.hash, { shadow: 100 });
      expect(dep.body.traffic.shadow.percent).toBe(100);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const completed = () => p.redis.zcard(`${p.prefix}:fn.echo-shadowed:completed`);
    const before = await completed();
    // 12 calls and their 12 copies, all running at once for a while (copies take quota slots: security-access.test.ts).
    const calls = await burst(Array.from({ length: 12 }, (_, i) => ({ message: `call ${i}`, sleepMs: 600 })), undefined, 'echo-shadowed');
    calls.forEach((r) => expect(r.status, JSON.stringify(r.json)).toBe(200));
    const servingJobs = new Set(calls.map((r) => jobOf(r.json.id))).size;
    let report: { samples: number; agreement: number } = { samples: 0, agreement: 0 };
    await eventually(async () => (report = (await p.call('GET', '/v1/functions/echo-shadowed/shadow')).json.report).samples >= 12, 'every copy compared');
    expect(report).toMatchObject({ samples: 12, agreement: 1 });
    // Without grouping, the copies alone would be 12 jobs.
    const shadowJobs = (await completed()) - before - servingJobs;
    expect(shadowJobs).toBeGreaterThan(0);
    expect(shadowJobs).toBeLessThan(12);
  });

  it('copy each input of an async bulk job, queued with the job\'s priority', async () => {
    const fn = 'echo-shadowed'; // deployed with a 100% shadow by the test above
    const samples = async () => (await p.call('GET', `/v1/functions/${fn}/shadow`)).json.report.samples as number;
    const before = await samples();
    const bulk = await p.call('POST', `/v1/functions/${fn}/jobs`, { inputs: [{ message: 'a' }, { message: 'b' }, { message: 'c' }], priority: 7 });
    expect(bulk.status).toBe(202);
    expect((await p.call('GET', `/v1/jobs/${bulk.json.id}?wait=30s`)).json.status).toBe('succeeded');
    await eventually(async () => (await samples()) >= before + 3, 'each input compared');
    const report = (await p.call('GET', `/v1/functions/${fn}/shadow`)).json.report;
    expect(report.samples).toBe(before + 3);
    expect(report.agreement).toBe(1);
    // The copies' job records, read from Redis: shadow copies, at the bulk job's priority.
    const copies: { priority?: number }[] = [];
    for (const key of await p.redis.keys(`${p.prefix}:fn.${fn}:*`)) {
      if ((await p.redis.type(key)) !== 'hash') continue;
      const [data, opts] = await p.redis.hmget(key, 'data', 'opts');
      if (data && JSON.parse(data).shadow && JSON.parse(data).items?.length === 3) copies.push(JSON.parse(opts ?? '{}'));
    }
    expect(copies.map((o) => o.priority)).toContain(7);
  });
});

describe('bulk jobs on one worker', () => {
  it('take turns two at a time: a third one starts its items only once one of the first two ended', async () => {
    // Each job's items are held by a gate of its own: the first two run until the test opens them.
    const jobGates = [0, 1, 2].map(() => newGate(gates));
    const ids: string[] = [];
    for (const [j, g] of jobGates.entries()) {
      const r = await p.call('POST', '/v1/functions/held/jobs', { inputs: [g.input(`job ${j}.0`), g.input(`job ${j}.1`)] });
      expect(r.status).toBe(202);
      ids.push(r.json.id);
    }
    const status = async (id: string) => (await p.call('GET', `/v1/jobs/${id}`)).json.status as string;
    // Two run at once; the third's items do not start while they run.
    await eventually(async () => jobGates[0]!.started().length === 2 && jobGates[1]!.started().length === 2, 'the first two jobs to run');
    expect(jobGates[2]!.started()).toEqual([]);
    // One ends: the third starts while the second still runs.
    jobGates[0]!.open();
    expect((await p.call('GET', `/v1/jobs/${ids[0]}?wait=30s`)).json.status).toBe('succeeded');
    await eventually(async () => jobGates[2]!.started().length === 2, 'the third job to run');
    expect(await status(ids[1]!)).toBe('running');
    jobGates[1]!.open();
    jobGates[2]!.open();
    for (const id of ids) expect((await p.call('GET', `/v1/jobs/${id}?wait=30s`)).json.status).toBe('succeeded');
  });
});
