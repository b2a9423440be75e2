import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { UnauthorizedError } from './auth-errors.ts';
import { bearerAuth } from './bearer-auth.ts';
import { TokenVerifier } from './token-verifier.ts';

const verifier = new TokenVerifier({ secret: 'bearer-auth-test-secret-0123456789abcdef' });

function app(optional = false) {
  const a = new Hono();
  a.use('*', bearerAuth(verifier, { optional }));
  a.get('/x', (c) => c.text('ok'));
  // As the router answers errors: through the context, so headers set before the throw stay.
  a.onError((err, c) => c.json({ code: (err as UnauthorizedError).code }, (err as UnauthorizedError).status as ContentfulStatusCode));
  return a;
}

const get = (authorization?: string, optional = false) => app(optional).request('/x', authorization === undefined ? {} : { headers: { authorization } });

describe('bearerAuth', () => {
  it('answers a request without a bearer token 401 with the challenge alone (RFC 6750)', async () => {
    for (const auth of [undefined, 'Basic abc', 'Bearer']) {
      const r = await get(auth);
      expect([r.status, r.headers.get('www-authenticate')], String(auth)).toEqual([401, 'Bearer']);
      expect((await r.json()).code).toBe('UNAUTHORIZED');
    }
  });

  it('answers a bearer token it refuses 401 with error="invalid_token", also where a token is optional', async () => {
    for (const optional of [false, true]) {
      const r = await get('Bearer not.a.jwt', optional);
      expect([r.status, r.headers.get('www-authenticate')]).toEqual([401, 'Bearer error="invalid_token"']);
    }
  });

  it('lets a valid token through without a challenge', async () => {
    const r = await get(`Bearer ${await verifier.mint({ sub: 'ann', roles: ['viewer'] })}`);
    expect([r.status, r.headers.get('www-authenticate')]).toEqual([200, null]);
  });
});
