import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { newKeyringSpec, isItemId } from '../../queue/cluster/index.ts';
import { eventually, startPlatform } from '../harness/platform.ts';
import { dumpRedis, startTestRedis, type TestRedis } from '../harness/redis.ts';

let redis: TestRedis;
beforeAll(async () => {
  redis = await startTestRedis();
});
afterAll(async () => {
  await redis?.destroy();
});

describe('payload encryption at rest', () => {
  it('no Redis key or value holds an input or output in plain text after sync and async calls', async () => {
    // The widest grouping window, so that the concurrent calls below group even on a busy machine.
    const p = await startPlatform(redis.url, { env: { AUTOGLM_GROUP_WAIT_MS: '1000' } });
    try {
      const secret = 'ZEBRA-7731-CARDHOLDER-SECRET';
      const sync = await p.call('POST', '/v1/functions/echo/invoke', { input: { message: secret } });
      expect(sync.status).toBe(200);
      expect(sync.json.output.echo.message).toBe(secret);
      const job = await p.call('POST', '/v1/functions/echo/jobs', { input: { message: `${secret}-async` } }, { 'idempotency-key': secret });
      const done = await p.call('GET', `/v1/jobs/${job.json.id}?wait=20s`);
      expect(done.json.output.echo.message).toBe(`${secret}-async`);
      const failed = await p.call('POST', '/v1/functions/echo/jobs', { input: { message: `${secret}-dead`, fail: 'fatal' } });
      expect((await p.call('GET', `/v1/jobs/${failed.json.id}?wait=20s`)).json.status).toBe('failed');
      // Many inputs per job: a bulk job, and concurrent sync calls the router groups.
      const bulk = await p.call('POST', '/v1/functions/echo/jobs', { inputs: [{ message: `${secret}-bulk-0` }, { message: `${secret}-bulk-1` }] });
      expect((await p.call('GET', `/v1/jobs/${bulk.json.id}?wait=20s`)).json.items[1].output.echo.message).toBe(`${secret}-bulk-1`);
      // Calls group while another is in flight: with the pool stopped, a first call stays queued
      // (in flight) until the test starts the pool again, after the others are queued too.
      const waiting = () => p.redis.llen(`${p.prefix}:fn.echo:wait`);
      await p.pool!.stop();
      const first = p.call('POST', '/v1/functions/echo/invoke', { input: { message: `${secret}-first` } });
      await eventually(async () => (await waiting()) === 1, 'the first call to be queued');
      const calls = Promise.all([0, 1, 2].map((i) => p.call('POST', '/v1/functions/echo/invoke', { input: { message: `${secret}-group-${i}` } })));
      await eventually(async () => (await waiting()) >= 2, 'the other calls to be queued');
      await p.startPool();
      const grouped = await calls;
      expect(grouped.map((r) => r.json.output.echo.message)).toEqual([0, 1, 2].map((i) => `${secret}-group-${i}`));
      expect(grouped.some((r) => isItemId(r.json.id))).toBe(true);
      expect((await first).json.output.echo.message).toBe(`${secret}-first`);
      const everything = await dumpRedis(p.redis);
      expect(everything.length).toBeGreaterThan(1000); // the scan really saw the jobs
      expect(everything).toContain(job.json.id);
      expect(everything).not.toContain('ZEBRA');
    } finally {
      await p.stop();
    }
  });

  it('after a key rotation, jobs sealed with the old key still read and new ones use the new key', async () => {
    const oldKeys = newKeyringSpec('old');
    const p1 = await startPlatform(redis.url, { env: { AUTOGLM_ENCRYPTION_KEYS: oldKeys } });
    const job = await p1.call('POST', '/v1/functions/echo/jobs', { input: { message: 'before rotation' } });
    expect((await p1.call('GET', `/v1/jobs/${job.json.id}?wait=20s`)).json.status).toBe('succeeded');
    // The same platform (same prefix) comes back with a new active key, the old one kept.
    const prefix = p1.prefix;
    await p1.stop();
    const p2 = await startPlatform(redis.url, { env: { AUTOGLM_ENCRYPTION_KEYS: `${newKeyringSpec('new')},${oldKeys}`, AUTOGLM_REDIS_PREFIX: prefix } });
    try {
      const old = await p2.call('GET', `/v1/jobs/${job.json.id}`);
      expect(old.json.output).toEqual({ echo: { message: 'before rotation' } });
      const fresh = await p2.call('POST', '/v1/functions/echo/invoke', { input: { message: 'after' } });
      expect(fresh.status, JSON.stringify(fresh.json)).toBe(200);
      expect(fresh.json.output).toEqual({ echo: { message: 'after' } });
      const raw = await p2.redis.hget(`${prefix}:fn.echo:${fresh.json.id}`, 'data');
      expect(JSON.parse(raw!).input.k).toBe('new');
    } finally {
      await p2.stop();
    }
  });
});
