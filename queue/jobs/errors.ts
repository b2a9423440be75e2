import { PlatformError } from '../platform-error.ts';
import { StoreFullError, isStoreFull } from '../cluster/index.ts';

/** The function's queue is at its configured depth: back off and retry. */
export class QueueFullError extends PlatformError {
  override readonly name = 'QueueFullError';
  constructor(fn: string, depth: number, readonly retryAfterSeconds = 1) {
    super('QUEUE_FULL', `the queue of '${fn}' holds ${depth} waiting jobs, its limit; retry later`);
  }
}

/** A job's input, stored apart from its record, is gone (it outlived its retention waiting). */
export class InputMissingError extends PlatformError {
  override readonly name = 'InputMissingError';
  constructor(id: string) {
    super('INPUT_MISSING', `the input of job '${id}' is no longer stored (an input is kept as long as failed jobs are)`);
  }
}

/** No job with that id (never existed, or its retention expired). */
export class JobNotFoundError extends PlatformError {
  override readonly name = 'JobNotFoundError';
  constructor(id: string) {
    super('JOB_NOT_FOUND', `no job with id '${id}'`);
  }
}

/**
 * A job that is gone but was made longer ago than the shortest retention (`AUTOGLM_RESULT_TTL`):
 * it existed and expired, as far as the platform can tell from its id alone.
 */
export class JobExpiredError extends PlatformError {
  override readonly name = 'JobExpiredError';
  constructor(id: string) {
    super('JOB_EXPIRED', `job '${id}' is no longer kept: it was made longer ago than finished jobs are kept (AUTOGLM_RESULT_TTL)`);
  }
}

/** Feedback on a job that has no output (yet): queued, running or cancelled. */
export class JobNotFinishedError extends PlatformError {
  override readonly name = 'JobNotFinishedError';
  constructor(id: string, status: string) {
    super('JOB_NOT_FINISHED', `job '${id}' is ${status}: feedback is given on a job that ended (succeeded, or failed)`, { extra: { jobStatus: status } });
  }
}

/** Cancelling a job that already started or ended. */
export class JobNotCancellableError extends PlatformError {
  override readonly name = 'JobNotCancellableError';
  constructor(id: string, status: string) {
    super('JOB_NOT_CANCELLABLE', `job '${id}' ${statusText(status)}; only queued jobs can be cancelled`, { extra: { jobStatus: status } });
  }
}

/** Cancelling one item of a job with many inputs: the job is what can be cancelled. */
export class ItemNotCancellableError extends PlatformError {
  override readonly name = 'ItemNotCancellableError';
  constructor(id: string, jobId: string) {
    super('JOB_NOT_CANCELLABLE', `'${id}' is one item of job '${jobId}'; cancel that job instead`, { extra: { partOf: jobId } });
  }
}

/** Retrying a job that is not a dead letter (only failed jobs run again), or one item of a larger job. */
export class JobNotRetryableError extends PlatformError {
  override readonly name = 'JobNotRetryableError';
  constructor(id: string, why: { status: string } | { partOf: string } | { delivering: true }) {
    const [message, extra] =
      'partOf' in why
        ? [`'${id}' is one item of job '${why.partOf}'; retry that job instead`, { partOf: why.partOf }]
        : 'status' in why
          ? [`job '${id}' ${statusText(why.status)}; only failed jobs can be retried`, { jobStatus: why.status }]
          : [`job '${id}' failed, and its callback is being delivered right now; retry it once that ends`, { jobStatus: 'failed' }];
    super('JOB_NOT_RETRYABLE', message, { extra });
  }
}

/** The Idempotency-Key was used before with a different request body. */
export class IdempotencyConflictError extends PlatformError {
  override readonly name = 'IdempotencyConflictError';
  constructor(existingJobId: string) {
    super('IDEMPOTENCY_CONFLICT', 'this Idempotency-Key was already used with a different request body', { extra: { jobId: existingJobId, field: 'Idempotency-Key', in: 'header' } });
  }
}

/** Redis did not answer: the platform cannot accept work right now. */
export class QueueUnavailableError extends PlatformError {
  override readonly name = 'QueueUnavailableError';
  constructor(cause: unknown) {
    super('QUEUE_UNAVAILABLE', 'the job queue is unreachable; retry later', { cause });
  }
}

/**
 * The job a caller waited for is not in Redis after its connection came back: Redis failed over
 * and the old master had not passed the job on to the replica it promoted.
 */
export class JobLostError extends PlatformError {
  override readonly name = 'JobLostError';
  constructor() {
    super('QUEUE_UNAVAILABLE', 'Redis failed over while this call waited, and its job did not reach the new master; retry');
  }
}

/** What a submission's failed Redis round trip becomes: a full Redis says so (STORE_FULL); anything else is an unreachable queue. */
export const queueError = (err: unknown): StoreFullError | QueueUnavailableError => (isStoreFull(err) ? new StoreFullError(err) : new QueueUnavailableError(err));

/** The job's deadline passed before or while it ran. */
export class DeadlineExceededError extends PlatformError {
  override readonly name = 'DeadlineExceededError';
  constructor(message = 'the deadline passed before the function finished') {
    super('DEADLINE_EXCEEDED', message);
  }
}

/** The handler ran longer than the manifest's timeout. Retryable: another attempt may be faster. */
export class FunctionTimeoutError extends PlatformError {
  override readonly name = 'FunctionTimeoutError';
  constructor(timeoutMs: number) {
    super('FUNCTION_TIMEOUT', `the function did not finish within its ${timeoutMs} ms timeout`);
  }
}

/** A job failed without an error record of its own (its failure reason is not one of ours). */
export class JobFailedError extends PlatformError {
  override readonly name = 'JobFailedError';
  constructor(message = 'the job failed') {
    super('JOB_FAILED', message);
  }
}

/** The job was cancelled before it ran: the answer its waiting caller gets. */
export class JobCancelledError extends PlatformError {
  override readonly name = 'JobCancelledError';
  constructor(message = 'the job was cancelled') {
    super('JOB_CANCELLED', message);
  }
}

/**
 * Importing a version's code or running its `load` failed: on a worker (retryable, the next job
 * tries again) or in the load check at deploy (the version is refused).
 */
export class FunctionLoadError extends PlatformError {
  override readonly name = 'FunctionLoadError';
  constructor(message: string, opts: { cause?: unknown } = {}) {
    super('FUNCTION_LOAD_FAILED', message, opts);
  }
}

/**
 * The job brought down what ran it twice: once (maybe beside other jobs), then again running
 * alone. Its worker process (at isolation `thread`), or its namespace's sandbox process.
 * Retrying would only bring down the next one, and every job beside it.
 */
export class PoisonInputError extends PlatformError {
  override readonly name = 'PoisonInputError';
  constructor(id: string, deaths: number, what: 'worker' | 'sandbox' = 'worker') {
    super('POISON_INPUT', `job '${id}' was running when its ${what} died ${deaths} times, the last time alone: its input is taken to crash the ${what}, and it is not retried`);
  }
}

/** A job's status as a message says it: `is queued`, `is running`, `is cancelled`, `already succeeded`. */
function statusText(status: string): string {
  return status === 'succeeded' || status === 'failed' ? `already ${status}` : `is ${status}`;
}
