import type { Context, MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import { isConcealedDenial } from '../auth/index.ts';
import { INVALID } from '../audit/index.ts';
import { functionOfJobId, isJobId } from '../../queue/cluster/index.ts';
import type { AppDeps, AppEnv, AuditNote } from './app-deps.ts';
import { declaredAudit, type AuditDeclaration, type AuditSubject } from './audit-action.ts';

/**
 * Where each subject sits in the route's path, and its name if of its grammar: a
 * function name as manifests allow it, a job or item id as the platform makes them. Anything else
 * the caller put in the path is never written into a record.
 */
const SUBJECTS: Record<AuditSubject, { param: string; name: (segment: string) => string | undefined }> = {
  function: { param: ':name', name: (s) => /^([a-z][a-z0-9-]{0,62})$/.exec(s)?.[1] },
  'function-target': { param: ':name', name: (s) => /^([a-z][a-z0-9-]{0,62})(?:@[0-9a-f]{12})?$/.exec(s)?.[1] },
  job: { param: ':id', name: (s) => (isJobId(s) ? s : undefined) },
};

/** The audit declaration of the route this request matched, with the route's path. */
function declaredFor(c: Context<AppEnv>): { declared: AuditDeclaration; path: string } | undefined {
  for (const route of matchedRoutes(c)) {
    const declared = declaredAudit(route.handler);
    if (declared) return { declared, path: route.path };
  }
  return undefined;
}

/** The subject's name in the request path; {@link INVALID} when that segment is not of its grammar. */
function subjectName(subject: AuditSubject, routePath: string, requestPath: string): string {
  const { param, name } = SUBJECTS[subject];
  const segment = requestPath.split('/')[routePath.split('/').indexOf(param)];
  return (segment === undefined ? undefined : name(segment)) ?? INVALID;
}

/**
 * Records every audited action once it has been answered: who (from the token), what (the
 * action its route declares with `auditAction`), which function, its namespace and version
 * (from the path, the catalogue and the response headers), when, outcome with the problem code, and duration — never the payload.
 * Reads are not audited. 401/403 answers, and denials answered as a missing thing (another
 * namespace's function), are left to the denial recorder, which also sees requests that never
 * got past authentication.
 */
export function auditTrail(deps: AppDeps): MiddlewareHandler<AppEnv> {
  return async function auditTrailMiddleware(c, next) {
    const started = Date.now();
    await next();
    if (!deps.audit) return;
    const hit = declaredFor(c);
    if (!hit || c.res.status === 401 || c.res.status === 403 || isConcealedDenial(c.error)) return;
    const { action, subject } = hit.declared;
    // A name outside its grammar is recorded as INVALID (the attempt is recorded, not what was sent).
    const named = subject && subjectName(subject, hit.path, c.req.path);
    const ok = c.res.status < 400;
    const note: AuditNote = { action, outcome: ok ? 'ok' : 'error', durationMs: Date.now() - started };
    const fn = subject === 'job' ? (named === INVALID ? undefined : functionOfJobId(named!)) : named;
    if (fn) {
      note.function = fn;
      // The function's namespace, so the trail filters by namespace (a route may say otherwise below).
      const namespace = fn === INVALID ? undefined : deps.functions.get(fn)?.namespace;
      if (namespace) note.namespace = namespace;
    }
    const version = c.res.headers.get('x-function-version');
    if (version) note.version = version;
    const jobId = subject === 'job' ? named : c.res.headers.get('x-job-id');
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
