import type { Redis } from 'ioredis';

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

/**
 * Shadow-traffic statistics in Redis: counters per candidate version plus the most recent
 * latencies of both sides, so several routers add to one report.
 */
export class ShadowStats {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private key(fn: string, candidate: string, part: string): string {
    return `${this.prefix}:shadow:${fn}:${candidate}:${part}`;
  }

  async record(fn: string, candidate: string, s: ShadowSample): Promise<void> {
    const m = this.redis.multi();
    const c = this.key(fn, candidate, 'counts');
    m.hincrby(c, 'samples', 1);
    if (s.agree) m.hincrby(c, 'agreed', 1);
    if (!s.servingOk) m.hincrby(c, 'servingErrors', 1);
    if (!s.shadowOk) m.hincrby(c, 'shadowErrors', 1);
    m.lpush(this.key(fn, candidate, 'serving'), s.servingMs).ltrim(this.key(fn, candidate, 'serving'), 0, KEEP - 1);
    m.lpush(this.key(fn, candidate, 'shadow'), s.shadowMs).ltrim(this.key(fn, candidate, 'shadow'), 0, KEEP - 1);
    await m.exec();
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
    // SCAN, not KEYS: never block a shared Redis on a large keyspace.
    for await (const batch of this.redis.scanStream({ match: `${this.prefix}:shadow:${fn}:*`, count: 200 })) {
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
