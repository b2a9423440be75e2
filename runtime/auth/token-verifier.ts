import { createSecretKey, type KeyObject } from 'node:crypto';
import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import { UnauthorizedError } from '../http/errors.ts';

/** Who is calling, from a verified token. */
export interface Principal {
  sub: string;
  roles: readonly string[];
  /** Namespaces the caller may act in; `*` for all. Default `['default']`. */
  namespaces: readonly string[];
}

/** Options of a {@link TokenVerifier}. */
export interface TokenVerifierOptions {
  /** HS256 secret. */
  secret: string;
  /** Allowed clock skew, seconds. Default 30. */
  clockToleranceSeconds?: number;
  /** Verified tokens remembered, to skip HMAC work on repeat callers. Default 10,000. */
  cacheSize?: number;
}

const KNOWN_ROLES = new Set(['admin', 'deployer', 'invoker', 'viewer']);

/**
 * Verifies bearer JWTs (HS256 with the platform secret) and turns their claims into a
 * {@link Principal}. A verified token is cached until it expires, so the hot path pays for a
 * map lookup instead of an HMAC per request.
 */
export class TokenVerifier {
  private readonly key: KeyObject;
  private readonly cache = new Map<string, { p: Principal; exp: number }>();
  private readonly cacheSize: number;
  private readonly skew: number;

  constructor(opts: TokenVerifierOptions) {
    this.key = createSecretKey(Buffer.from(opts.secret, 'utf8'));
    this.cacheSize = opts.cacheSize ?? 10_000;
    this.skew = opts.clockToleranceSeconds ?? 30;
  }

  /** @throws UnauthorizedError for any bad token, without saying which check failed. */
  async verify(token: string): Promise<Principal> {
    const now = Date.now() / 1000;
    const hit = this.cache.get(token);
    if (hit && hit.exp + this.skew > now) return hit.p;
    let payload;
    try {
      ({ payload } = await jwtVerify(token, this.key, { algorithms: ['HS256'], clockTolerance: this.skew }));
    } catch (err) {
      if (err instanceof joseErrors.JOSEError) throw new UnauthorizedError('the bearer token is invalid or expired');
      throw err;
    }
    const roles = Array.isArray(payload.roles) ? payload.roles.filter((r): r is string => typeof r === 'string' && KNOWN_ROLES.has(r)) : [];
    if (typeof payload.sub !== 'string' || payload.sub === '' || roles.length === 0) {
      throw new UnauthorizedError('the bearer token lacks a subject or a known role');
    }
    const ns = Array.isArray(payload.namespaces) ? payload.namespaces.filter((n): n is string => typeof n === 'string') : ['default'];
    const p: Principal = Object.freeze({ sub: payload.sub, roles: Object.freeze(roles), namespaces: Object.freeze(ns) });
    if (this.cache.size >= this.cacheSize) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(token, { p, exp: payload.exp ?? Infinity });
    return p;
  }

  /** Mints a token for the built-in issuer (the launcher's admin token, tests, `autoglm token`). */
  async mint(claims: { sub: string; roles: string[]; namespaces?: string[] }, ttlSeconds = 7 * 86_400): Promise<string> {
    return new SignJWT({ roles: claims.roles, ...(claims.namespaces ? { namespaces: claims.namespaces } : {}) })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(claims.sub)
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds)
      .sign(this.key);
  }
}
