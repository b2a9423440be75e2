import type { Context, MiddlewareHandler } from 'hono';
import { AutoglmError, type Logger } from '../../functions/sdk/index.ts';
import { problemStatus, type ProblemCode } from '../../queue/problem-codes.ts';
import { isConcealedDenial } from '../auth/index.ts';
import { isJobId } from '../../queue/cluster/index.ts';
import type { AuditLog } from './audit-log.ts';
import { INVALID, auditTarget } from './audit-subject.ts';
import type { AuditAction, AuditEvent, AuditOutcome, AuditRecord } from './audit-record.ts';

/** The caller as the auth middleware leaves it in `c.var.principal`. */
interface Caller {
  sub: string;
  roles: readonly string[];
}

/** What a route knows about the request it audits. */
export interface RequestAudit {
  action: AuditAction;
  namespace?: string;
  function?: string;
  version?: string;
  jobId?: string;
  /** `Date.now()` when the request started; gives `durationMs`. */
  started?: number;
  /** The error the request failed with; unset when it succeeded. */
  error?: unknown;
  /** A failure without an exception (outcome `error` with this code). */
  code?: string;
  /** Small, non-payload facts (which collection, which version); see {@link AuditEvent.detail}. */
  detail?: Record<string, unknown>;
}

/** Requests whose denial a route already recorded: {@link auditDenials} does not record them again. */
const deniedRecorded = new WeakSet<Request>();

const caller = (c: Context): Caller | undefined => c.get('principal' as never) as Caller | undefined;

/** The peer address of the connection (`@hono/node-server` puts the socket in `c.env`). */
function remoteAddress(c: Context): string | undefined {
  return (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming?.socket?.remoteAddress;
}

function statusOf(err: unknown): number {
  return err instanceof AutoglmError ? problemStatus(err.code) : 500;
}

/** Who, from where, which request: the fields every request-driven record shares. */
function requestFields(c: Context): Pick<AuditEvent, 'actor' | 'roles' | 'requestId' | 'remote'> {
  const p = caller(c);
  const requestId = c.get('requestId' as never) as string | undefined;
  const remote = remoteAddress(c);
  return { actor: p?.sub ?? 'anonymous', roles: p?.roles ?? [], ...(requestId ? { requestId } : {}), ...(remote ? { remote } : {}) };
}

/**
 * Records one request's action: the caller from `c.var.principal`, the request id and peer
 * address from the context, `outcome` from `error` or `code` (neither: `ok`; else `error` with the code).
 * Returns the record, or undefined for a 401/403 error: {@link auditDenials} records those, once.
 * @throws AuditUnavailableError when the log cannot take records (the request should fail: no unaudited actions).
 */
export function auditRequest(audit: AuditLog, c: Context, e: RequestAudit): AuditRecord | undefined {
  const thrown = e.error !== undefined;
  const status = thrown ? statusOf(e.error) : 200;
  if (status === 401 || status === 403) return undefined;
  const code = thrown ? (e.error instanceof AutoglmError ? e.error.code : ('INTERNAL' satisfies ProblemCode)) : e.code;
  return audit.append({
    ...requestFields(c),
    action: e.action,
    ...(e.namespace ? { namespace: e.namespace } : {}),
    ...(e.function ? { function: e.function } : {}),
    ...(e.version ? { version: e.version } : {}),
    ...(e.jobId ? { jobId: e.jobId } : {}),
    outcome: code ? 'error' : 'ok',
    ...(code ? { code } : {}),
    ...(e.started !== undefined ? { durationMs: Date.now() - e.started } : {}),
    ...(e.detail ? { detail: e.detail } : {}),
  });
}

/**
 * Runs a route body and records it once, however it ends: `ok`, or `error` with the thrown
 * error's code (which is rethrown). The body fills in what it learns on the way (`function`,
 * `version`, `jobId`, `namespace`) on the object it is given.
 *
 * ```ts
 * app.openapi(invokeRoute, (c) => audited(deps.audit, c, { action: 'invoke' }, async (a) => {
 *   a.function = rec.name; a.version = rec.version; a.jobId = id;
 *   return c.json(…, 200);
 * }));
 * ```
 */
export async function audited<T>(audit: AuditLog, c: Context, base: RequestAudit, body: (a: RequestAudit) => Promise<T>): Promise<T> {
  const a: RequestAudit = { ...base, started: base.started ?? Date.now() };
  let result: T;
  try {
    result = await body(a);
  } catch (err) {
    auditRequest(audit, c, { ...a, error: err });
    throw err;
  }
  auditRequest(audit, c, a);
  return result;
}

/**
 * What a route reports through `AppDeps.audit(note, c)`: the action and its outcome, and what it
 * acted on. Who, when, the request id and the peer address come from the request.
 */
export interface AuditNote {
  action: AuditAction;
  outcome: AuditOutcome;
  namespace?: string;
  function?: string;
  version?: string;
  jobId?: string;
  code?: string;
  durationMs?: number;
  /** Small, non-payload facts; see {@link AuditEvent.detail}. */
  detail?: Record<string, unknown>;
}

/**
 * The `AppDeps.audit` hook: records a route's note with the caller, request id and peer address.
 * Never throws and never waits: when the log cannot take a record (closed, or the disk has
 * refused writes until `maxPending` records wait) the note is logged as lost instead.
 * A note with outcome `denied` is recorded as given, and {@link auditDenials} skips that request.
 */
export function auditNotes(audit: AuditLog, log?: Logger): (note: AuditNote, c: Context) => void {
  return function recordNote(note, c) {
    try {
      audit.append({
        ...requestFields(c),
        action: note.action,
        outcome: note.outcome,
        ...(note.namespace ? { namespace: note.namespace } : {}),
        ...(note.function ? { function: note.function } : {}),
        ...(note.version ? { version: note.version } : {}),
        ...(note.jobId ? { jobId: note.jobId } : {}),
        ...(note.code ? { code: note.code } : {}),
        ...(note.durationMs !== undefined ? { durationMs: note.durationMs } : {}),
        ...(note.detail ? { detail: note.detail } : {}),
      });
      if (note.outcome === 'denied') deniedRecorded.add(c.req.raw);
    } catch (err) {
      log?.error('audit record lost', { err, action: note.action, outcome: note.outcome, function: note.function });
    }
  };
}

const FUNCTION_PATH = /^\/v1\/functions\/([a-z][a-z0-9-]{0,62})(?:@([0-9a-f]{12}))?(?:\/|$)/;
const JOB_PATH = /^\/v1\/jobs\/([^/]+)$/;

/**
 * Middleware recording every 401 and 403 answer as `access.denied`: caller (or `anonymous`), the
 * problem code, what was tried (`POST /v1/functions/echo/invoke`) and the function or job named
 * by the path. Mount it before the auth middleware so refused tokens are seen too. Never changes
 * the answer: a record the log cannot take is logged as lost.
 */
export function auditDenials(audit: AuditLog, log?: Logger): MiddlewareHandler {
  return async function auditDenialsMiddleware(c, next) {
    const started = Date.now();
    await next();
    const status = c.res.status;
    // Another namespace's function or job answers 404 as a missing one, but it was a denial.
    const concealed = isConcealedDenial(c.error);
    if ((status !== 401 && status !== 403 && !concealed) || deniedRecorded.has(c.req.raw)) return;
    const path = c.req.path;
    const fn = FUNCTION_PATH.exec(path);
    const job = fn ? undefined : JOB_PATH.exec(path);
    const code = c.error instanceof AutoglmError && !concealed ? c.error.code : ((status === 401 ? 'UNAUTHORIZED' : 'FORBIDDEN') satisfies ProblemCode);
    try {
      audit.append({
        ...requestFields(c),
        action: 'access.denied',
        ...(fn ? { function: fn[1]!, ...(fn[2] ? { version: fn[2] } : {}) } : {}),
        // Only an id of the platform's grammar is written; anything else the path held is not.
        ...(job ? { jobId: isJobId(job[1]!) ? job[1]! : INVALID } : {}),
        outcome: 'denied',
        code,
        durationMs: Date.now() - started,
        target: auditTarget(c.req.method, c.req.url),
      });
    } catch (err) {
      log?.error('audit record lost', { err, action: 'access.denied', code, target: auditTarget(c.req.method, c.req.url) });
    }
  };
}
