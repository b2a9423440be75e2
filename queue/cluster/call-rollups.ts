import type { Redis } from 'ioredis';
import { keys } from '../keys.ts';
import { SECONDS_BOUNDS, emptyCounts, quantileOf, type BucketCounts } from './function-stat.ts';

/** One function's calls in one minute, as routers add them up. */
export interface MinuteCalls {
  calls: number;
  /** Answered 4xx (refused input, quota) and 5xx (failed, timed out, unavailable). */
  clientErrors: number;
  serverErrors: number;
  /** Inputs accepted (a bulk job counts each). */
  inputs: number;
  /** Seconds synchronous calls took, in `SECONDS_BOUNDS` buckets. */
  syncSeconds: BucketCounts;
}

/** A minute of a function's calls as the stats API gives it. */
export interface MinutePoint {
  /** Start of the minute, epoch ms. */
  t: number;
  calls: number;
  clientErrors: number;
  serverErrors: number;
  inputs: number;
  /** Synchronous calls' p50 and p95, seconds; null in a minute without any. */
  p50: number | null;
  p95: number | null;
}

const MINUTE_MS = 60_000;
/** Kept two hours: the console charts the last one. */
const KEEP_SECONDS = 7_200;
export const MAX_MINUTES = 120;

export const emptyMinute = (): MinuteCalls => ({ calls: 0, clientErrors: 0, serverErrors: 0, inputs: 0, syncSeconds: emptyCounts(SECONDS_BOUNDS) });

/**
 * Per-minute rollups of each function's calls in Redis, so a console charts the last hour with no
 * Prometheus: every router adds what it answered (one pipelined write every few seconds, not per
 * call), and any router reads the minutes back. Bounded: keys expire after two hours.
 */
export class CallRollups {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  /** Adds `byMinute` (epoch minute → function → counts) in one round trip. */
  async add(byMinute: ReadonlyMap<number, ReadonlyMap<string, MinuteCalls>>): Promise<void> {
    const m = this.redis.multi();
    let any = false;
    for (const [minute, fns] of byMinute) {
      for (const [fn, c] of fns) {
        const key = keys.callsMinute(this.prefix, fn, minute);
        const add = (field: string, n: number) => {
          if (n <= 0) return;
          any = true;
          m.hincrby(key, field, n);
        };
        add('calls', c.calls);
        add('4xx', c.clientErrors);
        add('5xx', c.serverErrors);
        add('inputs', c.inputs);
        c.syncSeconds.counts.forEach((n, i) => add(`s${i}`, n));
        if (c.syncSeconds.sum > 0) m.hincrbyfloat(key, 'ssum', c.syncSeconds.sum);
        m.expire(key, KEEP_SECONDS);
      }
    }
    if (any) await m.exec();
    else m.discard();
  }

  /** Function `fn`'s last `minutes` minutes up to `now`, oldest first (minutes without calls are zeros). */
  async last(fn: string, minutes: number, now = Date.now()): Promise<MinutePoint[]> {
    const n = Math.max(1, Math.min(MAX_MINUTES, Math.floor(minutes)));
    const lastMinute = Math.floor(now / MINUTE_MS);
    const p = this.redis.pipeline();
    for (let i = n - 1; i >= 0; i--) p.hgetall(keys.callsMinute(this.prefix, fn, lastMinute - i));
    const replies = (await p.exec()) ?? [];
    return replies.map(([err, raw], i): MinutePoint => {
      if (err) throw err;
      const h = raw as Record<string, string>;
      const num = (f: string) => Number(h[f] ?? 0);
      const buckets: BucketCounts = { counts: SECONDS_BOUNDS.map((_, b) => num(`s${b}`)).concat(num(`s${SECONDS_BOUNDS.length}`)), sum: num('ssum'), count: 0 };
      buckets.count = buckets.counts.reduce((a, b) => a + b, 0);
      const q = (x: number) => {
        const v = quantileOf(buckets, SECONDS_BOUNDS, x);
        return v === undefined ? null : Math.round(v * 1e4) / 1e4;
      };
      return { t: (lastMinute - (n - 1) + i) * MINUTE_MS, calls: num('calls'), clientErrors: num('4xx'), serverErrors: num('5xx'), inputs: num('inputs'), p50: q(0.5), p95: q(0.95) };
    });
  }
}
