import type { Redis } from 'ioredis';
import { keys } from '../keys.ts';

/** One shadowed call: the serving version's outcome and the candidate's. */
export interface ShadowSample {
  agree: boolean;
  servingOk: boolean;
  shadowOk: boolean;
  servingMs: number;
  shadowMs: number;
}

/** What `GET /v1/functions/{name}/shadow` reports for one candidate. */
export interface ShadowReport {
  candidate: string;
  samples: number;
  agreement: number | null;
  agreed: number;
  servingErrors: number;
  shadowErrors: number;
  latencyMs: { serving: { p50: number | null; p95: number | null }; shadow: { p50: number | null; p95: number | null } };
}

/** Latencies kept per side, most recent first, for percentiles. */
const KEEP = 1000;

/** Samples wait this long in memory, then one transaction writes all of them. */
const FLUSH_MS = 100;

/**
 * Shadow-traffic statistics in Redis: counters per candidate version plus the most recent
 * latencies of both sides, so several routers add to one report. Samples are written in
 * batches: with every call mirrored, a transaction per sample cost Redis more than the copy's
 * queue job did. A report may lag the calls by {@link FLUSH_MS}.
 */
export class ShadowStats {
  private pending = new Map<string, { fn: string; candidate: string; samples: ShadowSample[] }>();
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private key(fn: string, candidate: string, part: string): string {
    return keys.shadow(this.prefix, fn, candidate, part);
  }

  /** Queues one sample; it reaches Redis within {@link FLUSH_MS}. */
  record(fn: string, candidate: string, s: ShadowSample): void {
    const k = `${fn}@${candidate}`;
    let p = this.pending.get(k);
    if (!p) this.pending.set(k, (p = { fn, candidate, samples: [] }));
    p.samples.push(s);
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      void this.flush().catch(() => undefined); // stats only: a sample Redis refused is dropped
    }, FLUSH_MS).unref();
  }

  /** Writes the queued samples now (at shutdown, and on the timer). */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = [...this.pending.values()];
    this.pending.clear();
    if (batch.length === 0) return this.writing;
    const m = this.redis.multi();
    for (const { fn, candidate, samples } of batch) {
      const counts = { samples: samples.length, agreed: 0, servingErrors: 0, shadowErrors: 0 };
      for (const s of samples) {
        if (s.agree) counts.agreed++;
        if (!s.servingOk) counts.servingErrors++;
        if (!s.shadowOk) counts.shadowErrors++;
      }
      for (const [field, n] of Object.entries(counts)) if (n > 0) m.hincrby(this.key(fn, candidate, 'counts'), field, n);
      // LPUSH of many values pushes them in turn: the newest ends up first, as one at a time.
      const serving = this.key(fn, candidate, 'serving');
      const shadow = this.key(fn, candidate, 'shadow');
      m.lpush(serving, ...samples.map((s) => s.servingMs)).ltrim(serving, 0, KEEP - 1);
      m.lpush(shadow, ...samples.map((s) => s.shadowMs)).ltrim(shadow, 0, KEEP - 1);
    }
    const run = this.writing.then(() => m.exec()).then(() => undefined);
    this.writing = run.catch(() => undefined);
    return run;
  }

  async report(fn: string, candidate: string): Promise<ShadowReport> {
    const [counts, serving, shadow] = await Promise.all([
      this.redis.hgetall(this.key(fn, candidate, 'counts')),
      this.redis.lrange(this.key(fn, candidate, 'serving'), 0, -1),
      this.redis.lrange(this.key(fn, candidate, 'shadow'), 0, -1),
    ]);
    const n = Number(counts.samples ?? 0);
    const agreed = Number(counts.agreed ?? 0);
    return {
      candidate,
      samples: n,
      agreed,
      agreement: n ? agreed / n : null,
      servingErrors: Number(counts.servingErrors ?? 0),
      shadowErrors: Number(counts.shadowErrors ?? 0),
      latencyMs: { serving: percentiles(serving.map(Number)), shadow: percentiles(shadow.map(Number)) },
    };
  }

  async clear(fn: string): Promise<void> {
    for (const [k, p] of this.pending) if (p.fn === fn) this.pending.delete(k);
    // SCAN, not KEYS: never block a shared Redis on a large keyspace.
    for await (const batch of this.redis.scanStream({ match: keys.shadowPattern(this.prefix, fn), count: 200 })) {
      if ((batch as string[]).length) await this.redis.del(...(batch as string[]));
    }
  }
}

function percentiles(xs: number[]): { p50: number | null; p95: number | null } {
  if (xs.length === 0) return { p50: null, p95: null };
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
  return { p50: at(0.5), p95: at(0.95) };
}
