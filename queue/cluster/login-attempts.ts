import type { Redis } from 'ioredis';
import { keys } from '../keys.ts';

/** Options of {@link LoginAttempts}. */
export interface LoginAttemptsOptions {
  /** Failed attempts an address may make per window. Default 10. */
  maxFailures?: number;
  /** The window, ms, from an address's first failure. Default 10 minutes. */
  windowMs?: number;
}

/**
 * Bounds the failed sign-in codes one peer address may try. A code has 256 random bits, so
 * guessing is hopeless anyway; the bound keeps a script from making the attempt cheap, and the
 * count is shared by every router (Redis), not per process.
 */
export class LoginAttempts {
  private readonly max: number;
  private readonly windowMs: number;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    opts: LoginAttemptsOptions = {},
  ) {
    this.max = opts.maxFailures ?? 10;
    this.windowMs = opts.windowMs ?? 600_000;
  }

  /** Seconds until `address` may try again, or 0 when it may now. */
  async blockedFor(address: string): Promise<number> {
    const key = keys.loginFailures(this.prefix, address);
    const [[, count], [, pttl]] = (await this.redis.multi().get(key).pttl(key).exec()) as [[unknown, string | null], [unknown, number]];
    return Number(count ?? 0) >= this.max ? Math.max(1, Math.ceil(pttl / 1000)) : 0;
  }

  /** Counts one failed attempt by `address`; the window starts at its first. */
  async failed(address: string): Promise<void> {
    const key = keys.loginFailures(this.prefix, address);
    await this.redis.multi().incr(key).pexpire(key, this.windowMs, 'NX').exec();
  }
}
