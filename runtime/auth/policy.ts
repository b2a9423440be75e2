import { ForbiddenError } from '../http/errors.ts';
import type { Principal } from './token-verifier.ts';

/** What a route does, for the role check. */
export type Action = 'invoke' | 'read' | 'cancel' | 'deploy' | 'artifact';

/** Which roles may do what. `admin` may do everything. */
const ALLOWED: Record<Action, readonly string[]> = {
  invoke: ['admin', 'invoker'],
  cancel: ['admin', 'invoker'],
  read: ['admin', 'deployer', 'invoker', 'viewer'],
  deploy: ['admin', 'deployer'],
  // Pool nodes that do not share the artifact directory download bundles with a `worker` token.
  artifact: ['admin', 'deployer', 'worker'],
};

/** @throws ForbiddenError when `p` may not do `action` in namespace `ns`. */
export function authorize(p: Principal, action: Action, ns: string): void {
  if (!p.roles.some((r) => ALLOWED[action].includes(r))) {
    throw new ForbiddenError(`role ${p.roles.join(', ')} may not ${action}`);
  }
  if (!p.namespaces.includes('*') && !p.namespaces.includes(ns) && !p.roles.includes('admin')) {
    throw new ForbiddenError(`not allowed in namespace '${ns}'`);
  }
}
