import { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { startTestRedis, type TestRedis } from './redis.ts';

/**
 * For a test file: starts a private Redis and a connection to it before its tests, and stops both
 * after them. Call at the top level; the fields are set once the tests run.
 */
export function redisForFile(): { server: TestRedis; conn: Redis } {
  const r = {} as { server: TestRedis; conn: Redis };
  beforeAll(async () => {
    r.server = await startTestRedis();
    r.conn = new Redis(r.server.url);
  });
  afterAll(async () => {
    r.conn?.disconnect();
    await r.server?.destroy();
  });
  return r;
}
