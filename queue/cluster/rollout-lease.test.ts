import { describe, expect, it } from 'vitest';
import { eventually } from '../../test/harness/eventually.ts';
import { redisForFile } from '../../test/harness/redis-for-file.ts';
import { RolloutLeases } from './rollout-lease.ts';
import { LATENCY_BOUNDS, VersionCalls, emptyVersionCalls, p95Of } from './version-calls.ts';
import { observe } from './function-stat.ts';

const r = redisForFile();

describe('rollout leases', () => {
  it("one router holds a function's lease; renewing keeps its token; after it lapses another gets a higher token", async () => {
    const a = new RolloutLeases(r.conn, 'l1', 'router-a', 200);
    const b = new RolloutLeases(r.conn, 'l1', 'router-b', 200);
    const ta = await a.acquire('f');
    expect(ta).toBeGreaterThan(0);
    expect(await b.acquire('f')).toBe(0);
    expect(await a.acquire('f')).toBe(ta);
    expect(await a.holder('f')).toBe('router-a');
    // Not renewed: the lease lapses (the key's own expiry, the event a takeover waits for).
    const tb = await eventually(() => b.acquire('f'), 'the lease to lapse and pass to b');
    expect(tb).toBeGreaterThan(ta);
    expect(await a.acquire('f')).toBe(0);
    await a.release('f'); // not a's to give up
    expect(await a.holder('f')).toBe('router-b');
    await b.release('f');
    expect(await a.holder('f')).toBeUndefined();
  });
});

describe('per-version call figures', () => {
  it('routers add per second; a window sums exactly its seconds, per version', async () => {
    const calls = new VersionCalls(r.conn, 'v1');
    const c = (n: number, failed: number, seconds: number) => {
      const x = emptyVersionCalls();
      for (let i = 0; i < n; i++) observe(x.latency, LATENCY_BOUNDS, seconds);
      x.calls = n;
      x.failed = failed;
      return x;
    };
    const t0 = 1_700_000_000;
    await calls.add(new Map([[t0, new Map([['f', new Map([['new', c(10, 2, 0.02)], ['old', c(90, 0, 0.01)]])]])]]));
    await calls.add(new Map([[t0 + 1, new Map([['f', new Map([['new', c(5, 0, 0.06)]])]])]]));
    await calls.add(new Map([[t0 + 2, new Map([['f', new Map([['new', c(7, 7, 0.02)]])]])]]));
    const w = await calls.window('f', ['new', 'old'], t0 * 1000, (t0 + 2) * 1000);
    expect(w.get('new')).toMatchObject({ calls: 15, failed: 2 });
    expect(w.get('new')!.latency.count).toBe(15);
    expect(w.get('old')).toMatchObject({ calls: 90, failed: 0 });
    expect(p95Of(w.get('new')!)!).toBeGreaterThan(p95Of(w.get('old')!)! * 2.5);
    expect(p95Of(emptyVersionCalls())).toBeNull();
  });
});
