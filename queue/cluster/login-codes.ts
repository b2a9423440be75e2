import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { keys } from '../keys.ts';

/** Options of {@link LoginCodes}. */
export interface LoginCodesOptions {
  /** How long a code may be redeemed, ms. Default 10 minutes. */
  ttlMs?: number;
}

/** A code as {@link LoginCodes.issue} hands it out: give it to the one who should sign in, once. */
export interface IssuedLoginCode {
  /** 32 random bytes, base64url (43 characters). */
  code: string;
  /** When it stops working, ms since the epoch. */
  expiresAt: number;
}

/** The grammar of a code: what {@link LoginCodes.issue} makes, so anything else is refused unread. */
export const LOGIN_CODE = /^[A-Za-z0-9_-]{43}$/;

// Two keys from one code, under distinct labels: the Redis key names the code's hash, the value is
// sealed with a key only the code gives. Whoever reads Redis (a backup, MONITOR) learns no token.
const derive = (label: string, code: string) => createHash('sha256').update(`autoglm console code ${label}\0${code}`).digest();

/**
 * One-time codes that stand for a bearer token (the console's sign-in links): `issue` keeps the
 * token in Redis sealed under the code, with a TTL; `redeem` takes it out with GETDEL, so of two
 * racing redeems exactly one gets it, and a code works once. The token is the one it was issued
 * for, unchanged: a code never carries more than its issuer had, nor for longer.
 */
export class LoginCodes {
  private readonly ttlMs: number;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    opts: LoginCodesOptions = {},
  ) {
    this.ttlMs = opts.ttlMs ?? 600_000;
  }

  /** Keeps `token` under a fresh code for {@link LoginCodesOptions.ttlMs}. */
  async issue(token: string): Promise<IssuedLoginCode> {
    const code = randomBytes(32).toString('base64url');
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', derive('key', code), iv);
    const sealed = Buffer.concat([iv, cipher.update(token, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    await this.redis.set(keys.loginCode(this.prefix, derive('id', code).toString('hex')), sealed.toString('base64'), 'PX', this.ttlMs);
    return { code, expiresAt: Date.now() + this.ttlMs };
  }

  /** The token `code` stands for, removing it; undefined when the code is unknown, used or expired. */
  async redeem(code: string): Promise<string | undefined> {
    if (!LOGIN_CODE.test(code)) return undefined;
    const stored = await this.redis.getdel(keys.loginCode(this.prefix, derive('id', code).toString('hex')));
    if (!stored) return undefined;
    const b = Buffer.from(stored, 'base64');
    const decipher = createDecipheriv('aes-256-gcm', derive('key', code), b.subarray(0, 12));
    decipher.setAuthTag(b.subarray(b.length - 16));
    return Buffer.concat([decipher.update(b.subarray(12, b.length - 16)), decipher.final()]).toString('utf8');
  }
}
