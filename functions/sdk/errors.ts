/**
 * Errors function code throws. Every platform error extends {@link AutoglmError} too (outside the
 * SDK): a fixed `name`, a stable `code` and whether retrying may help. The platform maps codes
 * to HTTP statuses; function code needs none. Retry behaviour in the queue follows `retryable`.
 */
export class AutoglmError extends Error {
  override readonly name: string = 'AutoglmError';
  /** Stable, machine-readable code, e.g. `INVALID_INPUT`. */
  readonly code: string;
  /** Whether the same request may succeed if retried. */
  readonly retryable: boolean;
  /** Extra, safe-to-show fields for the problem body (e.g. `field`). */
  readonly extra: Readonly<Record<string, unknown>>;

  constructor(code: string, message: string, opts: { retryable?: boolean; extra?: Record<string, unknown>; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.code = code;
    this.retryable = opts.retryable ?? false;
    this.extra = opts.extra ?? {};
  }
}

/**
 * An input item failed validation (answered 400). `field` names where, as every error does
 * (`transactions[0].amount`, members after dots, indices in brackets); one not starting at `input`
 * is answered from there (`input.transactions[0].amount`).
 */
export class InvalidInputError extends AutoglmError {
  override readonly name = 'InvalidInputError';
  constructor(readonly field: string, message: string) {
    super('INVALID_INPUT', message, { extra: { field } });
  }
}

/**
 * An error raised by function code (answered 500, with `code`, default `FUNCTION_ERROR`). Set
 * `retryable: true` for transient failures (a busy dependency); the queue retries those with
 * backoff and fails the rest at once.
 */
export class FunctionError extends AutoglmError {
  override readonly name = 'FunctionError';
  constructor(message: string, opts: { code?: string; retryable?: boolean } = {}) {
    super(opts.code ?? 'FUNCTION_ERROR', message, { retryable: opts.retryable ?? false });
  }
}

/** Serialised form of an error as it travels in a job result. No stack: stacks stay in logs. */
export interface ErrorRecord {
  code: string;
  message: string;
  retryable: boolean;
  extra?: Record<string, unknown>;
}

/** Turns any thrown value into an {@link ErrorRecord}; unknown errors keep their message but become FUNCTION_ERROR. */
export function toErrorRecord(err: unknown): ErrorRecord {
  if (err instanceof AutoglmError) {
    const rec: ErrorRecord = { code: err.code, message: err.message, retryable: err.retryable };
    if (Object.keys(err.extra).length > 0) rec.extra = { ...err.extra };
    return rec;
  }
  const message = err instanceof Error ? err.message : String(err);
  // Unknown errors from function code are treated as transient: a retry is cheap, a lost job is not.
  return { code: 'FUNCTION_ERROR', message, retryable: true };
}

/** Rebuilds an error from its record, keeping code, retryability and extras. */
export function fromErrorRecord(rec: ErrorRecord): AutoglmError {
  return new AutoglmError(rec.code, rec.message, { retryable: rec.retryable, ...(rec.extra ? { extra: rec.extra } : {}) });
}
