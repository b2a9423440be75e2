import type { MiddlewareHandler } from 'hono';
import type { AppDeps, AppEnv, AuditNote } from './app-env.ts';

/** Audited actions by method and path; reads are not audited, denials are recorded elsewhere. */
const ACTIONS: [string, RegExp, string][] = [
  ['POST', /^\/v1\/functions$/, 'function.deploy'],
  ['DELETE', /^\/v1\/functions\/([a-z][a-z0-9-]*)$/, 'function.remove'],
  ['PUT', /^\/v1\/functions\/([a-z][a-z0-9-]*)\/traffic$/, 'traffic.change'],
  ['POST', /^\/v1\/functions\/([a-z][a-z0-9-]*)\/promote$/, 'traffic.promote'],
  ['POST', /^\/v1\/functions\/([a-z][a-z0-9-]*)\/rollback$/, 'traffic.rollback'],
  ['POST', /^\/v1\/functions\/([a-z][a-z0-9-]*)(?:@[0-9a-f]{12})?\/invoke$/, 'invoke'],
  ['POST', /^\/v1\/functions\/([a-z][a-z0-9-]*)(?:@[0-9a-f]{12})?\/jobs$/, 'job.submit'],
  ['DELETE', /^\/v1\/jobs\/([^/]+)$/, 'job.cancel'],
  ['POST', /^\/v1\/tokens$/, 'token.create'],
  // The name is in the detail: as `function` it would read as a function's.
  ['PUT', /^\/v1\/secrets\/[^/]+$/, 'secret.set'],
  ['DELETE', /^\/v1\/secrets\/[^/]+$/, 'secret.remove'],
];

/**
 * Records every audited action once it has been answered: who (from the token), what, which
 * function and version (from the response headers), when, outcome with the problem code, and
 * duration — never the payload. One place, so no route can forget. 401/403 answers are left to
 * the denial recorder, which also sees requests that never got past authentication.
 */
export function auditTrail(deps: AppDeps): MiddlewareHandler<AppEnv> {
  return async function auditTrailMiddleware(c, next) {
    const started = Date.now();
    await next();
    if (!deps.audit) return;
    const hit = ACTIONS.find(([m, re]) => m === c.req.method && re.test(c.req.path));
    if (!hit || c.res.status === 401 || c.res.status === 403) return;
    const [, re, action] = hit;
    const named = re.exec(c.req.path)?.[1];
    const ok = c.res.status < 400;
    const note: AuditNote = { action, outcome: ok ? 'ok' : 'error', durationMs: Date.now() - started };
    const fn = action === 'job.cancel' ? named?.split('.')[0] : named;
    if (fn) note.function = fn;
    const version = c.res.headers.get('x-function-version');
    if (version) note.version = version;
    const jobId = action === 'job.cancel' ? named : c.res.headers.get('x-job-id');
    if (jobId) note.jobId = jobId;
    const extra = c.get('auditDetail');
    if (extra) Object.assign(note, extra);
    if (!ok && c.res.headers.get('content-type')?.includes('problem+json')) {
      const problem = (await c.res.clone().json().catch(() => ({}))) as { code?: string };
      if (problem.code) note.code = problem.code;
    }
    deps.audit(note, c);
  };
}
