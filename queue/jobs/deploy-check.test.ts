import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FunctionRecord } from '../cluster/index.ts';
import { startTestRedis, type TestRedis } from '../../test/harness/redis.ts';
import { DeployChecker } from './deploy-check.ts';
import { ResultBus } from './result-bus.ts';

let redis: TestRedis;
let conn: Redis;
let sub: Redis;
let bus: ResultBus;

beforeAll(async () => {
  redis = await startTestRedis();
  conn = new Redis(redis.url, { maxRetriesPerRequest: null });
  sub = new Redis(redis.url, { maxRetriesPerRequest: null });
  bus = new ResultBus(sub, { prefix: 'dc', routerId: 'r1', check: async () => undefined });
  await bus.start();
});
afterAll(async () => {
  bus?.close();
  conn?.disconnect();
  sub?.disconnect();
  await redis?.destroy();
});

describe('DeployChecker', () => {
  it('adds no listener to its shared queues per check (Node warned of a leak after ten deploys)', async () => {
    const checker = new DeployChecker(conn, 'dc', bus, 'r1');
    const rec = { name: 'f', version: 'v1', manifest: {} } as unknown as FunctionRecord;
    const listeners = () => (checker as unknown as { queues: Map<string, { listenerCount(e: string): number }> }).queues.get('any')!.listenerCount('error');
    const before = listeners();
    // No pool here: each check ends at its (short) deadline, unanswered.
    for (let i = 0; i < 12; i++) expect(await checker.check(rec, 1)).toEqual({ ok: false, timedOut: true });
    expect(listeners()).toBe(before);
    await checker.close();
  });
});
