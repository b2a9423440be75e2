import { PlatformError } from '../../queue/platform-error.ts';

/** The version asked about watches no drift (its manifest has no `drift`). */
export class DriftNotWatchedError extends PlatformError {
  override readonly name = 'DriftNotWatchedError';
  /** `asked`: the caller named the version (`?version=`), so the problem names that field; otherwise it is the stable one. */
  constructor(fn: string, version: string, asked: boolean) {
    super('DRIFT_NOT_WATCHED', `${fn}@${version} does not watch its inputs for drift: its manifest has no drift section`, asked ? { extra: { field: 'version', in: 'query' } } : {});
  }
}
