import type { MiddlewareHandler } from 'hono';
import { UnauthorizedError } from './auth-errors.ts';
import type { Principal, TokenVerifier } from './token-verifier.ts';

/**
 * Requires `Authorization: Bearer <jwt>` and puts the caller's {@link Principal} in `c.var.principal`.
 * With `optional`, a request without the header passes with no principal (a public answer that
 * says more to a caller who identifies); a header that is there must still be a valid token.
 * Requests `isPublic` names pass untouched (their route checks a credential of its own).
 * Its 401s carry the challenge of RFC 6750: `WWW-Authenticate: Bearer`, with
 * `error="invalid_token"` when a bearer token was sent and refused.
 */
export function bearerAuth(verifier: TokenVerifier, opts: { optional?: boolean; isPublic?: (method: string, path: string) => boolean } = {}): MiddlewareHandler<{ Variables: { principal: Principal } }> {
  return async function bearerAuthMiddleware(c, next) {
    if (opts.isPublic?.(c.req.method, c.req.path)) return next();
    const h = c.req.header('authorization');
    if (!h && opts.optional) return next();
    const m = h ? /^Bearer\s+(\S+)\s*$/i.exec(h) : null;
    if (!m) {
      // No credentials, or of another scheme: the challenge alone (RFC 6750 §3.1).
      c.header('www-authenticate', 'Bearer');
      throw new UnauthorizedError(h ? 'the Authorization header must be "Bearer <token>"' : 'a bearer token is required');
    }
    let principal: Principal;
    try {
      principal = await verifier.verify(m[1]!);
    } catch (err) {
      if (err instanceof UnauthorizedError) c.header('www-authenticate', 'Bearer error="invalid_token"');
      throw err;
    }
    c.set('principal', principal);
    await next();
  };
}
