import type { Redis } from 'ioredis';
import { PlatformError } from '../platform-error.ts';
import { keys } from '../keys.ts';

/** Limits of one namespace; 0 means unlimited. Each counts inputs: a bulk job of N inputs is N. */
export interface NamespaceLimits {
  /** Inputs accepted per second, on average (the token bucket's refill). */
  rate: number;
  /** Most inputs accepted at once (the token bucket's size), so also the largest bulk job a rate limit admits. 0 or absent: `rate`. */
  burst?: number;
  /** Inputs queued or running at once. */
  concurrency: number;
}

/** Too many inputs this second for the namespace. */
export class RateLimitedError extends PlatformError {
  override readonly name = 'RateLimitedError';
  constructor(ns: string, limit: number, readonly retryAfterSeconds: number) {
    super('RATE_LIMITED', `namespace '${ns}' is limited to ${limit} inputs per second`);
  }
}

/** Too many inputs in flight for the namespace. */
export class QuotaExceededError extends PlatformError {
  override readonly name = 'QuotaExceededError';
  constructor(ns: string, limit: number, readonly retryAfterSeconds = 1) {
    super('CONCURRENCY_QUOTA_EXCEEDED', `namespace '${ns}' may have at most ${limit} inputs queued or running`);
  }
}

/** A bulk job with more inputs than the namespace's limits admit at once: it would never be admitted, so retrying is useless. */
export class InputsOverLimitError extends PlatformError {
  override readonly name = 'InputsOverLimitError';
  constructor(ns: string, inputs: number, limit: number, which: 'burst' | 'concurrency') {
    const what = which === 'burst' ? 'inputs accepted at once (its rate limit)' : 'inputs queued or running';
    super('INPUTS_OVER_LIMIT', `inputs: ${inputs} inputs, but namespace '${ns}' admits at most ${limit} ${what}; split the job`, {
      extra: { field: 'inputs', in: 'body', limit, limitOf: which },
    });
  }
}

// KEYS: 1 the namespace's token bucket (hash: tokens, at), 2 its in-flight set.
// ARGV: 1 rate (tokens per second, 0: none), 2 burst (bucket size), 3 concurrency (0: none),
//       4 now ms, 5 in-flight entries' expiry ms, 6 '1' when the ids go all together or none (a job),
//       '0' when any prefix of them may go (calls grouped on their way), then the ids asking, one input each.
// Returns {admitted, 0} all in; {admitted, 1, ms} cut by the rate (ms until the first refused fits);
// {admitted, 2} cut by concurrency; {0, 3} more ids than the burst; {0, 4} more than the concurrency
// (3 and 4 only for '1': such a job never fits).
const ADMIT = `
local rate, burst, conc = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local now = tonumber(ARGV[4])
local whole = ARGV[6] == '1'
local n = #ARGV - 6
if whole and rate > 0 and n > burst then return {0, 3, 0} end
if whole and conc > 0 and n > conc then return {0, 4, 0} end
local allowed, code, ms = n, 0, 0
local tokens = burst
if rate > 0 then
  local b = redis.call('HMGET', KEYS[1], 'tokens', 'at')
  if b[1] then tokens = math.min(burst, tonumber(b[1]) + math.max(0, now - tonumber(b[2])) * rate / 1000) end
  local room = math.floor(tokens)
  if room < n then
    allowed, code = whole and 0 or room, 1
    ms = math.ceil(((allowed + (whole and n or 1)) - tokens) * 1000 / rate)
  end
end
if conc > 0 and allowed > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[4])
  local room = conc - redis.call('ZCARD', KEYS[2])
  if room < allowed then allowed, code = (whole and 0 or math.max(room, 0)), 2 end
  for i = 1, allowed do redis.call('ZADD', KEYS[2], ARGV[5], ARGV[6 + i]) end
end
if rate > 0 then
  redis.call('HSET', KEYS[1], 'tokens', tostring(tokens - allowed), 'at', ARGV[4])
  -- Once full again, an absent bucket reads the same.
  redis.call('PEXPIRE', KEYS[1], math.ceil(burst * 1000 / rate) + 1000)
end
return {allowed, code, ms}`;

/** Options of {@link NamespaceLimiter.admitMany}. */
export interface AdmitOptions {
  /** Longest the entries may hold a slot, ms (the call's deadline); capped by the limiter's `maxHoldMs`. */
  holdMs?: number | undefined;
  /** All the ids go together or none (one job's inputs), rather than the first ones that fit (calls grouped on their way). Default false. */
  whole?: boolean;
  /** Whether the ids take rate tokens. Shadow copies do not (the tenant did not send them), but take concurrency slots (they run). Default true. */
  rate?: boolean;
}

/**
 * Per-namespace rate limits and concurrency quotas, shared by every router through Redis. Both
 * count inputs, not requests, so a bulk job of N inputs weighs what N calls do:
 *
 * - the rate is a token bucket of `burst` tokens refilled at `rate` per second; each input takes
 *   one. A job takes all its tokens or none (429 with the seconds until they are there); a bulk
 *   job larger than the bucket can never fit and is refused with 400 naming `inputs`. This is how
 *   cost-weighted limiters answer (Shopify's query cost, Kong's cost-based limiting, Guava's
 *   `acquire(permits)`): a caller learns at once whether to wait or to split.
 * - the concurrency is a set of in-flight ids (one per input: the job's id, or its items' ids) that
 *   workers remove when the job ends; entries expire, so a lost release cannot hold a slot forever.
 *
 * Namespaces without limits cost nothing.
 */
export class NamespaceLimiter {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly limitsOf: (ns: string) => NamespaceLimits,
    /** How long an in-flight entry may hold a slot at most, ms. Default 1 hour. */
    private readonly maxHoldMs = 3_600_000,
    /** The clock, epoch ms (tests turn it by hand). */
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Admits one job: `ids` are its slots (its id, or a bulk job's item ids), all or none.
   * @throws RateLimitedError, QuotaExceededError, InputsOverLimitError
   */
  async admit(ns: string, ids: string | string[], holdMs?: number): Promise<void> {
    const { refusal } = await this.admitMany(ns, typeof ids === 'string' ? [ids] : ids, { holdMs, whole: true });
    if (refusal) throw refusal;
  }

  /**
   * Admits the inputs of `ids` that the limits allow, in one round trip: `admitted` of them, in
   * order (all or none with `whole`); `refusal` says why the rest were refused.
   */
  async admitMany(ns: string, ids: string[], opts: AdmitOptions = {}): Promise<{ admitted: number; refusal?: RateLimitedError | QuotaExceededError | InputsOverLimitError }> {
    const l = this.limitsOf(ns);
    const rate = opts.rate === false ? 0 : l.rate;
    if (!rate && !l.concurrency) return { admitted: ids.length };
    const burst = l.burst || l.rate;
    const now = this.now();
    const [admitted, code, ms] = (await this.redis.eval(
      ADMIT,
      2,
      keys.rate(this.prefix, ns),
      keys.inflight(this.prefix, ns),
      rate,
      burst,
      l.concurrency,
      now,
      now + Math.min(opts.holdMs ?? this.maxHoldMs, this.maxHoldMs),
      opts.whole ? '1' : '0',
      ...ids,
    )) as [number, number, number];
    if (code === 1) return { admitted, refusal: new RateLimitedError(ns, l.rate, Math.max(1, Math.ceil(ms / 1000))) };
    if (code === 2) return { admitted, refusal: new QuotaExceededError(ns, l.concurrency) };
    if (code === 3) return { admitted, refusal: new InputsOverLimitError(ns, ids.length, burst, 'burst') };
    if (code === 4) return { admitted, refusal: new InputsOverLimitError(ns, ids.length, l.concurrency, 'concurrency') };
    return { admitted };
  }

  /** Frees a job's slots (`ids`: its id, or its items' ids) when it was refused or is cancelled. Workers free slots when jobs end. */
  async release(ns: string, ids: string | string[]): Promise<void> {
    const list = typeof ids === 'string' ? [ids] : ids;
    if (this.limitsOf(ns).concurrency && list.length) await this.redis.zrem(keys.inflight(this.prefix, ns), ...list);
  }
}
