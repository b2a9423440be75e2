/**
 * BullMQ's board at /console/queues/ against a real platform (router, Redis, pool): who gets a
 * session, what the cookie is, what the board shows, and that a session ends when it should.
 */
import { createHash, randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keys } from '../../queue/keys.ts';
import { bundleMaker } from '../harness/bundles.ts';
import { eventually, startPlatform, type TestPlatform } from '../harness/platform.ts';
import { startTestRedis, type TestRedis } from '../harness/redis.ts';

const ECHO = fileURLToPath(new URL('../fixtures/default-functions/echo/', import.meta.url));

let redis: TestRedis;
let p: TestPlatform;

beforeAll(async () => {
  redis = await startTestRedis();
  p = await startPlatform(redis.url);
});

afterAll(async () => {
  await p?.stop();
  await redis?.destroy();
});

/** A request to the router with only the headers given (no token unless one is passed). */
async function send(method: string, path: string, headers: Record<string, string> = {}) {
  const res = await fetch(p.url + path, { method, headers, redirect: 'manual' });
  const text = await res.text();
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** Opens a board session with `token`; resolves to the cookie's value and the answer. */
async function openSession(token: string) {
  const r = await send('POST', '/console/queues/session', { authorization: `Bearer ${token}` });
  const set = r.headers.get('set-cookie') ?? '';
  return { ...r, set, id: /^autoglm_board=([^;]*)/.exec(set)?.[1] };
}

const withCookie = (id: string, extra: Record<string, string> = {}) => ({ cookie: `autoglm_board=${id}`, ...extra });

const auditOf = async (action: string) => (await p.call('GET', `/v1/audit?action=${action}`)).json.items as any[];

describe('BullMQ board at /console/queues', () => {
  it('is refused without a session: 401 problem+json for its API, the console for a page', async () => {
    const api = await send('GET', '/console/queues/api/queues');
    expect(api.status).toBe(401);
    expect(api.headers.get('content-type')).toContain('application/problem+json');
    expect(api.json).toMatchObject({ code: 'UNAUTHORIZED', status: 401 });
    const page = await send('GET', '/console/queues/', { accept: 'text/html' });
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe('/console/');
    // A bearer token is not a session: the board takes only its cookie.
    expect((await send('GET', '/console/queues/api/queues', { authorization: `Bearer ${p.adminToken}` })).status).toBe(401);
  });

  it('gives no session to a token that is not an admin\'s, and records the refusal', async () => {
    for (const role of ['viewer', 'deployer', 'invoker']) {
      const r = await openSession(await p.token([role], `board-${role}`));
      expect(r.status).toBe(403);
      expect(r.json).toMatchObject({ code: 'FORBIDDEN' });
      expect(r.set).toBe('');
    }
    expect((await openSession('not-a-token')).status).toBe(401);
    const denied = (await auditOf('access.denied')).filter((d) => d.target === 'POST /console/queues/session');
    expect(denied.map((d) => d.actor).sort()).toEqual(['anonymous', 'board-deployer', 'board-invoker', 'board-viewer']);
  });

  it('opens an admin session in an HttpOnly, SameSite=Strict cookie for the board only; the board lists every function queue, read-only', async () => {
    const s = await openSession(p.adminToken);
    expect(s.status).toBe(201);
    expect(s.id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(s.set).toMatch(/; Path=\/console\/queues(;|$)/);
    expect(s.set).toMatch(/; HttpOnly(;|$)/);
    expect(s.set).toMatch(/; SameSite=Strict(;|$)/);
    expect(s.set).not.toMatch(/Secure/); // plain HTTP here; Secure under TLS: queue-board-routes.test.ts
    const maxAge = Number(/Max-Age=(\d+)/.exec(s.set)![1]);
    expect(maxAge).toBeGreaterThan(0);
    expect(maxAge).toBeLessThanOrEqual(3600);
    expect((await auditOf('console.session.open'))[0]).toMatchObject({ actor: 'test-admin', outcome: 'ok' });
    // Redis holds the id's hash, never the id itself.
    expect(await p.redis.exists(keys.consoleSession(p.prefix, s.id!))).toBe(0);
    expect(await p.redis.exists(keys.consoleSession(p.prefix, createHash('sha256').update(s.id!).digest('hex')))).toBe(1);

    const queues = await send('GET', '/console/queues/api/queues', withCookie(s.id!));
    expect(queues.status).toBe(200);
    const names = (queues.json.queues as any[]).map((q) => q.name).sort();
    expect(names).toEqual(['callbacks', 'fn.echo']);
    expect((queues.json.queues as any[]).every((q) => q.readOnlyMode === true)).toBe(true);

    // The page: the board's own, with no font from outside (the site may be air-gapped).
    const slash = await send('GET', '/console/queues/', withCookie(s.id!, { accept: 'text/html' }));
    expect([slash.status, slash.headers.get('location')]).toEqual([302, '/console/queues']);
    const page = await send('GET', '/console/queues', withCookie(s.id!, { accept: 'text/html' }));
    expect(page.status).toBe(200);
    expect(page.text).toContain('<base href="/console/queues/"');
    expect(page.text).not.toMatch(/https?:\/\//);
    expect(page.headers.get('content-security-policy')).toContain("connect-src 'self'");
    const script = /src="(static\/js\/main[^"]+)"/.exec(page.text)![1]!;
    expect((await send('GET', `/console/queues/${script}`, withCookie(s.id!))).status).toBe(200);
  });

  it('shows a new deployment\'s queue', async () => {
    const s = await openSession(p.adminToken);
    const b = (await bundleMaker(ECHO))('board-new');
    expect((await p.api.deploy(b.archive, b.hash)).status).toBe(201);
    await eventually(async () => {
      const names = ((await send('GET', '/console/queues/api/queues', withCookie(s.id!))).json.queues as any[]).map((q) => q.name);
      return names.includes('fn.board-new');
    }, 'the new function queue on the board');
  });

  it('refuses the board\'s writes (retry, clean, pause…), as a recorded denial', async () => {
    const s = await openSession(p.adminToken);
    for (const [method, path] of [
      ['PUT', '/console/queues/api/queues/fn.echo/pause'],
      ['PUT', '/console/queues/api/queues/fn.echo/retry/failed'],
      ['PUT', '/console/queues/api/queues/fn.echo/clean/completed'],
      ['POST', '/console/queues/api/queues/fn.echo/add'],
    ] as const) {
      const r = await send(method, path, withCookie(s.id!));
      expect(r.status).toBe(403);
      expect(r.json).toMatchObject({ code: 'FORBIDDEN' });
    }
    const denied = (await auditOf('access.denied')).find((d) => d.target === 'PUT /console/queues/api/queues/fn.echo/pause');
    expect(denied).toMatchObject({ actor: 'test-admin', code: 'FORBIDDEN' });
  });

  it('refuses a forged cookie, and a session past its time', async () => {
    for (const forged of [randomBytes(32).toString('base64url'), 'x', 'a'.repeat(300)]) {
      const r = await send('GET', '/console/queues/api/queues', withCookie(forged));
      expect(r.status).toBe(401);
      expect(r.json).toMatchObject({ code: 'UNAUTHORIZED' });
    }
    expect((await auditOf('access.denied')).filter((d) => d.target === 'GET /console/queues/api/queues' && d.actor === 'anonymous').length).toBeGreaterThanOrEqual(3);

    // Its time passed while Redis still holds it (clocks apart): the router's own check refuses it.
    const s = await openSession(p.adminToken);
    const key = keys.consoleSession(p.prefix, createHash('sha256').update(s.id!).digest('hex'));
    const stored = JSON.parse((await p.redis.get(key))!);
    await p.redis.set(key, JSON.stringify({ ...stored, expiresAt: Date.now() - 1000 }), 'PX', 60_000);
    expect((await send('GET', '/console/queues/api/queues', withCookie(s.id!))).status).toBe(401);
  });

  it('never outlives the token that opened it', async () => {
    const short = await p.router.verifier.mint({ sub: 'short-admin', roles: ['admin'] }, 60);
    const s = await openSession(short);
    expect(s.status).toBe(201);
    expect(Number(/Max-Age=(\d+)/.exec(s.set)![1])).toBeLessThanOrEqual(60);
    const exp = JSON.parse(Buffer.from(short.split('.')[1]!, 'base64url').toString()).exp as number;
    expect(Date.parse(s.json.expiresAt)).toBeLessThanOrEqual(exp * 1000);
  });

  it('ends on sign-out: DELETE forgets the session on the server and clears the cookie', async () => {
    const s = await openSession(p.adminToken);
    expect((await send('GET', '/console/queues/api/queues', withCookie(s.id!))).status).toBe(200);
    const del = await send('DELETE', '/console/queues/session', withCookie(s.id!));
    expect(del.status).toBe(204);
    expect(del.headers.get('set-cookie')).toMatch(/^autoglm_board=; Max-Age=0; Path=\/console\/queues/);
    // The same cookie, replayed (copied before sign-out), is worth nothing now.
    expect((await send('GET', '/console/queues/api/queues', withCookie(s.id!))).status).toBe(401);
    expect((await auditOf('console.session.close'))[0]).toMatchObject({ actor: 'test-admin', outcome: 'ok' });
    // Again, or without a cookie: nothing to end, still 204.
    expect((await send('DELETE', '/console/queues/session', withCookie(s.id!))).status).toBe(204);
    expect((await send('DELETE', '/console/queues/session')).status).toBe(204);
  });
});
