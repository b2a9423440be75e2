import { afterAll, beforeAll, expect, it } from 'vitest';
import { isAlive } from '../bench/proc-stats.ts';
import { eventually, startPlatform, type TestPlatform } from '../harness/platform.ts';
import { startTestRedis, type TestRedis } from '../harness/redis.ts';

let redis: TestRedis;
let p: TestPlatform;
beforeAll(async () => {
  redis = await startTestRedis();
  // A grace period far longer than the test: a stop that waits it out fails by timing out.
  p = await startPlatform(redis.url, { env: { AUTOGLM_SHUTDOWN_GRACE: '10m' } });
});
afterAll(async () => {
  // Back, so the router's stop hands Redis its last commands instead of waiting them out.
  await redis?.start();
  await p?.stop();
  await redis?.destroy();
});

// With Redis gone, ioredis holds every command until it reconnects: a worker's consumers would
// wait with them to close, so a stop must not wait for Redis once no job runs.
it('a pool whose Redis is gone stops on SIGTERM once no job runs, without waiting out its grace period', async () => {
  expect((await p.call('POST', '/v1/functions/echo/invoke', { input: { message: 'consuming' } })).status).toBe(200);
  const workers = await p.pool!.workerPids();
  expect(workers.length).toBeGreaterThan(0);
  const exited = new Promise<number | null>((r) => p.pool!.proc.once('exit', (code) => r(code)));
  await redis.kill();
  p.pool!.proc.kill('SIGTERM');
  expect(await exited).toBe(0);
  for (const pid of workers) await eventually(async () => !isAlive(pid), `worker ${pid} to stop`);
});
