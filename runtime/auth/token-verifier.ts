import { createSecretKey, type KeyObject } from 'node:crypto';
import { SignJWT, createRemoteJWKSet, decodeProtectedHeader, jwtVerify, errors as joseErrors, type JWTPayload } from 'jose';
import { UnauthorizedError } from './auth-errors.ts';

/** Who is calling, from a verified token. */
export interface Principal {
  sub: string;
  roles: readonly string[];
  /** Namespaces the caller may act in; `*` for all. Default `['default']`. */
  namespaces: readonly string[];
  /** Functions an `invoker` is limited to (`name` or `namespace/name`); undefined: all in its namespaces. */
  functions?: readonly string[];
  /** Which issuer vouched for it: `builtin` (HS256 secret) or the identity provider's issuer. */
  issuer: string;
}

/** The company identity provider (OIDC / JWKS): RS256 and ES256 tokens. */
export interface IdentityProvider {
  /** Expected `iss`. With `jwksUrl` unset, `<issuer>/.well-known/openid-configuration` is read for it. */
  issuer: string;
  jwksUrl?: string;
  /** Expected `aud`. */
  audience: string;
  /** Claim holding roles; a dotted path such as `realm_access.roles` (Keycloak). Default `roles`. */
  rolesClaim?: string;
  /** Claim holding namespaces. Default `namespaces`. */
  namespacesClaim?: string;
}

/** Options of a {@link TokenVerifier}. */
export interface TokenVerifierOptions {
  /** HS256 secret of the built-in issuer (small installs, `autoglm token create`); undefined: built-in tokens refused. */
  secret?: string;
  /** The identity provider, if any. */
  idp?: IdentityProvider;
  /** Allowed clock skew, seconds. Default 30. */
  clockToleranceSeconds?: number;
  /** Verified tokens remembered, to skip signature work on repeat callers. Default 10,000. */
  cacheSize?: number;
  /** How long a fetched JWKS is trusted before refetching, ms. Default 10 minutes. */
  jwksCacheMs?: number;
  /** Least time between refetches prompted by an unknown `kid` (key rotation), ms. Default 30 s. */
  jwksCooldownMs?: number;
}

/** `iss` of tokens minted by the platform itself. */
export const BUILTIN_ISSUER = 'autoglm';
export const KNOWN_ROLES = new Set(['admin', 'deployer', 'invoker', 'viewer', 'worker']);
const IDP_ALGS = ['RS256', 'ES256'];

/**
 * Verifies bearer JWTs from the built-in issuer (HS256 with the platform secret) or the company
 * identity provider (RS256/ES256 against its JWKS, keys picked by `kid`, the set cached and
 * refetched on rotation). The token's `alg` decides which key may verify it, and each key
 * accepts only its own algorithms, so an HS256 token signed with an IdP's public key (algorithm
 * confusion) and `alg: none` both fail. Failures are one generic 401: which check failed is
 * logged by nobody and told to nobody.
 */
export class TokenVerifier {
  private readonly key: KeyObject | undefined;
  private readonly cache = new Map<string, { p: Principal; exp: number }>();
  private readonly cacheSize: number;
  private readonly skew: number;
  private jwks: ReturnType<typeof createRemoteJWKSet> | undefined;
  private jwksInit: Promise<ReturnType<typeof createRemoteJWKSet>> | undefined;

  constructor(private readonly opts: TokenVerifierOptions) {
    this.key = opts.secret ? createSecretKey(Buffer.from(opts.secret, 'utf8')) : undefined;
    this.cacheSize = opts.cacheSize ?? 10_000;
    this.skew = opts.clockToleranceSeconds ?? 30;
  }

  /** @throws UnauthorizedError for any bad token, without saying which check failed. */
  async verify(token: string): Promise<Principal> {
    const now = Date.now() / 1000;
    const hit = this.cache.get(token);
    if (hit && hit.exp + this.skew > now) return hit.p;
    const p = await this.verifyUncached(token);
    if (this.cache.size >= this.cacheSize) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(token, { p: p.principal, exp: p.exp });
    return p.principal;
  }

  private async verifyUncached(token: string): Promise<{ principal: Principal; exp: number }> {
    let alg: string | undefined;
    try {
      alg = decodeProtectedHeader(token).alg;
    } catch {
      throw invalid();
    }
    let payload: JWTPayload;
    try {
      if (alg === 'HS256' && this.key) {
        ({ payload } = await jwtVerify(token, this.key, { algorithms: ['HS256'], issuer: BUILTIN_ISSUER, clockTolerance: this.skew, requiredClaims: ['exp', 'sub'] }));
      } else if (alg && IDP_ALGS.includes(alg) && this.opts.idp) {
        ({ payload } = await jwtVerify(token, await this.keySet(), {
          algorithms: IDP_ALGS,
          issuer: this.opts.idp.issuer,
          audience: this.opts.idp.audience,
          clockTolerance: this.skew,
          requiredClaims: ['exp', 'sub'],
        }));
      } else {
        throw invalid();
      }
    } catch (err) {
      if (err instanceof joseErrors.JOSEError || err instanceof UnauthorizedError || err instanceof TypeError) throw invalid();
      throw err;
    }
    const fromIdp = alg !== 'HS256';
    const roles = claimList(payload, fromIdp ? (this.opts.idp!.rolesClaim ?? 'roles') : 'roles').filter((r) => KNOWN_ROLES.has(r));
    if (typeof payload.sub !== 'string' || payload.sub === '' || roles.length === 0) throw new UnauthorizedError('the bearer token lacks a subject or a known role');
    const nsClaim = claimList(payload, fromIdp ? (this.opts.idp!.namespacesClaim ?? 'namespaces') : 'namespaces');
    const fns = claimList(payload, 'functions');
    const principal: Principal = Object.freeze({
      sub: payload.sub,
      roles: Object.freeze(roles),
      namespaces: Object.freeze(nsClaim.length ? nsClaim : ['default']),
      ...(fns.length ? { functions: Object.freeze(fns) } : {}),
      issuer: fromIdp ? this.opts.idp!.issuer : 'builtin',
    });
    return { principal, exp: payload.exp ?? 0 };
  }

  /** The IdP's key set: from `jwksUrl`, or discovered once from the issuer's OIDC metadata. */
  private keySet(): Promise<ReturnType<typeof createRemoteJWKSet>> {
    if (this.jwks) return Promise.resolve(this.jwks);
    this.jwksInit ??= (async () => {
      const idp = this.opts.idp!;
      let url = idp.jwksUrl;
      if (!url) {
        const res = await fetch(`${idp.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`, { signal: AbortSignal.timeout(5000) });
        const meta = (await res.json()) as { jwks_uri?: string; issuer?: string };
        if (!res.ok || !meta.jwks_uri) throw new UnauthorizedError('the identity provider could not be reached');
        url = meta.jwks_uri;
      }
      this.jwks = createRemoteJWKSet(new URL(url), { cacheMaxAge: this.opts.jwksCacheMs ?? 600_000, cooldownDuration: this.opts.jwksCooldownMs ?? 30_000, timeoutDuration: 5000 });
      return this.jwks;
    })().catch((err) => {
      this.jwksInit = undefined; // try discovery again on the next call
      throw err;
    });
    return this.jwksInit;
  }

  /** Mints a token for the built-in issuer (the launcher's admin token, `autoglm token create`, tests). */
  async mint(claims: { sub: string; roles: string[]; namespaces?: string[]; functions?: string[] }, ttlSeconds = 7 * 86_400): Promise<string> {
    if (!this.key) throw new Error('the built-in issuer is disabled (no AUTOGLM_JWT_SECRET)');
    return new SignJWT({ roles: claims.roles, ...(claims.namespaces ? { namespaces: claims.namespaces } : {}), ...(claims.functions ? { functions: claims.functions } : {}) })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer(BUILTIN_ISSUER)
      .setSubject(claims.sub)
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds)
      .sign(this.key);
  }
}

const invalid = () => new UnauthorizedError('the bearer token is invalid or expired');

/** A string-list claim at a dotted path; a single string counts as a list of one. */
function claimList(payload: JWTPayload, path: string): string[] {
  let v: unknown = payload;
  for (const part of path.split('.')) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[part] : undefined;
  if (typeof v === 'string') return [v];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}
