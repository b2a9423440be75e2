import { describe, expect, it } from 'vitest';
import { createApp } from './app.ts';
import type { AppDeps } from './app-deps.ts';
import { declaredAudit } from './audit-action.ts';

/** Only what building the app touches: routes read the rest of their deps per request. */
const deps = { bodyLimit: 1024, bundleLimit: 1024, knowledge: { maxBytes: 1024 }, auditLog: {}, log: {} } as unknown as AppDeps;

const WRITE_METHODS = new Set(['POST', 'PUT', 'DELETE']);

describe('audit declarations', () => {
  const routes = createApp(deps).routes;
  const writes = [...new Set(routes.filter((r) => WRITE_METHODS.has(r.method) && r.path.startsWith('/v1/')).map((r) => `${r.method} ${r.path}`))];

  it('every write route under /v1 declares its audit action', () => {
    const declared = new Set(routes.filter((r) => declaredAudit(r.handler)).map((r) => `${r.method} ${r.path}`));
    expect(writes.filter((route) => !declared.has(route))).toEqual([]);
  });

  it('each write route declares exactly one action, the one its records carry', () => {
    const actions = Object.fromEntries(writes.map((route) => [route, routes.filter((r) => `${r.method} ${r.path}` === route).flatMap((r) => declaredAudit(r.handler) ?? [])]));
    expect(actions).toEqual({
      'POST /v1/functions/:name/invoke': [{ action: 'invoke', subject: 'function-target' }],
      'POST /v1/functions/:name/jobs': [{ action: 'job.submit', subject: 'function-target' }],
      'DELETE /v1/jobs/:id': [{ action: 'job.cancel', subject: 'job' }],
      'POST /v1/jobs/:id/retry': [{ action: 'job.retry', subject: 'job' }],
      'POST /v1/functions': [{ action: 'function.deploy' }],
      'DELETE /v1/functions/:name': [{ action: 'function.remove', subject: 'function' }],
      'PUT /v1/functions/:name/traffic': [{ action: 'traffic.change', subject: 'function' }],
      'POST /v1/functions/:name/promote': [{ action: 'traffic.promote', subject: 'function' }],
      'POST /v1/functions/:name/rollback': [{ action: 'traffic.rollback', subject: 'function' }],
      'PUT /v1/secrets/:name': [{ action: 'secret.set' }],
      'DELETE /v1/secrets/:name': [{ action: 'secret.remove' }],
      'PUT /v1/knowledge/:name': [{ action: 'knowledge.put' }],
      'DELETE /v1/knowledge/:name': [{ action: 'knowledge.remove' }],
      'POST /v1/tokens': [{ action: 'token.create' }],
    });
  });
});
