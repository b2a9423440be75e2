import type { Redis } from 'ioredis';
import { AutoglmError } from '../functions/sdk/index.ts';

/** Limits of one namespace; 0 means unlimited. */
export interface NamespaceLimits {
  /** Invocations accepted per second. */
  rate: number;
  /** Invocations queued or running at once. */
  concurrency: number;
}

/** Too many calls this second for the namespace. */
export class RateLimitedError extends AutoglmError {
  override readonly name = 'RateLimitedError';
  constructor(ns: string, limit: number, readonly retryAfterSeconds: number) {
    super('RATE_LIMITED', `namespace '${ns}' is limited to ${limit} calls per second`, { status: 429, retryable: true });
  }
}

/** Too many calls in flight for the namespace. */
export class QuotaExceededError extends AutoglmError {
  override readonly name = 'QuotaExceededError';
  constructor(ns: string, limit: number, readonly retryAfterSeconds = 1) {
    super('CONCURRENCY_QUOTA_EXCEEDED', `namespace '${ns}' may have at most ${limit} calls queued or running`, { status: 429, retryable: true });
  }
}

// KEYS: 1 rate counter (this second), 2 in-flight set. ARGV: rate, concurrency, now ms, job id, expiry ms.
// Returns {0} admitted, {1, ms} over rate (ms until the window ends), {2} over concurrency.
const ADMIT = `
local rate = tonumber(ARGV[1])
local conc = tonumber(ARGV[2])
if rate > 0 then
  local n = redis.call('INCR', KEYS[1])
  if n == 1 then redis.call('PEXPIRE', KEYS[1], 1000) end
  if n > rate then return {1, redis.call('PTTL', KEYS[1])} end
end
if conc > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[3])
  if redis.call('ZCARD', KEYS[2]) >= conc then return {2, 0} end
  redis.call('ZADD', KEYS[2], ARGV[5], ARGV[4])
end
return {0, 0}`;

/**
 * Per-namespace rate limits and concurrency quotas, shared by every router through Redis: a
 * one-second counter and a set of in-flight job ids (entries expire, so a lost release cannot
 * hold a slot forever). Namespaces without limits cost nothing.
 */
export class NamespaceLimiter {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly limitsOf: (ns: string) => NamespaceLimits,
    /** How long an in-flight entry may hold a slot at most, ms. Default 1 hour. */
    private readonly maxHoldMs = 3_600_000,
  ) {}

  /** @throws RateLimitedError, QuotaExceededError */
  async admit(ns: string, jobId: string, holdMs?: number): Promise<void> {
    const l = this.limitsOf(ns);
    if (!l.rate && !l.concurrency) return;
    const now = Date.now();
    const [code, ms] = (await this.redis.eval(
      ADMIT,
      2,
      `${this.prefix}:rate:${ns}:${Math.floor(now / 1000)}`,
      inflightKey(this.prefix, ns),
      l.rate,
      l.concurrency,
      now,
      jobId,
      now + Math.min(holdMs ?? this.maxHoldMs, this.maxHoldMs),
    )) as [number, number];
    if (code === 1) throw new RateLimitedError(ns, l.rate, Math.max(1, Math.ceil(ms / 1000)));
    if (code === 2) throw new QuotaExceededError(ns, l.concurrency);
  }

  /** Frees the job's slot (a refused submission, a cancel). Workers free slots when jobs end. */
  async release(ns: string, jobId: string): Promise<void> {
    if (this.limitsOf(ns).concurrency) await this.redis.zrem(inflightKey(this.prefix, ns), jobId);
  }
}

/** The in-flight set of a namespace; workers remove finished jobs from it. */
export const inflightKey = (prefix: string, ns: string): string => `${prefix}:inflight:${ns}`;
