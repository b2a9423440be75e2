import { parseDuration } from '../../functions/sdk/index.ts';
import { ValidationError } from './errors.ts';

/**
 * A `since` query parameter as epoch ms: an ISO 8601 time, or a duration back from now (`10m`, `7d`).
 * @throws ValidationError naming `since`
 */
export function sinceMs(since: string): number {
  const back = parseDuration(since);
  const at = back !== undefined ? Date.now() - back : Date.parse(since);
  if (!Number.isFinite(at)) throw new ValidationError('since', 'must be an ISO 8601 time or a duration such as 10m', 'query');
  return Math.max(0, at);
}
