import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { eventually, startPlatform, type TestPlatform } from '../harness/platform.ts';
import { startTestRedis, type TestRedis } from '../harness/redis.ts';

let redis: TestRedis;
let p: TestPlatform;
beforeAll(async () => {
  redis = await startTestRedis();
  p = await startPlatform(redis.url, { pool: false });
});
afterAll(async () => {
  await p?.stop();
  await redis?.destroy();
});

// What a failover to a replica that had not received the job looks like to the router: its
// connections come back to a Redis without the job. The caller must hear so (503), not wait out
// its deadline (504).
it('ends a sync call whose job Redis lost while the router was cut off with 503 QUEUE_UNAVAILABLE, not at its deadline', async () => {
  const call = p.call('POST', '/v1/functions/echo/invoke', { input: { message: 'lost' } });
  // No pool runs: the job waits in the queue.
  const waiting = async () => Number(/autoglm_queue_jobs\{function="echo",state="waiting"\} (\d+)/.exec(await (await fetch(`${p.url}/metrics`, { headers: { authorization: `Bearer ${p.adminToken}` } })).text())?.[1]);
  await eventually(async () => (await waiting()) === 1, 'the sync call to be queued');
  await redis.stop();
  rmSync(join(redis.dir, 'appendonlydir'), { recursive: true, force: true });
  await redis.start();
  const r = await call;
  expect(r.status).toBe(503);
  expect(r.json).toMatchObject({ code: 'QUEUE_UNAVAILABLE', detail: expect.stringMatching(/failed over .* did not reach the new master/) });
});
