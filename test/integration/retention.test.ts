import { describe, expect, it } from 'vitest';
import { keys } from '../../queue/keys.ts';
import { eventually, type TestPlatform } from '../harness/platform.ts';
import { poolSuite } from './pool-helpers.ts';

/**
 * Retention observed, not only parsed: with TTLs of a second or two, each thing kept for a while
 * goes (succeeded jobs, failed jobs, idempotency keys, large inputs stored apart), a reader then
 * gets what the API promises, and nothing else goes with it. Every wait is for the event itself
 * (a key gone, a 404); "still there" is checked right after creation, never after a sleep.
 */
const suite = poolSuite('retention');

/** Every key under a SCAN pattern (the idempotency keys are named by a hash of the key). */
async function scan(p: TestPlatform, pattern: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await p.redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    found.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return found;
}

/** Waits until `GET /v1/jobs/{id}` answers 404; returns that answer. */
const gone = (p: TestPlatform, id: string, what: string) =>
  eventually(async () => {
    const r = await p.call('GET', `/v1/jobs/${id}`);
    return r.status === 404 && r;
  }, what);

/** Waits until the job reaches `status`; returns its record. */
const reaches = (p: TestPlatform, id: string, status: string) =>
  eventually(async () => {
    const r = await p.call('GET', `/v1/jobs/${id}`);
    return r.json?.status === status && r.json;
  }, `job ${id} to be ${status}`);

/** What the audit writer has anchored in Redis: chain id → sequence number of its head. */
async function anchoredSeqs(p: TestPlatform): Promise<Record<string, number>> {
  const heads = await p.redis.hgetall(keys.auditHeads(p.prefix));
  return Object.fromEntries(Object.entries(heads).map(([chain, head]) => [chain, (JSON.parse(head) as { seq: number }).seq]));
}

function expectJobNotFound(r: { status: number; headers: Headers; json: any }, id: string): void {
  expect(r.status).toBe(404);
  expect(r.headers.get('content-type')).toContain('application/problem+json');
  expect(r.json.code).toBe('JOB_NOT_FOUND');
  expect(r.json.detail).toContain(id);
}

describe('retention', () => {
  it('removes a succeeded job and its idempotency key after AUTOGLM_RESULT_TTL: 404 JOB_NOT_FOUND, then a new job for the key; a failed job, the catalogue and the audit anchors stay', async () => {
    const p = await suite.start({ env: { AUTOGLM_RESULT_TTL: '2s', AUTOGLM_FAILED_TTL: '1h' } });
    const body = { input: { message: 'kept for two seconds' } };
    const idem = { 'idempotency-key': 'order-1' };

    const first = await p.call('POST', '/v1/functions/echo/jobs', body, idem);
    expect(first.status).toBe(202);
    const id = first.json.id as string;
    // Right after creation: the key is held and a retry gets the same job.
    const idemKeys = await scan(p, `${p.prefix}:idem:*`);
    expect(idemKeys).toHaveLength(1);
    const replay = await p.call('POST', '/v1/functions/echo/jobs', body, idem);
    expect(replay.json.id).toBe(id);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');

    const failed = await p.call('POST', '/v1/functions/echo/jobs', { input: { fail: 'fatal' } });
    expect((await reaches(p, failed.json.id, 'failed')).error.code).toBe('ECHO_FAILED');
    // Its record right after it succeeded: the result is there while its TTL runs.
    expect((await suite.succeeded(id)).output.echo).toEqual(body.input);
    const anchors = await eventually(async () => {
      const a = await anchoredSeqs(p);
      return Object.keys(a).length > 0 && a;
    }, 'the audit trail to anchor its head');

    // No other job of the function finishes after it: BullMQ alone would keep it until one did.
    expectJobNotFound(await gone(p, id, 'the succeeded job to expire'), id);
    await eventually(async () => (await p.redis.exists(idemKeys[0]!)) === 0, 'the idempotency key to expire');
    const again = await p.call('POST', '/v1/functions/echo/jobs', body, idem);
    expect(again.status).toBe(202);
    expect(again.json.id).not.toBe(id);
    expect(again.headers.get('idempotent-replayed')).toBeNull();
    expect((await suite.succeeded(again.json.id)).output.echo).toEqual(body.input);

    // What has a longer life, or none, is still there.
    const stillFailed = await p.call('GET', `/v1/jobs/${failed.json.id}`);
    expect(stillFailed.status).toBe(200);
    expect(stillFailed.json.error.code).toBe('ECHO_FAILED');
    expect(await p.redis.hexists(keys.functions(p.prefix), 'echo')).toBe(1);
    expect((await p.call('GET', '/v1/functions')).json.items.map((f: { name: string }) => f.name)).toContain('echo');
    const later = await anchoredSeqs(p);
    for (const [chain, seq] of Object.entries(anchors)) expect(later[chain]).toBeGreaterThanOrEqual(seq);
  });

  it('removes a failed job after AUTOGLM_FAILED_TTL, and a waiting job\'s large input with it (then INPUT_MISSING), while succeeded jobs keep their results', async () => {
    const p = await suite.start({ env: { AUTOGLM_RESULT_TTL: '1h', AUTOGLM_FAILED_TTL: '2s' } });
    // Over 16 KiB of JSON: stored apart from the job record, under its own key.
    const large = { message: 'large', pad: 'y'.repeat(20_000) };
    const inputKey = async (id: string): Promise<string> => JSON.parse((await p.redis.hget(`${p.prefix}:fn.echo:${id}`, 'data'))!).input.at;

    const kept = await p.call('POST', '/v1/functions/echo/jobs', { input: large });
    const keptAt = await inputKey(kept.json.id);
    expect((await suite.succeeded(kept.json.id)).output.echo).toEqual(large);
    // Its worker deleted the input it no longer needs; the result stays.
    expect(await p.redis.exists(keptAt)).toBe(0);

    const submitFailing = () => p.call('POST', '/v1/functions/echo/jobs', { input: { fail: 'fatal' } }, { 'idempotency-key': 'fails-once' });
    const failed = await submitFailing();
    expect((await reaches(p, failed.json.id, 'failed')).error.code).toBe('ECHO_FAILED');
    // Nothing else of the function finishes after it: BullMQ alone would keep it until a failure did.
    expectJobNotFound(await gone(p, failed.json.id, 'the failed job to expire'), failed.json.id);
    // Its idempotency key (kept for the result TTL, an hour) still names it: a replay is that job,
    // gone, and does not run it again.
    const replay = await submitFailing();
    expect(replay.json.id).toBe(failed.json.id);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expectJobNotFound(await p.call('GET', `/v1/jobs/${failed.json.id}`), failed.json.id);
    expect((await p.call('GET', `/v1/jobs/${kept.json.id}`)).json.output.echo).toEqual(large);

    // A job waiting with no worker to take it: its stored input expires, the job does not.
    await p.pool!.stop();
    const waiting = await p.call('POST', '/v1/functions/echo/jobs', { input: large });
    expect(waiting.status).toBe(202);
    const waitingAt = await inputKey(waiting.json.id);
    expect(await p.redis.exists(waitingAt)).toBe(1);
    const ttl = await p.redis.pttl(waitingAt);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(2000);
    await eventually(async () => (await p.redis.exists(waitingAt)) === 0, 'the stored input to expire');
    expect((await p.call('GET', `/v1/jobs/${waiting.json.id}`)).json.status).toBe('queued');
    expect((await p.call('GET', `/v1/jobs/${kept.json.id}`)).json.output.echo).toEqual(large);

    // A worker then fails it at once, saying why, and it expires as any failed job does.
    await p.startPool();
    const missing = await reaches(p, waiting.json.id, 'failed');
    expect(missing.error.code).toBe('INPUT_MISSING');
    expect(missing.attempts).toBe(1);
    expectJobNotFound(await gone(p, waiting.json.id, 'the failed job to expire'), waiting.json.id);
    expect((await p.call('GET', `/v1/jobs/${kept.json.id}`)).json.output.echo).toEqual(large);
    expect(await p.redis.hexists(keys.functions(p.prefix), 'echo')).toBe(1);
  });
});
