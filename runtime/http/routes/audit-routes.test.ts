import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OpenAPIHono } from '@hono/zod-openapi';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../functions/sdk/index.ts';
import { AuditLog, auditDenials, newAuditKeySpec, parseAuditKeys } from '../../audit/index.ts';
import { TokenVerifier, bearerAuth } from '../../auth/index.ts';
import type { AppEnv } from '../app-deps.ts';
import { ValidationError } from '../errors.ts';
import { problemResponse } from '../problem.ts';
import { auditRoutes } from './audit-routes.ts';

const verifier = new TokenVerifier({ secret: 'audit-routes-test-secret-0123456789abcd' });
let dir: string;
let audit: AuditLog;
let app: OpenAPIHono<AppEnv>;
let admin: string;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'autoglm-audit-routes-'));
  audit = await AuditLog.open({ dir, keys: parseAuditKeys(newAuditKeySpec()), chainId: 'r', log: createLogger({}, 'error', () => undefined), pruneIntervalMs: 0 });
  // As createApp assembles it: schema failures become 400 problems naming the field.
  app = new OpenAPIHono<AppEnv>({
    defaultHook: (r) => {
      if (!r.success) throw new ValidationError(String(r.error.issues[0]!.path.join('.')), r.error.issues[0]!.message, 'query');
    },
  });
  app.use('/v1/*', auditDenials(audit));
  app.use('/v1/*', bearerAuth(verifier));
  app.route('/', auditRoutes({ auditLog: audit }));
  app.onError((err, c) => problemResponse(c, err));
  admin = await verifier.mint({ sub: 'root', roles: ['admin'] });
  audit.append({ actor: 'alice', roles: ['deployer'], action: 'function.deploy', function: 'echo', version: 'abcdef123456', outcome: 'ok' });
  audit.append({ actor: 'bob', roles: ['invoker'], action: 'invoke', function: 'echo', outcome: 'error', code: 'DEADLINE_EXCEEDED' });
});
afterEach(async () => {
  await audit.close();
  rmSync(dir, { recursive: true, force: true });
});

const get = async (path: string, token?: string) => {
  const res = await app.request(path, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: res.status, body: (await res.json()) as any };
};

describe('GET /v1/audit', () => {
  it('gives admins the records, newest first, filtered', async () => {
    const all = await get('/v1/audit', admin);
    expect(all.status).toBe(200);
    expect(all.body.items.map((r: any) => r.actor)).toEqual(['bob', 'alice']);
    expect(all.body.items[1]).toMatchObject({ chain: 'r', seq: 1, action: 'function.deploy', function: 'echo', outcome: 'ok' });
    const bob = await get('/v1/audit?actor=bob&since=1h&limit=5', admin);
    expect(bob.body.items).toHaveLength(1);
    expect(bob.body.items[0]).toMatchObject({ actor: 'bob', code: 'DEADLINE_EXCEEDED' });
    expect((await get('/v1/audit?action=function.deploy&until=2000-01-01', admin)).body.items).toEqual([]);
  });

  it('is admin only; the refusal is itself audited', async () => {
    for (const role of ['viewer', 'deployer', 'invoker']) {
      const r = await get('/v1/audit', await verifier.mint({ sub: `a-${role}`, roles: [role] }));
      expect(r.status).toBe(403);
      expect(r.body).toMatchObject({ code: 'FORBIDDEN', status: 403 });
    }
    expect((await get('/v1/audit')).status).toBe(401);
    const denied = (await get('/v1/audit?action=access.denied', admin)).body.items;
    expect(denied.map((r: any) => r.actor)).toEqual(['anonymous', 'a-invoker', 'a-deployer', 'a-viewer']);
    expect(denied[1]).toMatchObject({ target: 'GET /v1/audit', code: 'FORBIDDEN' });
  });

  it('records who read the log', async () => {
    await get('/v1/audit', admin);
    expect((await get('/v1/audit?action=audit.read', admin)).body.items[0]).toMatchObject({ actor: 'root', outcome: 'ok' });
  });

  it('pages by the previous page\'s next, without repeating or skipping records of one millisecond', async () => {
    // Many records in a few milliseconds: `until` = the oldest shown would repeat or skip some.
    for (let i = 0; i < 25; i++) audit.append({ actor: `pager-${i}`, roles: ['admin'], action: 'token.create', outcome: 'ok' });
    const seen: string[] = [];
    let next: string | null | undefined;
    let pages = 0;
    do {
      const r = await get(`/v1/audit?action=token.create&limit=7${next ? `&before=${encodeURIComponent(next)}` : ''}`, admin);
      expect(r.status).toBe(200);
      seen.push(...r.body.items.map((x: any) => x.actor));
      next = r.body.next;
      pages++;
    } while (next);
    expect(pages).toBe(4);
    expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => `pager-${24 - i}`));
    // A last page exactly full says so with one more, empty page.
    const full = await get('/v1/audit?action=token.create&limit=25', admin);
    expect(full.body.next).not.toBeNull();
    expect(await get(`/v1/audit?action=token.create&limit=25&before=${encodeURIComponent(full.body.next)}`, admin)).toMatchObject({ body: { items: [], next: null } });
  });

  it('names a bad parameter', async () => {
    const r = await get('/v1/audit?since=yesterday', admin);
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ code: 'INVALID_REQUEST', field: 'since' });
    expect((await get('/v1/audit?limit=0', admin)).body).toMatchObject({ field: 'limit' });
    expect((await get('/v1/audit?before=yesterday', admin)).body).toMatchObject({ code: 'INVALID_REQUEST', field: 'before' });
  });
});

describe('GET /v1/audit/verify', () => {
  it('reports a clean log, admin only', async () => {
    const r = await get('/v1/audit/verify', admin);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ ok: true, records: 2, chains: [{ chain: 'r', ok: true, records: 2 }] });
    expect((await get('/v1/audit/verify', await verifier.mint({ sub: 'v', roles: ['viewer'] }))).status).toBe(403);
  });
});
