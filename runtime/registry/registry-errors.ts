import type { BundleLimitError, BundleLimits } from '../../functions/sdk/bundle/index.ts';
import { PlatformError } from '../../queue/platform-error.ts';

/**
 * The uploaded archive is not a valid bundle (format, manifest, entry, artifacts, paths). `errors`,
 * when known, name the manifest's fields (`input.properties.name.pattern`); `field` is the first.
 */
export class InvalidBundleError extends PlatformError {
  override readonly name = 'InvalidBundleError';
  constructor(message: string, errors?: { field: string; message: string }[]) {
    super('INVALID_BUNDLE', message, { extra: { field: errors?.[0]?.field ?? 'body', in: 'body', ...(errors ? { errors } : {}) } });
  }
}

/**
 * The archive's content (as it inflates) passes `AUTOGLM_BUNDLE_LIMIT` bytes, or its members
 * `AUTOGLM_BUNDLE_MAX_ENTRIES`: `limit` says which, `max` its value.
 */
export class BundleTooLargeError extends PlatformError {
  override readonly name = 'BundleTooLargeError';
  constructor(err: BundleLimitError, limits: BundleLimits) {
    const [variable, max] = err.limit === 'bytes' ? ['AUTOGLM_BUNDLE_LIMIT', limits.maxBytes] : ['AUTOGLM_BUNDLE_MAX_ENTRIES', limits.maxEntries];
    super('BUNDLE_TOO_LARGE', `${err.message} (${variable})`, { extra: { field: 'body', in: 'body', limit: err.limit, max } });
  }
}

/** The archive's sha256 is not the one the client declared. */
export class HashMismatchError extends PlatformError {
  override readonly name = 'HashMismatchError';
  constructor(declared: string, actual: string) {
    super('HASH_MISMATCH', `the bundle's sha256 is ${actual}, not the declared ${declared}`, { extra: { field: 'x-bundle-sha256', in: 'header' } });
  }
}

/** No worker could check the candidate in time. */
export class NoWorkerError extends PlatformError {
  override readonly name = 'NoWorkerError';
  constructor(message: string) {
    super('NO_WORKER', message);
  }
}

/** The function has queued or running jobs and removal was not forced. */
export class FunctionBusyError extends PlatformError {
  override readonly name = 'FunctionBusyError';
  constructor(name: string, counts: Record<string, number>) {
    super('FUNCTION_BUSY', `function '${name}' still has ${counts.waiting ?? 0} queued and ${counts.active ?? 0} running jobs; wait for them or remove with force=true (queued jobs are cancelled)`, {
      extra: { jobs: counts },
    });
  }
}

/** The function exists but no version takes traffic. */
export class NotServingError extends PlatformError {
  override readonly name = 'NotServingError';
  constructor(name: string) {
    super('FUNCTION_NOT_SERVING', `function '${name}' has no version taking traffic; promote one`);
  }
}

/** No device in the pool can run the function. */
export class UnplaceableError extends PlatformError {
  override readonly name = 'UnplaceableError';
  constructor(message: string) {
    super('NO_DEVICE_CAN_SERVE', message);
  }
}

/**
 * Function names are global; a function lives in one namespace. Refuses a deploy whose bundle names
 * a function another namespace holds (deployed, or being deployed). The holder is named: a deployer
 * must know whom to ask for the name, and the name alone is no secret of that namespace.
 */
export class NamespaceMismatchError extends PlatformError {
  override readonly name = 'NamespaceMismatchError';
  constructor(fn: string, has: string, asked: string) {
    super('NAMESPACE_MISMATCH', `function name '${fn}' is held by namespace '${has}', so it cannot be deployed into '${asked}'; function names are global: choose another name`, {
      extra: { field: 'name', in: 'body', namespace: has },
    });
  }
}

/** No function of that name is deployed. `at` names where the request gave the name [the path's `name`]. */
export class FunctionNotFoundError extends PlatformError {
  override readonly name = 'FunctionNotFoundError';
  constructor(name: string, at: { field: string; in: 'path' | 'query' } = { field: 'name', in: 'path' }) {
    super('FUNCTION_NOT_FOUND', `no function named '${name}'`, { extra: { ...at } });
  }
}

/**
 * The function exists, and the caller may see it, but has no version `version`. Raise it only
 * once the caller is allowed the function: for another namespace's, the answer is
 * {@link FunctionNotFoundError}, so it says nothing of what exists there.
 */
export class VersionNotFoundError extends PlatformError {
  override readonly name = 'VersionNotFoundError';
  constructor(fn: string, version: string, at: { field: string; in: 'path' | 'query' } = { field: 'name', in: 'path' }) {
    super('VERSION_NOT_FOUND', `function '${fn}' has no version '${version}'`, { extra: { ...at } });
  }
}

/** No stored bundle has that hash. */
export class ArtifactNotFoundError extends PlatformError {
  override readonly name = 'ArtifactNotFoundError';
  constructor() {
    super('ARTIFACT_NOT_FOUND', 'no bundle with that hash');
  }
}
