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
  // The catalogue knows echo (namespace default) and risk (team-r); nothing else.
  const catalogue: Record<string, { namespace: string }> = { echo: { namespace: 'default' }, risk: { namespace: 'team-r' } };
  app.use('/v1/*', auditTrail({ audit: (note: AuditNote) => notes.push(note), functions: { get: (name: string) => catalogue[name] } } as unknown as AppDeps));
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
      notes: [{ action: 'invoke', outcome: 'ok', function: 'echo', namespace: 'default', version: '0123456789ab', jobId: 'echo.j1' }],
    });
    expect((await notesOf('DELETE', '/v1/jobs/risk.m3x9k2a1b4c5')).notes).toEqual([{ action: 'job.cancel', outcome: 'ok', function: 'risk', namespace: 'team-r', jobId: 'risk.m3x9k2a1b4c5' }]);
    expect((await notesOf('DELETE', '/v1/jobs/risk.m3x9k2a1b4c5.7')).notes).toEqual([{ action: 'job.cancel', outcome: 'ok', function: 'risk', namespace: 'team-r', jobId: 'risk.m3x9k2a1b4c5.7' }]);
    // A function the catalogue lacks (a deploy that failed) has no namespace to record.
    expect((await notesOf('POST', '/v1/functions/nosuch/invoke')).notes).toEqual([{ action: 'invoke', outcome: 'ok', function: 'nosuch', version: '0123456789ab', jobId: 'echo.j1' }]);
    expect((await notesOf('POST', '/v1/tokens')).notes).toEqual([{ action: 'token.create', outcome: 'ok', detail: { sub: 'bob' } }]);
  });

  it('records a body refused before the route ran, with its problem code', async () => {
    expect(await notesOf('POST', '/v1/functions/echo/invoke', { 'x-test-body': 'malformed' })).toEqual({
      status: 400,
      notes: [{ action: 'invoke', outcome: 'error', function: 'echo', namespace: 'default', code: 'MALFORMED_JSON' }],
    });
  });

  it('leaves out reads and denials', async () => {
    expect(await notesOf('GET', '/v1/jobs/risk.m3x9k2a1b4c5')).toEqual({ status: 200, notes: [] });
    expect(await notesOf('PUT', '/v1/secrets/key')).toEqual({ status: 403, notes: [] });
  });

  it('records a path name outside its grammar as (invalid), never the text sent', async () => {
    const invalidFn = { action: 'invoke', outcome: 'ok', function: '(invalid)', version: '0123456789ab', jobId: 'echo.j1' };
    for (const name of ['Echo', 'echo@xyz', `e${'x'.repeat(63)}`, 'echo%0A%7B%22actor%22%3A%22admin%22%7D', '%E2%80%AEohce']) {
      expect((await notesOf('POST', `/v1/functions/${name}/invoke`)).notes, name).toEqual([invalidFn]);
    }
    const invalidJob = { action: 'job.cancel', outcome: 'ok', jobId: '(invalid)' };
    for (const id of ['risk.abc', 'risk.m3x9k2a1b4c5%0A{"forged":1}', `risk.${'a'.repeat(100)}`, 'risk.m3x9k2a1b4c5.x']) {
      expect((await notesOf('DELETE', `/v1/jobs/${id}`)).notes, id).toEqual([invalidJob]);
    }
  });
});
