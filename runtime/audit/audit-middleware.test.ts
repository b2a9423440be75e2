import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hono } from 'hono';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../functions/sdk/index.ts';
import { TokenVerifier, bearerAuth } from '../auth/index.ts';
import { ForbiddenError } from '../auth/index.ts';
import { FunctionNotFoundError } from '../registry/registry-errors.ts';
import { problemResponse } from '../http/problem.ts';
import { AuditLog } from './audit-log.ts';
import { newAuditKeySpec, parseAuditKeys } from './audit-keys.ts';
import type { AppDeps } from '../http/app-deps.ts';
import { auditDenials, auditNotes, auditRequest, audited } from './audit-middleware.ts';

const keys = parseAuditKeys(newAuditKeySpec('t'));

const verifier = new TokenVerifier({ secret: 'middleware-test-secret-0123456789abcdef' });
let dir: string;
let audit: AuditLog;
let app: Hono;
let lost: string[];

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'autoglm-audit-mw-'));
  audit = await AuditLog.open({ dir, keys, chainId: 'mw', log: createLogger({}, 'error', () => undefined), pruneIntervalMs: 0 });
  lost = [];
  const notes: NonNullable<AppDeps['audit']> = auditNotes(audit, createLogger({}, 'error', (l) => lost.push(l)));
  app = new Hono();
  app.use('*', async (c, next) => {
    c.set('requestId' as never, 'req-1' as never);
    await next();
  });
  app.use('/v1/*', auditDenials(audit, createLogger({}, 'error', (l) => lost.push(l))));
  app.use('/v1/*', bearerAuth(verifier));
  app.post('/v1/functions/:name/invoke', (c) => {
    const started = Date.now();
    const name = c.req.param('name');
    if (name === 'missing') {
      const err = new FunctionNotFoundError(name);
      auditRequest(audit, c, { action: 'invoke', function: name, started, error: err });
      throw err;
    }
    if (name === 'secret') {
      const err = new ForbiddenError('not in your namespace');
      expect(auditRequest(audit, c, { action: 'invoke', function: name, started, error: err })).toBeUndefined();
      throw err;
    }
    auditRequest(audit, c, { action: 'invoke', namespace: 'default', function: name, version: 'abcdef123456', jobId: 'j1', started });
    return c.json({ ok: true });
  });
  app.delete('/v1/jobs/:id', (c) =>
    audited(audit, c, { action: 'job.cancel', namespace: 'default' }, async (a) => {
      a.jobId = c.req.param('id');
      if (a.jobId === 'gone') throw new FunctionNotFoundError('gone');
      return c.json({ cancelled: true });
    }),
  );
  app.post('/v1/tokens', (c) => {
    notes({ action: 'token.create', outcome: 'ok', detail: { sub: 'svc', roles: ['invoker'] } }, c as never);
    return c.json({ token: 'eyJ-secret' }, 201);
  });
  app.post('/v1/functions/:name/traffic', (c) => {
    notes({ action: 'traffic.change', outcome: 'denied', function: c.req.param('name'), code: 'FORBIDDEN' }, c as never);
    throw new ForbiddenError('not yours');
  });
  app.onError((err, c) => problemResponse(c, err));
});
afterEach(async () => {
  await audit.close();
  rmSync(dir, { recursive: true, force: true });
});

const call = async (path: string, token?: string) =>
  app.request(path, { method: 'POST', headers: token ? { authorization: `Bearer ${token}` } : {} });

describe('auditRequest', () => {
  it('records who did what, with outcome, duration and request id', async () => {
    const token = await verifier.mint({ sub: 'alice', roles: ['invoker'] });
    expect((await call('/v1/functions/echo/invoke', token)).status).toBe(200);
    expect((await call('/v1/functions/missing/invoke', token)).status).toBe(404);
    const [missing, ok] = await audit.query();
    expect(ok).toMatchObject({ actor: 'alice', roles: ['invoker'], action: 'invoke', namespace: 'default', function: 'echo', version: 'abcdef123456', jobId: 'j1', outcome: 'ok', requestId: 'req-1' });
    expect(ok!.durationMs).toBeGreaterThanOrEqual(0);
    expect(missing).toMatchObject({ actor: 'alice', function: 'missing', outcome: 'error', code: 'FUNCTION_NOT_FOUND' });
  });
});

describe('audited', () => {
  it('records the body once, ok or error, with what it learned', async () => {
    const token = await verifier.mint({ sub: 'carol', roles: ['invoker'] });
    const del = (id: string) => app.request(`/v1/jobs/${id}`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });
    expect((await del('j7')).status).toBe(200);
    expect((await del('gone')).status).toBe(404);
    const [gone, j7] = await audit.query();
    expect(j7).toMatchObject({ actor: 'carol', action: 'job.cancel', namespace: 'default', jobId: 'j7', outcome: 'ok' });
    expect(j7!.durationMs).toBeGreaterThanOrEqual(0);
    expect(gone).toMatchObject({ jobId: 'gone', outcome: 'error', code: 'FUNCTION_NOT_FOUND' });
    expect(await audit.query({ action: 'job.cancel' })).toHaveLength(2);
  });
});

describe('auditNotes (the AppDeps.audit hook)', () => {
  it('records a note with the caller and request, and its detail', async () => {
    const token = await verifier.mint({ sub: 'root', roles: ['admin'] });
    expect((await call('/v1/tokens', token)).status).toBe(201);
    const [r] = await audit.query();
    expect(r).toMatchObject({ actor: 'root', roles: ['admin'], action: 'token.create', outcome: 'ok', requestId: 'req-1', detail: { sub: 'svc', roles: ['invoker'] } });
    expect(JSON.stringify(r)).not.toContain('eyJ-secret');
  });

  it('a denial the route recorded is not recorded again by auditDenials', async () => {
    const token = await verifier.mint({ sub: 'dev', roles: ['deployer'] });
    expect((await call('/v1/functions/echo/traffic', token)).status).toBe(403);
    const records = await audit.query();
    expect(records.map((r) => r.action)).toEqual(['traffic.change']);
    expect(records[0]).toMatchObject({ actor: 'dev', outcome: 'denied', function: 'echo' });
  });

  it('never throws: a note the log cannot take is logged as lost', async () => {
    const token = await verifier.mint({ sub: 'root', roles: ['admin'] });
    await audit.close();
    expect((await call('/v1/tokens', token)).status).toBe(201);
    expect(lost.join('\n')).toMatch(/audit record lost.*token.create/);
  });
});

describe('auditDenials', () => {
  it('records a refused token as anonymous, with what was tried', async () => {
    expect((await call('/v1/functions/echo/invoke')).status).toBe(401);
    expect((await call('/v1/functions/echo@abcdef123456/invoke', 'not-a-jwt')).status).toBe(401);
    const [bad, none] = await audit.query();
    expect(none).toMatchObject({ actor: 'anonymous', roles: [], action: 'access.denied', outcome: 'denied', code: 'UNAUTHORIZED', function: 'echo', target: 'POST /v1/functions/echo/invoke' });
    expect(bad).toMatchObject({ actor: 'anonymous', function: 'echo', version: 'abcdef123456' });
    expect(JSON.stringify(bad)).not.toContain('not-a-jwt');
  });

  it('writes a path value into a record only when it is of its grammar; the target as sent, bounded and printable', async () => {
    const del = (path: string) => app.request(path, { method: 'DELETE' });
    expect((await del('/v1/jobs/echo.m3x9k2a1b4c5')).status).toBe(401);
    expect((await del('/v1/jobs/echo.m3x9k2a1b4c5%0A%7B%22actor%22:%22admin%22%7D')).status).toBe(401);
    expect((await del(`/v1/jobs/${'x'.repeat(5000)}`)).status).toBe(401);
    expect((await del('/v1/jobs/%E2%80%AE%00')).status).toBe(401);
    const [nul, long, forged, good] = await audit.query();
    expect(good).toMatchObject({ jobId: 'echo.m3x9k2a1b4c5', target: 'DELETE /v1/jobs/echo.m3x9k2a1b4c5' });
    expect(forged).toMatchObject({ jobId: '(invalid)', target: 'DELETE /v1/jobs/echo.m3x9k2a1b4c5%0A%7B%22actor%22:%22admin%22%7D' });
    expect(long!.jobId).toBe('(invalid)');
    expect(long!.target!.length).toBeLessThan(200);
    expect(long!.target!.endsWith('…')).toBe(true);
    expect(nul).toMatchObject({ jobId: '(invalid)', target: 'DELETE /v1/jobs/%E2%80%AE%00' });
    for (const r of [nul, long, forged]) expect(JSON.stringify(r)).not.toMatch(/\\n|\\u0000|\u202e|"actor":"admin"/);
  });

  it('records a 403 once, with the caller, even when the route also audits', async () => {
    const token = await verifier.mint({ sub: 'bob', roles: ['viewer'] });
    expect((await call('/v1/functions/secret/invoke', token)).status).toBe(403);
    const records = await audit.query();
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ actor: 'bob', roles: ['viewer'], action: 'access.denied', function: 'secret', code: 'FORBIDDEN', requestId: 'req-1' });
  });

  it('never changes the answer when the log cannot take the record', async () => {
    await audit.close();
    expect((await call('/v1/functions/echo/invoke')).status).toBe(401);
    expect(lost.join('\n')).toMatch(/audit record lost.*access.denied/);
  });

  it('records nothing for other answers', async () => {
    const token = await verifier.mint({ sub: 'alice', roles: ['invoker'] });
    await call('/v1/nowhere', token);
    expect(await audit.query({ action: 'access.denied' })).toEqual([]);
  });
});
