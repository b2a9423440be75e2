import { ForbiddenError } from './auth-errors.ts';
import type { Principal } from './token-verifier.ts';

/** What a route does, for the access check. */
export type Action =
  | 'function.read'
  | 'function.deploy'
  | 'function.logs'
  | 'secret.read'
  | 'secret.write'
  | 'knowledge.read'
  | 'knowledge.write'
  | 'invoke'
  | 'job.read'
  | 'job.cancel'
  | 'job.retry'
  | 'audit.read'
  | 'token.create'
  | 'artifact.read'
  | 'metrics.read'
  | 'webhook.key'
  | 'queue.board'
  | 'console.link';

/**
 * Which roles may do what. `admin` may do everything, everywhere. The others act only inside
 * their token's namespaces; an `invoker` reads and cancels only the jobs it submitted, and only
 * invokes the functions its token names when it names any. Metrics (`metrics.read`) describe every
 * namespace at once, so a `viewer` reads them only with a token for all namespaces (`*`). A
 * function's logs (`function.logs`) can hold what its inputs held, from every caller: an
 * `invoker`, whose view stops at its own jobs, does not read them. Nobody reads a secret's value:
 * `secret.read` is its name and dates, `secret.write` sets or removes it. Knowledge collections (`knowledge.read`, `knowledge.write`)
 * are the company's own text, there to shape what functions say: read and changed only by those who
 * deploy in the namespace (and admins). `webhook.key` reads the
 * key a namespace's webhooks are signed with: whoever holds it can sign as the platform for that
 * namespace, so only those who deploy there (and admins) may. `queue.board` opens BullMQ's board,
 * which shows every namespace's queues at once: admins only. `console.link` trades the caller's
 * own token for a one-time console sign-in code: it grants nothing the token lacks, so every role
 * that has a console to see may (not `worker`, which pool nodes hold).
 */
const GRANTS: Record<string, readonly Action[]> = {
  admin: ['function.read', 'function.deploy', 'function.logs', 'secret.read', 'secret.write', 'knowledge.read', 'knowledge.write', 'invoke', 'job.read', 'job.cancel', 'job.retry', 'audit.read', 'token.create', 'artifact.read', 'metrics.read', 'webhook.key', 'queue.board', 'console.link'],
  deployer: ['function.read', 'function.deploy', 'function.logs', 'secret.read', 'secret.write', 'knowledge.read', 'knowledge.write', 'job.read', 'artifact.read', 'webhook.key', 'console.link'],
  invoker: ['function.read', 'invoke', 'job.read', 'job.cancel', 'job.retry', 'console.link'],
  viewer: ['function.read', 'function.logs', 'secret.read', 'job.read', 'metrics.read', 'console.link'],
  // Pool nodes without the router's disk download bundles with a `worker` token, and do nothing else.
  worker: ['artifact.read'],
};

/** Roles that see every job of their namespaces, not only their own. */
const SEES_ALL_JOBS = new Set(['admin', 'deployer', 'viewer']);

/** What the action is applied to. */
export interface Resource {
  namespace: string;
  /** The function, for invocations limited to named functions. */
  function?: string;
  /** Who submitted the job, for job reads and cancels; null when no one caller did (a group of several callers' calls). */
  owner?: string | null;
  /** Describes every namespace at once (metrics): only a token for all of them (`*`) may see it. */
  allNamespaces?: true;
}

/** Whether `p` may do `action` on `r` (no exception; for filtering lists). */
export function allowed(p: Principal, action: Action, r: Resource): boolean {
  if (p.roles.includes('admin')) return true;
  if (r.allNamespaces && !p.namespaces.includes('*')) return false;
  // '*' as the resource's namespace: content-addressed artifacts, which belong to no one namespace.
  if (r.namespace !== '*' && !actsIn(p, r.namespace)) return false;
  const granting = p.roles.filter((role) => GRANTS[role]?.includes(action));
  if (granting.length === 0) return false;
  if ((action === 'invoke' || action === 'job.retry') && p.functions && r.function !== undefined) {
    if (!p.functions.includes(r.function) && !p.functions.includes(`${r.namespace}/${r.function}`)) return false;
  }
  if ((action === 'job.read' || action === 'job.cancel' || action === 'job.retry') && r.owner !== undefined) {
    const mayAct = granting.some((role) => SEES_ALL_JOBS.has(role) && (action === 'job.read' || role === 'admin'));
    if (!mayAct && r.owner !== p.sub) return false;
  }
  return true;
}

/** Whether `p` acts in `namespace` at all (with whatever role): admin, or a token naming it or `*`. */
export function actsIn(p: Principal, namespace: string): boolean {
  return p.roles.includes('admin') || p.namespaces.includes('*') || p.namespaces.includes(namespace);
}

/**
 * {@link authorize} for something the caller named (a function, a job): when it lies outside the
 * caller's namespaces (another team's), the error is `missing()`, the one a missing thing gets,
 * so the answer tells neither that it exists nor where; inside them, a role short of `action`
 * gets the 403.
 * @throws what `missing` returns, or ForbiddenError
 */
export function authorizeNamed(p: Principal, action: Action, r: Resource, missing: () => Error): void {
  if (allowed(p, action, r)) return;
  if (!actsIn(p, r.namespace)) {
    const err = missing();
    concealed.add(err);
    throw err;
  }
  authorize(p, action, r);
}

/** Errors that answer a denial as a missing thing: the caller sees a 404, the audit trail a denial. */
const concealed = new WeakSet<object>();

/** Whether `err` is a denial answered as a missing thing (see {@link authorizeNamed}). */
export const isConcealedDenial = (err: unknown): boolean => typeof err === 'object' && err !== null && concealed.has(err);

/** @throws ForbiddenError when `p` may not do `action` on `r`. */
export function authorize(p: Principal, action: Action, r: Resource): void {
  if (!allowed(p, action, r)) {
    // '*': a check of the roles alone (a listing across namespaces, an artifact), in no one namespace.
    const where = r.namespace === '*' ? '' : ` in namespace '${r.namespace}'`;
    throw new ForbiddenError(`${p.sub} (${p.roles.join(', ')}) may not ${action}${where}${r.function ? ` (function ${r.function})` : ''}`);
  }
}
