import type { FunctionState } from '../../../queue/cluster/index.ts';
import { authorizeNamed, type Principal } from '../../auth/index.ts';
import type { CatalogMirror } from '../../registry/catalog-mirror.ts';
import { FunctionNotFoundError } from '../../registry/registry-errors.ts';

/**
 * Function `name` from the router's catalogue copy, when `principal` may read it; otherwise
 * 404 FUNCTION_NOT_FOUND, as for a name that does not exist, so another namespace's names do not show.
 */
export function readableFunction(functions: CatalogMirror, name: string, principal: Principal): FunctionState {
  const s = functions.get(name);
  if (!s) throw new FunctionNotFoundError(name);
  authorizeNamed(principal, 'function.read', { namespace: s.namespace }, () => new FunctionNotFoundError(name));
  return s;
}
