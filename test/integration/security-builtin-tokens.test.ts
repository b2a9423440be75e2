import { SignJWT, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JWT_SECRET, startPlatform, type TestPlatform } from '../harness/platform.ts';
import { startTestRedis, type TestRedis } from '../harness/redis.ts';

// The attack set of security-identity.test.ts, against the built-in HS256 issuer (the router's own
// secret) with no identity provider configured. Tokens are minted here, as README's "Calling
// functions" tells a client to, not by the router's own `mint`.

let redis: TestRedis;
let p: TestPlatform;
beforeAll(async () => {
  redis = await startTestRedis();
  // Authentication is all this file checks: no pool, no functions needed.
  p = await startPlatform(redis.url, { pool: false, deploy: false });
});
afterAll(async () => {
  await p?.stop();
  await redis?.destroy();
});

const now = () => Math.floor(Date.now() / 1000);
const key = (secret: string) => new TextEncoder().encode(secret);
const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

/** A token as README's recipe mints it; `claims` replace or (undefined) remove registered claims. */
function mint(o: { claims?: JWTPayload; secret?: string } = {}): Promise<string> {
  const claims: JWTPayload = { iss: 'autoglm', sub: 'ci-bot', roles: ['viewer'], namespaces: ['*'], iat: now(), exp: now() + 600, ...o.claims };
  for (const k of Object.keys(claims)) if (claims[k] === undefined) delete claims[k];
  return new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(key(o.secret ?? JWT_SECRET));
}

/** A read any viewer may make: 200 once the token is accepted, needing no pool. */
async function get(token: string, path = '/v1/functions') {
  const res = await fetch(p.url + path, { headers: { authorization: `Bearer ${token}` } });
  if (path === '/metrics' && res.ok) return { status: res.status, type: res.headers.get('content-type'), body: {} };
  return { status: res.status, type: res.headers.get('content-type'), body: (await res.json()) as Record<string, unknown> };
}

describe('built-in issuer tokens (HS256, iss autoglm)', () => {
  it('accepts a token minted as README says (iss, sub, roles, namespaces, exp)', async () => {
    expect((await get(await mint())).status).toBe(200);
    // Metrics describe every namespace: a viewer reads them only with `namespaces: ["*"]`; without
    // the claim the token acts in `default` only.
    expect((await get(await mint(), '/metrics')).status).toBe(200);
    const r = await get(await mint({ claims: { namespaces: undefined } }), '/metrics');
    expect(r.status).toBe(403);
    expect(r.body.code).toBe('FORBIDDEN');
  });

  const rejected: [string, () => Promise<string>][] = [
    ['alg none', async () => `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ iss: 'autoglm', sub: 'mallory', roles: ['admin'], namespaces: ['*'], exp: now() + 600 })}.`],
    ['expired (beyond the 30 s clock skew)', () => mint({ claims: { exp: now() - 120 } })],
    ['not yet valid (nbf in the future)', () => mint({ claims: { nbf: now() + 600 } })],
    ['without exp', () => mint({ claims: { exp: undefined } })],
    ['without iss', () => mint({ claims: { iss: undefined } })],
    ['with another issuer', () => mint({ claims: { iss: 'https://evil.example' } })],
    ['without sub', () => mint({ claims: { sub: undefined } })],
    ['signed with another secret', () => mint({ secret: 'another-secret-another-secret-0123456789' })],
    [
      'with a tampered payload (viewer turned admin, signature kept)',
      async () => {
        const [h, , s] = (await mint()).split('.');
        return `${h}.${b64({ iss: 'autoglm', sub: 'ci-bot', roles: ['admin'], namespaces: ['*'], iat: now(), exp: now() + 600 })}.${s}`;
      },
    ],
    ['with an empty roles list', () => mint({ claims: { roles: [] } })],
    ['with only unknown roles', () => mint({ claims: { roles: ['superuser'] } })],
    ['malformed', async () => 'eyJhbGciOiJIUzI1NiJ9.not-json.sig'],
  ];
  for (const [what, make] of rejected) {
    it(`rejects a token ${what} with a 401 problem`, async () => {
      const r = await get(await make());
      expect(r.status).toBe(401);
      expect(r.type).toMatch(/^application\/problem\+json/);
      expect(r.body.code).toBe('UNAUTHORIZED');
      expect(r.body.status).toBe(401);
      expect(String(r.body.detail)).not.toMatch(/issuer|kid|alg|expired at|signature|secret/i);
    });
  }
});
