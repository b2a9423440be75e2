import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRedis, type TestRedis } from '../../test/harness/redis.ts';
import { keys } from '../keys.ts';
import { PayloadCipher, newKeyringSpec, parseKeyring } from './payload-cipher.ts';
import { NAMESPACE_ATTRIBUTE, TraceStore, type CarriedSpan, type FinishedSpan } from './trace-store.ts';
import { eventually } from '../../test/harness/eventually.ts';

let redis: TestRedis;
let client: Redis;
beforeAll(async () => {
  redis = await startTestRedis();
  client = new Redis(redis.url, { maxRetriesPerRequest: null });
});
afterAll(async () => {
  client?.disconnect();
  await redis?.destroy();
});

const ring = parseKeyring(newKeyringSpec('t'));
const cipher = new PayloadCipher(ring.ok ? ring.ring : (undefined as never));

/** A finished span of trace `traceId`, failed or not, in namespace `default`. */
const span = (traceId: string, failed: boolean): FinishedSpan => ({
  name: 'invoke echo',
  spanContext: () => ({ traceId, spanId: traceId.slice(0, 16) }),
  startTime: [1_800_000_000, 0],
  endTime: [1_800_000_000, 1_000_000],
  status: { code: failed ? 2 : 1 },
  attributes: { [NAMESPACE_ATTRIBUTE]: 'default', 'autoglm.function': 'echo' },
  resource: { attributes: { 'service.name': 'autoglm-router' } },
});
const id = (n: number) => n.toString(16).padStart(32, '0');

describe('TraceStore bounds', () => {
  it('keeps the newest `keep` traces and the newest `keep` failed ones: a function failing every call does not fill Redis', async () => {
    const store = new TraceStore(client, 'ts', cipher, { keep: 3 });
    for (let n = 1; n <= 6; n++) await store.take([span(id(n), false)]);
    for (let n = 101; n <= 108; n++) await store.take([span(id(n), true)]);
    expect(await client.zcard(keys.traces('ts'))).toBe(3);
    expect(await client.zcard(keys.failedTraces('ts'))).toBe(3);
    // The oldest of each kind are gone, lists and all; the newest read back.
    expect(await store.read(id(1), 'default')).toBeUndefined();
    expect(await store.read(id(101), 'default')).toBeUndefined();
    expect(await client.exists(keys.trace('ts', id(101)))).toBe(0);
    expect((await store.read(id(6), 'default'))?.map((s) => s.status)).toEqual(['ok']);
    expect((await store.read(id(108), 'default'))?.map((s) => s.status)).toEqual(['error']);
    expect(await client.keys('ts:trace:*')).toHaveLength(6);
  });

  it('keeps a trace that failed while among the recent ones when either set drops it, until both have', async () => {
    const store = new TraceStore(client, 'tb', cipher, { keep: 2 });
    await store.take([span(id(1), false)]);
    await store.take([span(id(1), true)]); // the worker's failed batch of the same trace
    for (let n = 2; n <= 3; n++) await store.take([span(id(n), false)]); // pushes 1 out of the recent
    expect((await store.read(id(1), 'default'))?.map((s) => s.status).sort()).toEqual(['error', 'ok']);
    for (let n = 12; n <= 13; n++) await store.take([span(id(n), true)]); // and out of the failed
    expect(await store.read(id(1), 'default')).toBeUndefined();
  });
});

/** A worker's span of trace `traceId`, as a done message carries it. */
const carried = (traceId: string): CarriedSpan => ({
  traceId,
  ns: 'default',
  span: { spanId: 'f'.repeat(16), parentId: traceId.slice(0, 16), name: 'execute echo', service: 'autoglm-worker', start: 1_800_000_000_000.2, durationMs: 0.5, status: 'ok', attributes: { job_id: '1' } },
});

describe('TraceStore carried spans (a worker span written by the router)', () => {
  it('seals a carried span with the next span of its trace made here: one record for both', async () => {
    const store = new TraceStore(client, 'tc', cipher);
    store.carry([carried(id(1))]);
    await store.take([span(id(2), false)]); // another trace's flush: the carried one keeps waiting
    expect(await client.llen(keys.trace('tc', id(1)))).toBe(0);
    await store.take([span(id(1), false)]);
    expect(await client.llen(keys.trace('tc', id(1)))).toBe(1);
    expect((await store.read(id(1), 'default'))?.map((s) => [s.name, s.service])).toEqual([
      ['invoke echo', 'autoglm-router'],
      ['execute echo', 'autoglm-worker'],
    ]);
  });

  it('writes a carried span alone once no span of its trace came within the wait (a call the router gave up)', async () => {
    const store = new TraceStore(client, 'td', cipher, { carryWaitMs: 50 });
    store.carry([carried(id(3))]);
    const spans = await eventually(() => store.read(id(3), 'default'), 'the carried span written alone');
    expect(spans.map((s) => s.name)).toEqual(['execute echo']);
    expect(await client.zscore(keys.traces('td'), id(3))).not.toBeNull();
  });

  it('leaves out what is not a carried span (pub/sub is open to any client), and keeps the rest', async () => {
    const store = new TraceStore(client, 'tf', cipher);
    store.carry('not a list');
    store.carry([null, 'x', { traceId: id(6) }, carried(id(5))]);
    await store.take([span(id(5), false)]);
    expect((await store.read(id(5), 'default'))?.map((s) => s.service)).toEqual(['autoglm-router', 'autoglm-worker']);
    await store.flushCarried();
    expect(await client.exists(keys.trace('tf', id(6)))).toBe(0);
  });

  it('writes what still waits when the process stops', async () => {
    const store = new TraceStore(client, 'te', cipher);
    store.carry([carried(id(4))]);
    await store.flushCarried();
    expect((await store.read(id(4), 'default'))?.map((s) => s.service)).toEqual(['autoglm-worker']);
  });
});
