import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import type { AppDeps, AppEnv, AuditNote } from './app-deps.ts';
import { auditAction } from './audit-action.ts';
import { auditTrail } from './audit-trail.ts';
import { ForbiddenError } from '../auth/index.ts';
import { MalformedJsonError } from './errors.ts';
import { problemResponse } from './problem.ts';

/** An app as createApp mounts the trail: before body parsing, routes declaring their actions. */
function appWith(notes: AuditNote[]) {
  const app = new Hono<AppEnv>();
  app.use('/v1/*', auditTrail({ audit: (note: AuditNote) => notes.push(note) } as unknown as AppDeps));
  app.use('/v1/*', async (c, next) => {
    if (c.req.header('x-test-body') === 'malformed') throw new MalformedJsonError();
    await next();
  });
  app.post('/v1/functions/:name/invoke', auditAction('invoke', 'function-target'), (c) => {
    c.header('x-function-version', '0123456789ab');
    c.header('x-job-id', 'echo.j1');
    return c.json({}, 200);
  });
  app.delete('/v1/jobs/:id', auditAction('job.cancel', 'job'), (c) => c.json({}, 200));
  app.put('/v1/secrets/:name', auditAction('secret.set'), (c) => {
    c.set('auditDetail', { namespace: 'team', detail: { secret: c.req.param('name') } });
    throw new ForbiddenError('no');
  });
  app.post('/v1/tokens', auditAction('token.create'), (c) => {
    c.set('auditDetail', { detail: { sub: 'bob' } });
    return c.json({}, 201);
  });
  app.get('/v1/jobs/:id', (c) => c.json({}, 200));
  app.onError((err, c) => problemResponse(c, err));
  return app;
}

async function notesOf(method: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; notes: AuditNote[] }> {
  const notes: AuditNote[] = [];
  const res = await appWith(notes).request(path, { method, headers });
  return { status: res.status, notes: notes.map(({ durationMs, ...n }) => (expect(durationMs).toBeGreaterThanOrEqual(0), n)) };
}

describe('auditTrail', () => {
  it('records the declared action with the function, version and job from the path and answer', async () => {
    expect(await notesOf('POST', '/v1/functions/echo@0123456789ab/invoke')).toEqual({
      status: 200,
      notes: [{ action: 'invoke', outcome: 'ok', function: 'echo', version: '0123456789ab', jobId: 'echo.j1' }],
    });
    expect((await notesOf('DELETE', '/v1/jobs/risk.abc')).notes).toEqual([{ action: 'job.cancel', outcome: 'ok', function: 'risk', jobId: 'risk.abc' }]);
    expect((await notesOf('POST', '/v1/tokens')).notes).toEqual([{ action: 'token.create', outcome: 'ok', detail: { sub: 'bob' } }]);
  });

  it('records a body refused before the route ran, with its problem code', async () => {
    expect(await notesOf('POST', '/v1/functions/echo/invoke', { 'x-test-body': 'malformed' })).toEqual({
      status: 400,
      notes: [{ action: 'invoke', outcome: 'error', function: 'echo', code: 'MALFORMED_JSON' }],
    });
  });

  it('leaves out reads, denials, and paths whose function name is malformed', async () => {
    expect(await notesOf('GET', '/v1/jobs/risk.abc')).toEqual({ status: 200, notes: [] });
    expect(await notesOf('PUT', '/v1/secrets/key')).toEqual({ status: 403, notes: [] });
    expect(await notesOf('POST', '/v1/functions/Echo/invoke')).toEqual({ status: 200, notes: [] });
    expect(await notesOf('POST', '/v1/functions/echo@xyz/invoke')).toEqual({ status: 200, notes: [] });
  });
});
