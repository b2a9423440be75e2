import { AutoglmError } from '../../functions/sdk/index.ts';

/** The uploaded archive is not a valid bundle (format, manifest, entry, artifacts, paths). */
export class InvalidBundleError extends AutoglmError {
  override readonly name = 'InvalidBundleError';
  constructor(message: string) {
    super('INVALID_BUNDLE', message, { status: 400, extra: { field: 'body', in: 'body' } });
  }
}

/** The archive's sha256 is not the one the client declared. */
export class HashMismatchError extends AutoglmError {
  override readonly name = 'HashMismatchError';
  constructor(declared: string, actual: string) {
    super('HASH_MISMATCH', `the bundle's sha256 is ${actual}, not the declared ${declared}`, { status: 400, extra: { field: 'x-bundle-sha256', in: 'header' } });
  }
}

/** The candidate version failed to load on a worker (e.g. `load` threw). */
export class FunctionLoadError extends AutoglmError {
  override readonly name = 'FunctionLoadError';
  constructor(message: string) {
    super('FUNCTION_LOAD_FAILED', message, { status: 422 });
  }
}

/** No worker could check the candidate in time. */
export class NoWorkerError extends AutoglmError {
  override readonly name = 'NoWorkerError';
  constructor(message: string) {
    super('NO_WORKER', message, { status: 503, retryable: true });
  }
}

/** The function has queued or running jobs and removal was not forced. */
export class FunctionBusyError extends AutoglmError {
  override readonly name = 'FunctionBusyError';
  constructor(name: string, counts: Record<string, number>) {
    super('FUNCTION_BUSY', `function '${name}' still has ${counts.waiting ?? 0} queued and ${counts.active ?? 0} running jobs; wait for them or remove with force=true (queued jobs are cancelled)`, {
      status: 409,
      extra: { jobs: counts },
    });
  }
}

/** The function exists but no version takes traffic. */
export class NotServingError extends AutoglmError {
  override readonly name = 'NotServingError';
  constructor(name: string) {
    super('FUNCTION_NOT_SERVING', `function '${name}' has no version taking traffic; promote one`, { status: 409 });
  }
}

/** No device in the pool can run the function. */
export class UnplaceableError extends AutoglmError {
  override readonly name = 'UnplaceableError';
  constructor(message: string) {
    super('NO_DEVICE_CAN_SERVE', message, { status: 422 });
  }
}

/** Function names are global; a function lives in one namespace. */
export class NamespaceMismatchError extends AutoglmError {
  override readonly name = 'NamespaceMismatchError';
  constructor(fn: string, has: string, asked: string) {
    super('NAMESPACE_MISMATCH', `function '${fn}' belongs to namespace '${has}', not '${asked}'`, { status: 409, extra: { field: 'namespace', in: 'query' } });
  }
}
