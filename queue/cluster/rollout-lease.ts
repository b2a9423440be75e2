import type { Redis } from 'ioredis';
import { keys } from '../keys.ts';

// Grants or renews the lease on a function's rollout.
// KEYS: 1 the lease, 2 the fencing counter. ARGV: 1 the router's id, 2 the lease's life, ms.
// Returns the holder's fencing token (renewed: the one it was granted), or 0 when another router holds it.
const ACQUIRE = `local cur = redis.call('GET', KEYS[1])
if cur then
  local holder, token = string.match(cur, '^(%S+) (%d+)$')
  if holder == ARGV[1] then
    redis.call('PEXPIRE', KEYS[1], ARGV[2])
    return tonumber(token)
  end
  return 0
end
local token = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], ARGV[1] .. ' ' .. token, 'PX', ARGV[2])
return token`;

// Gives the lease up, only if this router holds it.
// KEYS: 1 the lease. ARGV: 1 the router's id. Returns 1 when dropped, else 0.
const RELEASE = `local cur = redis.call('GET', KEYS[1])
if cur and string.match(cur, '^(%S+) ') == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/**
 * Which router drives each function's rollout: a lease in Redis that its holder renews, with a
 * fencing token that rises on every grant. A router that stops renewing (killed, cut off) loses
 * the lease when it expires and another gets a higher token; the rollout record keeps the token
 * of its last writer, so a late write from the old holder is refused there.
 */
export class RolloutLeases {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly routerId: string,
    /** How long a lease lasts unless renewed (`AUTOGLM_ROLLOUT_LEASE`) [5 s]: how soon another router takes over from a dead one. */
    readonly ttlMs = 5_000,
  ) {}

  /** This router's fencing token for `fn`'s rollout (granting or renewing the lease), or 0 when another holds it. */
  async acquire(fn: string): Promise<number> {
    return Number(await this.redis.eval(ACQUIRE, 2, keys.rolloutLease(this.prefix, fn), keys.rolloutFence(this.prefix, fn), this.routerId, this.ttlMs));
  }

  /** Gives up `fn`'s lease if this router holds it (the rollout ended, or the router stops). */
  async release(fn: string): Promise<void> {
    await this.redis.eval(RELEASE, 1, keys.rolloutLease(this.prefix, fn), this.routerId);
  }

  /** The router holding `fn`'s lease, if any. */
  async holder(fn: string): Promise<string | undefined> {
    return (await this.redis.get(keys.rolloutLease(this.prefix, fn)))?.split(' ')[0];
  }
}
