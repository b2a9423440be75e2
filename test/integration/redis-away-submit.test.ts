import { afterAll, beforeAll, expect, it } from 'vitest';
import { startPlatform, type TestPlatform } from '../harness/platform.ts';
import { startTestRedis, type TestRedis } from '../harness/redis.ts';

let redis: TestRedis;
let p: TestPlatform;
beforeAll(async () => {
  redis = await startTestRedis();
  // With a namespace limit, admission is itself a Redis round trip, before the submission's.
  p = await startPlatform(redis.url, { pool: false, env: { AUTOGLM_NAMESPACE_LIMITS: '{"*":{"rate":1000,"concurrency":1000}}' } });
});
afterAll(async () => {
  // Back, so the router's stop hands Redis its last commands instead of waiting them out.
  await redis?.start();
  await p?.stop();
  await redis?.destroy();
});

it('answers an async submission 503 QUEUE_UNAVAILABLE while Redis is away, at admission already', async () => {
  expect((await p.call('POST', '/v1/functions/echo/jobs', { input: {} })).status).toBe(202);
  await redis.kill();
  const r = await p.call('POST', '/v1/functions/echo/jobs', { input: {} });
  expect(r.status).toBe(503);
  expect(r.json.code).toBe('QUEUE_UNAVAILABLE');
  expect(r.headers.get('retry-after')).toBe('1');
});
