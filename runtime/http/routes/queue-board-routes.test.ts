import { Hono } from 'hono';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConsoleSessions } from '../../../queue/cluster/index.ts';
import { startTestRedis, type TestRedis } from '../../../test/harness/redis.ts';
import { TokenVerifier } from '../../auth/index.ts';
import type { AppEnv } from '../app-deps.ts';
import { problemResponse } from '../problem.ts';
import { queueBoardRoutes } from './queue-board-routes.ts';

const verifier = new TokenVerifier({ secret: 'queue-board-test-secret-0123456789abcdef' });
let redis: TestRedis;
let conn: Redis;

beforeAll(async () => {
  redis = await startTestRedis();
  conn = new Redis(redis.url);
});

afterAll(async () => {
  conn?.disconnect();
  await redis?.destroy();
});

/** The board's routes alone, as the router mounts them, cookie `Secure` or not. */
function board(secureCookie: boolean): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.route('/', queueBoardRoutes({ functions: { list: () => [] }, boardQueues: { sync: () => undefined }, sessions: new ConsoleSessions(conn, 'qb'), verifier, sessionTtlMs: 600_000, secureCookie }));
  app.onError((err, c) => problemResponse(c, err));
  return app;
}

describe('queue board session cookie', () => {
  it('is Secure when the router serves TLS, and not otherwise (a browser would drop it over plain HTTP)', async () => {
    const token = await verifier.mint({ sub: 'root', roles: ['admin'] });
    const open = (secure: boolean) => board(secure).request('/console/queues/session', { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    const tls = await open(true);
    expect(tls.status).toBe(201);
    expect(tls.headers.get('set-cookie')).toMatch(/; Secure(;|$)/);
    const plain = await open(false);
    expect(plain.status).toBe(201);
    expect(plain.headers.get('set-cookie')).not.toMatch(/Secure/);
    // Clearing it carries the same attributes, or the browser would keep the Secure one.
    const id = /autoglm_board=([^;]+)/.exec(tls.headers.get('set-cookie')!)![1]!;
    const del = await board(true).request('/console/queues/session', { method: 'DELETE', headers: { cookie: `autoglm_board=${id}` } });
    expect(del.status).toBe(204);
    expect(del.headers.get('set-cookie')).toMatch(/Max-Age=0; .*Secure/);
  });
});
