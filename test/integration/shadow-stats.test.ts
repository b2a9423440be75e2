import { describe, expect, it } from 'vitest';
import { ShadowStats } from '../../queue/cluster/index.ts';
import { redisForFile } from '../harness/redis-for-file.ts';
import { watchCommands } from '../harness/redis-monitor.ts';

const redis = redisForFile();

describe('shadow statistics', () => {
  it('writes a burst of samples in one transaction, counted and newest first', async () => {
    const stats = new ShadowStats(redis.conn, 'st');
    const log = await watchCommands(redis.server.url);
    try {
      for (let i = 1; i <= 5; i++) stats.record('fn', 'v2', { agree: i !== 2, servingOk: true, shadowOk: i !== 2, servingMs: i, shadowMs: 10 * i });
      await stats.flush();
      await log.upToNow();
    } finally {
      log.stop();
    }
    expect(log.seen.filter((c) => c.toLowerCase() === 'multi')).toHaveLength(1);
    const report = await stats.report('fn', 'v2');
    expect(report).toMatchObject({ samples: 5, agreed: 4, servingErrors: 0, shadowErrors: 1 });
    expect(await redis.conn.lrange('st:shadow:fn:v2:serving', 0, -1)).toEqual(['5', '4', '3', '2', '1']);
    expect(await redis.conn.lrange('st:shadow:fn:v2:shadow', 0, -1)).toEqual(['50', '40', '30', '20', '10']);
  });

  it('writes samples without being asked, and forgets those of a function whose shadow is cleared', async () => {
    const stats = new ShadowStats(redis.conn, 'st2');
    stats.record('a', 'v2', { agree: true, servingOk: true, shadowOk: true, servingMs: 1, shadowMs: 1 });
    stats.record('b', 'v9', { agree: true, servingOk: true, shadowOk: true, servingMs: 1, shadowMs: 1 });
    await stats.clear('b');
    for (let i = 0; i < 100 && (await stats.report('a', 'v2')).samples === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect((await stats.report('a', 'v2')).samples).toBe(1);
    await stats.flush();
    expect((await stats.report('b', 'v9')).samples).toBe(0);
  });
});
