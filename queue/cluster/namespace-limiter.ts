import type { Redis } from 'ioredis';
import { PlatformError } from '../platform-error.ts';
import { keys } from '../keys.ts';

/** Limits of one namespace; 0 means unlimited. */
export interface NamespaceLimits {
  /** Invocations accepted per second. */
  rate: number;
  /** Invocations queued or running at once. */
  concurrency: number;
}

/** Too many calls this second for the namespace. */
export class RateLimitedError extends PlatformError {
  override readonly name = 'RateLimitedError';
  constructor(ns: string, limit: number, readonly retryAfterSeconds: number) {
    super('RATE_LIMITED', `namespace '${ns}' is limited to ${limit} calls per second`);
  }
}

/** Too many calls in flight for the namespace. */
export class QuotaExceededError extends PlatformError {
  override readonly name = 'QuotaExceededError';
  constructor(ns: string, limit: number, readonly retryAfterSeconds = 1) {
    super('CONCURRENCY_QUOTA_EXCEEDED', `namespace '${ns}' may have at most ${limit} calls queued or running`);
  }
}

// KEYS: 1 rate counter (this second), 2 in-flight set. ARGV: rate, concurrency, now ms, expiry ms,
// then the job ids asking. Admits as many as both limits allow, in order.
// Returns {admitted, 0} all in, {admitted, 1, ms} cut by the rate (ms until the window ends),
// {admitted, 2} cut by concurrency.
const ADMIT = `
local rate = tonumber(ARGV[1])
local conc = tonumber(ARGV[2])
local n = #ARGV - 4
local allowed, code, ms = n, 0, 0
if rate > 0 then
  local room = rate - tonumber(redis.call('GET', KEYS[1]) or '0')
  if room < allowed then
    allowed, code = math.max(room, 0), 1
    ms = redis.call('PTTL', KEYS[1])
  end
end
if conc > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[3])
  local room = conc - redis.call('ZCARD', KEYS[2])
  if room < allowed then allowed, code = math.max(room, 0), 2 end
  for i = 1, allowed do redis.call('ZADD', KEYS[2], ARGV[4], ARGV[4 + i]) end
end
if rate > 0 and allowed > 0 then
  if redis.call('INCRBY', KEYS[1], allowed) == allowed then redis.call('PEXPIRE', KEYS[1], 1000) end
end
return {allowed, code, ms}`;

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
    const { refusal } = await this.admitMany(ns, [jobId], holdMs);
    if (refusal) throw refusal;
  }

  /**
   * Admits the first calls of `jobIds` that the limits allow, in one round trip: `admitted` of
   * them, in order; `refusal` says why the rest were refused.
   */
  async admitMany(ns: string, jobIds: string[], holdMs?: number): Promise<{ admitted: number; refusal?: RateLimitedError | QuotaExceededError }> {
    const l = this.limitsOf(ns);
    if (!l.rate && !l.concurrency) return { admitted: jobIds.length };
    const now = Date.now();
    const [admitted, code, ms] = (await this.redis.eval(
      ADMIT,
      2,
      keys.rate(this.prefix, ns, Math.floor(now / 1000)),
      keys.inflight(this.prefix, ns),
      l.rate,
      l.concurrency,
      now,
      now + Math.min(holdMs ?? this.maxHoldMs, this.maxHoldMs),
      ...jobIds,
    )) as [number, number, number];
    if (code === 1) return { admitted, refusal: new RateLimitedError(ns, l.rate, Math.max(1, Math.ceil(ms / 1000))) };
    if (code === 2) return { admitted, refusal: new QuotaExceededError(ns, l.concurrency) };
    return { admitted };
  }

  /** Frees the job's slot (a refused submission, a cancel). Workers free slots when jobs end. */
  async release(ns: string, jobId: string): Promise<void> {
    if (this.limitsOf(ns).concurrency) await this.redis.zrem(keys.inflight(this.prefix, ns), jobId);
  }
}

