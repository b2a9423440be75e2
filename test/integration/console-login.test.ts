/**
 * The console's one-time sign-in codes against a real router and Redis: `POST /v1/console/links`
 * trades the caller's token for a code, `POST /v1/console/login` trades the code back, once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoginCodes } from '../../queue/cluster/index.ts';
import { eventually, startPlatform, type TestPlatform } from '../harness/platform.ts';
import { startTestRedis, type TestRedis } from '../harness/redis.ts';

let redis: TestRedis;
let p: TestPlatform;

beforeAll(async () => {
  redis = await startTestRedis();
  p = await startPlatform(redis.url, { pool: false, deploy: false });
});
afterAll(async () => {
  await p?.stop();
  await redis?.destroy();
});

/** A code for `token` (the admin's by default). */
const link = async (token = p.adminToken) => (await p.call('POST', '/v1/console/links', undefined, { authorization: `Bearer ${token}` })).json as { code: string; expiresAt: string };
/** The exchange, as the console makes it: no bearer token. */
const login = async (body: unknown) => {
  const res = await fetch(`${p.url}/v1/console/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, headers: res.headers, json: (await res.json()) as any };
};
const audit = async (qs: string) => (await p.call('GET', `/v1/audit?${qs}`)).json.items as any[];
const codeKeys = () => p.redis.keys(`${p.prefix}:login:code:*`);

describe('console sign-in codes', () => {
  it('a code gives back the token it was made for, once; both steps are audited without the code', async () => {
    const dana = await p.token(['deployer'], 'dana');
    const { code, expiresAt } = await link(dana);
    expect(code).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Date.parse(expiresAt)).toBeGreaterThan(Date.now());

    const first = await login({ code });
    expect(first.status).toBe(200);
    expect(first.json).toEqual({ token: dana, sub: 'dana', roles: ['deployer'], namespaces: ['default'] });
    expect((await p.call('GET', '/v1/functions', undefined, { authorization: `Bearer ${first.json.token}` })).status).toBe(200);

    const again = await login({ code });
    expect(again.status).toBe(400);
    expect(again.json).toMatchObject({ code: 'LOGIN_CODE_INVALID', field: 'code' });

    const made = await eventually(async () => (await audit('action=console.link&actor=dana'))[0], 'the link record');
    expect(made).toMatchObject({ roles: ['deployer'], outcome: 'ok' });
    const used = await eventually(async () => (await audit('action=console.login&actor=dana'))[0], 'the login record');
    expect(used).toMatchObject({ roles: ['deployer'], outcome: 'ok', remote: '127.0.0.1' });
    const refused = await eventually(async () => (await audit('action=console.login&actor=anonymous')).find((r) => r.code === 'LOGIN_CODE_INVALID'), 'the refused login record');
    expect(refused).toMatchObject({ outcome: 'error' });
    expect(JSON.stringify(await audit('limit=1000'))).not.toContain(code);
  });

  it('Redis holds neither the code nor the token, only a hash naming a sealed value that expires within 10 minutes', async () => {
    const { code } = await link();
    const [key] = await codeKeys();
    expect(key).toBeDefined();
    expect(key).not.toContain(code);
    const stored = (await p.redis.get(key!))!;
    expect(stored).not.toContain(p.adminToken.split('.')[1]!.slice(0, 20));
    expect(Buffer.from(stored, 'base64').toString('latin1')).not.toContain('test-admin');
    const ttl = await p.redis.pttl(key!);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(600_000);
    expect((await login({ code })).status).toBe(200);
    expect(await codeKeys()).toEqual([]);
  });

  it('an expired code is refused like an unknown one', async () => {
    const { code } = await link();
    const [key] = await codeKeys();
    // Its TTL runs out now: Redis expires it as it would after 10 minutes.
    await p.redis.pexpire(key!, 1);
    await eventually(async () => (await p.redis.exists(key!)) === 0, 'the code to expire');
    expect((await login({ code })).json.code).toBe('LOGIN_CODE_INVALID');
    expect((await login({ code: 'A'.repeat(43) })).json.code).toBe('LOGIN_CODE_INVALID');
  });

  it('are in the OpenAPI document, the login without a bearer token', async () => {
    const doc = (await (await fetch(`${p.url}/openapi.json`)).json()) as { paths: Record<string, Record<string, { security?: unknown[] }>> };
    expect(doc.paths['/v1/console/links']!.post!.security).toEqual([{ bearer: [] }]);
    expect(doc.paths['/v1/console/login']!.post!.security).toEqual([]);
  });

  it('a malformed body names the field; a code not of the form is refused as an unknown one', async () => {
    await p.redis.del(`${p.prefix}:login:failures:127.0.0.1`);
    const r = await login({ code: 'not a code' });
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ code: 'LOGIN_CODE_INVALID', field: 'code' });
    expect((await login({ code: 7 })).json).toMatchObject({ code: 'INVALID_REQUEST', field: 'code' });
    expect((await login({ code: 'x'.repeat(43), role: 'admin' })).json.code).toBe('INVALID_REQUEST');
    await p.redis.del(`${p.prefix}:login:failures:127.0.0.1`);
  });

  it('cannot escalate: the token comes back as it went in, and a worker token gets no code', async () => {
    const vic = await p.token(['viewer'], 'vic');
    const got = await login({ code: (await link(vic)).code });
    expect(got.json).toMatchObject({ token: vic, roles: ['viewer'] });
    const mint = await p.call('POST', '/v1/tokens', { sub: 'x', roles: ['admin'] }, { authorization: `Bearer ${got.json.token}` });
    expect(mint.status).toBe(403);

    const worker = await p.call('POST', '/v1/console/links', undefined, { authorization: `Bearer ${await p.token(['worker'], 'pool-1')}` });
    expect(worker.status).toBe(403);
    const anonymous = await fetch(`${p.url}/v1/console/links`, { method: 'POST' });
    expect(anonymous.status).toBe(401);
  });

  it('a code whose token stopped being valid is refused', async () => {
    const shortLived = await p.router.verifier.mint({ sub: 'brief', roles: ['viewer'] }, -60);
    // Minted already expired (past the verifier's 30 s of skew): the link route would refuse it, so it is stored directly.
    const { code } = await new LoginCodes(p.redis, p.prefix).issue(shortLived);
    const r = await login({ code });
    expect(r.status).toBe(400);
    expect(r.json.code).toBe('LOGIN_CODE_INVALID');
    expect(r.json.detail).toContain('no longer valid');
  });

  it('bounds failed attempts per address, malformed codes counted too: then even a good code waits (and is not used up)', async () => {
    const { code } = await link();
    await p.redis.del(`${p.prefix}:login:failures:127.0.0.1`);
    const malformed = ['', 'short', 'B'.repeat(44), `${'B'.repeat(42)}=`, `${'B'.repeat(42)}/`];
    for (const bad of malformed) expect((await login({ code: bad })).json).toMatchObject({ status: 400, code: 'LOGIN_CODE_INVALID', field: 'code' });
    for (let i = 0; i < 10 - malformed.length; i++) expect((await login({ code: `${'B'.repeat(40)}${String(i).padStart(3, '0')}` })).status).toBe(400);
    const blocked = await login({ code });
    expect(blocked.status).toBe(429);
    expect(blocked.json.code).toBe('TOO_MANY_LOGIN_ATTEMPTS');
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    // The window ends (its key expires): the code refused while blocked still works.
    await p.redis.del(`${p.prefix}:login:failures:127.0.0.1`);
    expect((await login({ code })).status).toBe(200);
  });
});
