import { AutoglmError } from '../../functions/sdk/index.ts';

/** The function's queue is at its configured depth: back off and retry. */
export class QueueFullError extends AutoglmError {
  override readonly name = 'QueueFullError';
  constructor(fn: string, depth: number, readonly retryAfterSeconds = 1) {
    super('QUEUE_FULL', `the queue of '${fn}' holds ${depth} waiting jobs, its limit; retry later`, {
      status: 503,
      retryable: true,
    });
  }
}

/** A job's input, stored apart from its record, is gone (it outlived its retention waiting). */
export class InputMissingError extends AutoglmError {
  override readonly name = 'InputMissingError';
  constructor(id: string) {
    super('INPUT_MISSING', `the input of job '${id}' is no longer stored (an input is kept as long as failed jobs are)`, { status: 410 });
  }
}

/** No job with that id (never existed, or its retention expired). */
export class JobNotFoundError extends AutoglmError {
  override readonly name = 'JobNotFoundError';
  constructor(id: string) {
    super('JOB_NOT_FOUND', `no job with id '${id}'`, { status: 404 });
  }
}

/** Cancelling a job that already started or ended. */
export class JobNotCancellableError extends AutoglmError {
  override readonly name = 'JobNotCancellableError';
  constructor(id: string, status: string) {
    super('JOB_NOT_CANCELLABLE', `job '${id}' is ${status}; only queued jobs can be cancelled`, {
      status: 409,
      extra: { jobStatus: status },
    });
  }
}

/** Cancelling one item of a job with many inputs: the job is what can be cancelled. */
export class ItemNotCancellableError extends AutoglmError {
  override readonly name = 'ItemNotCancellableError';
  constructor(id: string, jobId: string) {
    super('JOB_NOT_CANCELLABLE', `'${id}' is one item of job '${jobId}'; cancel that job instead`, { status: 409, extra: { partOf: jobId } });
  }
}

/** The Idempotency-Key was used before with a different request body. */
export class IdempotencyConflictError extends AutoglmError {
  override readonly name = 'IdempotencyConflictError';
  constructor(existingJobId: string) {
    super('IDEMPOTENCY_CONFLICT', 'this Idempotency-Key was already used with a different request body', {
      status: 409,
      extra: { jobId: existingJobId },
    });
  }
}

/** Redis did not answer: the platform cannot accept work right now. */
export class QueueUnavailableError extends AutoglmError {
  override readonly name = 'QueueUnavailableError';
  constructor(cause: unknown) {
    super('QUEUE_UNAVAILABLE', 'the job queue is unreachable; retry later', { status: 503, retryable: true, cause });
  }
}
