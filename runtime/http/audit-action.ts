import type { MiddlewareHandler } from 'hono';
import type { AuditAction } from '../audit/index.ts';

/**
 * What a write route acts on, read from its path parameter into the audit record; a name or id not
 * of its grammar is recorded as `(invalid)` (audit-trail.ts), never as sent.
 */
export type AuditSubject =
  /** `{name}` is a function name: the record's `function`. */
  | 'function'
  /** `{name}` is a function, optionally pinned (`echo@4f948aff2795`): the record's `function`; the version comes from the answer. */
  | 'function-target'
  /** `{id}` is a job id: the record's `jobId`, and its function is the part before the first `.`. */
  | 'job';

/** A route's audit declaration: the action it records, and what its path names. */
export interface AuditDeclaration {
  action: AuditAction;
  subject?: AuditSubject;
}

const declarations = new WeakMap<object, AuditDeclaration>();

/**
 * Declares a route's audit action, where the route is defined: put it in the route's
 * `middleware`. It does nothing itself; the audit trail (mounted before body parsing, so
 * refused bodies are audited too) finds it among the request's matched handlers, and a test
 * walks `app.routes` so no write route goes without one.
 */
export function auditAction(action: AuditAction, subject?: AuditSubject): MiddlewareHandler {
  const declared: MiddlewareHandler = function auditActionDeclared(_c, next) {
    return next();
  };
  declarations.set(declared, subject ? { action, subject } : { action });
  return declared;
}

/** The audit declaration `handler` carries, if it is one made by {@link auditAction}. */
export function declaredAudit(handler: unknown): AuditDeclaration | undefined {
  return typeof handler === 'function' ? declarations.get(handler) : undefined;
}
