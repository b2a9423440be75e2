import { PlatformError } from '../queue/platform-error.ts';

/** A function's model is larger than the whole cache budget of this worker's device. */
export class ModelTooLargeError extends PlatformError {
  override readonly name = 'ModelTooLargeError';
  constructor(key: string, bytes: number, budget: number) {
    super('MODEL_TOO_LARGE', `${key} needs ${bytes} bytes of model memory; this device's budget is ${budget}`);
  }
}

/** `handle` broke its contract (not one result per input). A bug in the function: not retried. */
export class BadBatchResultError extends PlatformError {
  override readonly name = 'BadBatchResultError';
  constructor(message: string) {
    super('BAD_BATCH_RESULT', message);
  }
}

/** The worker's inference thread died or was replaced while the job ran. Retryable. */
export class HostLostError extends PlatformError {
  override readonly name = 'HostLostError';
  constructor(reason: string) {
    super('WORKER_LOST', `the worker running this job went away: ${reason}`);
  }
}

/** A version lists secrets and this host was given no way to open them (a wiring fault). Retryable: another worker may. */
export class SecretsUnavailableError extends PlatformError {
  override readonly name = 'SecretsUnavailableError';
  constructor(key: string) {
    super('SECRETS_UNAVAILABLE', `${key}: this worker has no secret source`);
  }
}

/** A version lists knowledge collections and this host was given no way to open them (a wiring fault). Retryable: another worker may. */
export class KnowledgeUnavailableError extends PlatformError {
  override readonly name = 'KnowledgeUnavailableError';
  constructor(key: string) {
    super('KNOWLEDGE_UNAVAILABLE', `${key}: this worker has no knowledge source`);
  }
}

/** The worker cannot fetch a version's bundle (it was given no bundle source). Retryable: another worker may. */
export class SourceUnavailableError extends PlatformError {
  override readonly name = 'SourceUnavailableError';
  constructor(key: string) {
    super('FUNCTION_SOURCE_UNAVAILABLE', `${key}: this worker has no bundle source`);
  }
}

/** A job names a function this worker's catalogue does not have (removed while it waited). */
export class FunctionNotDeployedError extends PlatformError {
  override readonly name = 'FunctionNotDeployedError';
  constructor(fn: string) {
    super('FUNCTION_NOT_FOUND', `function '${fn}' is not deployed`);
  }
}

/**
 * An input could not cross to function code (its inference thread or sandbox process): it could
 * not be written as JSON (nested too deeply for the writer's recursion, ~10,000 levels). Only an
 * input the worker holds parsed can fail so (one stored unsealed, from before sealing); a sealed
 * one crosses as the text it was sealed as. The input's fault, so it fails alone and is not
 * retried; the other jobs of its batch go on.
 */
export class InputHandOffError extends PlatformError {
  override readonly name = 'InputHandOffError';
  constructor(reason: string) {
    super('INVALID_INPUT', `the input cannot be handed to the function (${reason}); is it nested too deeply?`, { extra: { field: 'input' } });
  }
}
