import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../functions/sdk/index.ts';
import { deployBuiltins } from '../../runtime/registry/builtin-functions.ts';
import { startPlatform, type TestPlatform } from '../harness/platform.ts';
import { startTestRedis, type TestRedis } from '../harness/redis.ts';

const FUNCTIONS = fileURLToPath(new URL('../fixtures/default-functions', import.meta.url));

// One Redis and no replica, but AUTOGLM_REDIS_MIN_REPLICAS=1: every write that must reach a
// replica before it is reported is refused, naming why.
let redis: TestRedis;
let p: TestPlatform;
beforeAll(async () => {
  redis = await startTestRedis();
  p = await startPlatform(redis.url, { deploy: false, env: { AUTOGLM_REDIS_MIN_REPLICAS: '1', AUTOGLM_REDIS_MIN_REPLICAS_TIMEOUT: '50ms' } });
});
afterAll(async () => {
  await p?.stop();
  await redis?.destroy();
});

const REPLICAS_BEHIND = /only 0 of 1 Redis replica\(s\) acknowledged the write \(AUTOGLM_REDIS_MIN_REPLICAS; waited up to 50 ms/;

describe('AUTOGLM_REDIS_MIN_REPLICAS with fewer replicas than required', () => {
  it('reports a deploy 503 QUEUE_UNAVAILABLE, naming how many replicas acknowledged', async () => {
    const { refused } = await deployBuiltins(FUNCTIONS, p.api, createLogger({}, 'error'));
    expect(refused).toHaveLength(1);
    expect(refused[0]!.problem).toMatch(REPLICAS_BEHIND);
  });

  it('answers an async submission 503 instead of 202, and a sync call 200 (sync calls do not wait for replicas)', async () => {
    // The refused deploy's write is on the master (WAIT cannot undo it): echo is callable.
    const r = await p.call('POST', '/v1/functions/echo/jobs', { input: { message: 'durable?' } });
    expect(r.status).toBe(503);
    expect(r.headers.get('retry-after')).toBeTruthy();
    expect(r.json).toMatchObject({ code: 'QUEUE_UNAVAILABLE', replicasWanted: 1, replicasAcknowledged: 0, detail: expect.stringMatching(REPLICAS_BEHIND) });
    expect((await p.call('POST', '/v1/functions/echo/invoke', { input: { message: 'sync' } })).status).toBe(200);
  });

  it('reports a secret change 503', async () => {
    const r = await p.call('PUT', '/v1/secrets/api-key', { value: 'v' });
    expect(r.status).toBe(503);
    expect(r.json.detail).toMatch(REPLICAS_BEHIND);
  });
});
