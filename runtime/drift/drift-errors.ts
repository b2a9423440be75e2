import { PlatformError } from '../../queue/platform-error.ts';

/** The version asked about watches no drift (its manifest has no `drift`). */
export class DriftNotWatchedError extends PlatformError {
  override readonly name = 'DriftNotWatchedError';
  constructor(fn: string, version: string) {
    super('DRIFT_NOT_WATCHED', `${fn}@${version} does not watch its inputs for drift: its manifest has no drift section`, { extra: { field: 'version', in: 'query' } });
  }
}
