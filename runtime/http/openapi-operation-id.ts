/**
 * Last path segments of a POST that name an action on the resource before them, not a collection
 * added to: `POST /v1/jobs/{id}/retry` is `retryJob`, where `POST /v1/tokens` is `createToken`.
 */
const ACTIONS = new Set(['invoke', 'retry', 'promote', 'rollback', 'pause', 'resume', 'abort', 'cancel', 'login']);

const pascal = (word: string) => word.split('-').map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('');
const singular = (word: string) => (word.endsWith('s') ? word.slice(0, -1) : word);

/**
 * A stable, readable `operationId` for an operation, from its method and OpenAPI path, so clients
 * generated from the document get method names that do not change when routes are reordered:
 * `GET /v1/functions/{name}/versions` is `getFunctionVersions`, `POST /v1/functions/{name}/rollout/pause`
 * is `pauseFunctionRollout`, `DELETE /v1/secrets/{name}` is `deleteSecret`. A collection followed
 * by a parameter is named in the singular (`functions/{name}` → `Function`); `/v1` is left out.
 * A POST to a collection creates one of it (`POST /v1/tokens` → `createToken`).
 */
export function operationIdOf(method: string, path: string): string {
  const segments = path.split('/').filter((s) => s !== '' && s !== 'v1');
  const last = segments.at(-1) ?? '';
  const action = method === 'post' && ACTIONS.has(last) ? last : undefined;
  const named = action ? segments.slice(0, -1) : segments;
  const createsOne = method === 'post' && !action && !last.startsWith('{');
  const words = named.flatMap((s, i) => {
    if (s.startsWith('{')) return [];
    const itemOf = named[i + 1]?.startsWith('{') || (createsOne && i === named.length - 1);
    return [pascal(itemOf ? singular(s) : s)];
  });
  const verb = action ?? (createsOne ? 'create' : method);
  return verb + words.join('');
}
