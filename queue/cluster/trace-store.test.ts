import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRedis, type TestRedis } from '../../test/harness/redis.ts';
import { keys } from '../keys.ts';
import { PayloadCipher, newKeyringSpec, parseKeyring } from './payload-cipher.ts';
import { NAMESPACE_ATTRIBUTE, TraceStore, type FinishedSpan } from './trace-store.ts';

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
