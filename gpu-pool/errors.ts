import { AutoglmError } from '../functions/sdk/index.ts';

/** The operator forced a TensorFlow.js backend that does not load here. The worker cannot start. */
export class BackendUnavailableError extends AutoglmError {
  override readonly name = 'BackendUnavailableError';
  constructor(readonly backend: string, reason: string) {
    super('BACKEND_UNAVAILABLE', `TensorFlow.js backend '${backend}' is not available: ${reason}`, { status: 503 });
  }
}

/** A function's model is larger than the whole cache budget of this worker's device. */
export class ModelTooLargeError extends AutoglmError {
  override readonly name = 'ModelTooLargeError';
  constructor(key: string, bytes: number, budget: number) {
    super('MODEL_TOO_LARGE', `${key} needs ${bytes} bytes of model memory; this device's budget is ${budget}`, { status: 507 });
  }
}

/** Importing a version's code or running its `load` failed. Retryable: the next job tries again. */
export class FunctionLoadError extends AutoglmError {
  override readonly name = 'FunctionLoadError';
  constructor(key: string, cause: unknown) {
    super('FUNCTION_LOAD_FAILED', `loading ${key} failed: ${cause instanceof Error ? cause.message : String(cause)}`, { status: 500, retryable: true, cause });
  }
}

/** `handle` broke its contract (not one result per input). A bug in the function: not retried. */
export class BadBatchResultError extends AutoglmError {
  override readonly name = 'BadBatchResultError';
  constructor(message: string) {
    super('BAD_BATCH_RESULT', message, { status: 500 });
  }
}

/** The worker's inference thread died or was replaced while the job ran. Retryable. */
export class HostLostError extends AutoglmError {
  override readonly name = 'HostLostError';
  constructor(reason: string) {
    super('WORKER_LOST', `the worker running this job went away: ${reason}`, { status: 503, retryable: true });
  }
}

/** A version lists secrets and this host was given no way to open them (a wiring fault). Retryable: another worker may. */
export class SecretsUnavailableError extends AutoglmError {
  override readonly name = 'SecretsUnavailableError';
  constructor(key: string) {
    super('SECRETS_UNAVAILABLE', `${key}: this worker has no secret source`, { status: 503, retryable: true });
  }
}
