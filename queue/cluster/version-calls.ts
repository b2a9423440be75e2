import type { Redis } from 'ioredis';
import { keys } from '../keys.ts';
import { emptyCounts, quantileOf, type BucketCounts } from './function-stat.ts';

/**
 * Upper bounds of the rollout latency histogram, seconds: 2^(k/4) ms, from 0.5 ms to ~2 min.
 * Finer than the dashboards' buckets (about 19% apart, not 2.5×): a p95 ratio gate of 1.5 needs
 * a p95 whose error is well under that.
 */
export const LATENCY_BOUNDS: readonly number[] = Array.from({ length: 73 }, (_, i) => 2 ** ((i - 4) / 4) / 1000);

/** One version's synchronous calls over some seconds. */
export interface VersionCallCounts {
  calls: number;
  /** Answered 5xx: failed, timed out, unavailable. */
  failed: number;
  latency: BucketCounts;
}

export const emptyVersionCalls = (): VersionCallCounts => ({ calls: 0, failed: 0, latency: emptyCounts(LATENCY_BOUNDS) });

/** p95 of the counted calls, seconds; null without any. */
export const p95Of = (c: VersionCallCounts): number | null => quantileOf(c.latency, LATENCY_BOUNDS, 0.95) ?? null;

/** Kept two hours: a window is at most one, read as it ends. */
const KEEP_SECONDS = 7_200;

/**
 * Per-version, per-second counts of synchronous calls in Redis, which every router adds to, so a
 * rollout compares two versions over the same window from the platform's own figures (no
 * Prometheus). Written only for functions rolling out: a second's hash per version is cheap for
 * one function, not for every function of a busy platform.
 */
export class VersionCalls {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  /** Adds `batch` (epoch second → `fn` → version → counts) in one round trip. */
  async add(batch: ReadonlyMap<number, ReadonlyMap<string, ReadonlyMap<string, VersionCallCounts>>>): Promise<void> {
    const m = this.redis.multi();
    let any = false;
    for (const [second, fns] of batch) {
      for (const [fn, versions] of fns) {
        for (const [version, c] of versions) {
          if (c.calls === 0) continue;
          any = true;
          const key = keys.versionCallsSecond(this.prefix, fn, version, second);
          m.hincrby(key, 'n', c.calls);
          if (c.failed) m.hincrby(key, 'f', c.failed);
          c.latency.counts.forEach((n, i) => n && m.hincrby(key, `b${i}`, n));
          m.expire(key, KEEP_SECONDS);
        }
      }
    }
    if (any) await m.exec();
    else m.discard();
  }

  /** The calls of each of `versions` of `fn` answered in [`fromMs`, `toMs`), whole seconds. */
  async window(fn: string, versions: readonly string[], fromMs: number, toMs: number): Promise<Map<string, VersionCallCounts>> {
    const first = Math.floor(fromMs / 1000);
    const last = Math.ceil(toMs / 1000) - 1;
    const p = this.redis.pipeline();
    for (const v of versions) for (let s = first; s <= last; s++) p.hgetall(keys.versionCallsSecond(this.prefix, fn, v, s));
    const replies = (await p.exec()) ?? [];
    const out = new Map<string, VersionCallCounts>();
    let i = 0;
    for (const v of versions) {
      const c = emptyVersionCalls();
      for (let s = first; s <= last; s++) {
        const [err, raw] = replies[i++]!;
        if (err) throw err;
        for (const [field, value] of Object.entries(raw as Record<string, string>)) {
          const n = Number(value);
          if (field === 'n') c.calls += n;
          else if (field === 'f') c.failed += n;
          else if (field[0] === 'b') c.latency.counts[Number(field.slice(1))]! += n;
        }
      }
      c.latency.count = c.latency.counts.reduce((a, b) => a + b, 0);
      out.set(v, c);
    }
    return out;
  }
}
