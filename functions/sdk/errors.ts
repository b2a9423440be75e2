/**
 * The one error catalogue. Every module's errors extend {@link AutoglmError}: a fixed `name`,
 * a stable `code`, the HTTP status it maps to at the edge, and whether retrying may help.
 * Retry behaviour in the queue follows `retryable`, never ad-hoc checks.
 */
export class AutoglmError extends Error {
  override readonly name: string = 'AutoglmError';
  /** Stable, machine-readable code, e.g. `FUNCTION_NOT_FOUND`. */
  readonly code: string;
  /** HTTP status at the API edge. */
  readonly status: number;
  /** Whether the same request may succeed if retried. */
  readonly retryable: boolean;
  /** Extra, safe-to-show fields for the problem body (e.g. `field`). */
  readonly extra: Readonly<Record<string, unknown>>;

  constructor(
    code: string,
    message: string,
    opts: { status?: number; retryable?: boolean; extra?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.code = code;
    this.status = opts.status ?? 500;
    this.retryable = opts.retryable ?? false;
    this.extra = opts.extra ?? {};
  }
}

/** An input item failed validation; `field` is a JSON pointer-ish path such as `input.text`. */
export class InvalidInputError extends AutoglmError {
  override readonly name = 'InvalidInputError';
  constructor(readonly field: string, message: string) {
    super('INVALID_INPUT', message, { status: 400, extra: { field } });
  }
}

/**
 * An error raised by function code. Set `retryable: true` for transient failures (a busy
 * dependency); the queue retries those with backoff and fails the rest at once.
 */
export class FunctionError extends AutoglmError {
  override readonly name = 'FunctionError';
  constructor(message: string, opts: { code?: string; retryable?: boolean } = {}) {
    super(opts.code ?? 'FUNCTION_ERROR', message, { status: 500, retryable: opts.retryable ?? false });
  }
}

/** The job's deadline passed before or while it ran. */
export class DeadlineExceededError extends AutoglmError {
  override readonly name = 'DeadlineExceededError';
  constructor(message = 'the deadline passed before the function finished') {
    super('DEADLINE_EXCEEDED', message, { status: 504 });
  }
}

/** The handler ran longer than the manifest's timeout. Retryable: another attempt may be faster. */
export class FunctionTimeoutError extends AutoglmError {
  override readonly name = 'FunctionTimeoutError';
  constructor(timeoutMs: number) {
    super('FUNCTION_TIMEOUT', `the function did not finish within its ${timeoutMs} ms timeout`, {
      status: 504,
      retryable: true,
    });
  }
}

/** Serialised form of an error as it travels in a job result. No stack: stacks stay in logs. */
export interface ErrorRecord {
  code: string;
  message: string;
  status: number;
  retryable: boolean;
  extra?: Record<string, unknown>;
}

/** Turns any thrown value into an {@link ErrorRecord}; unknown errors keep their message but become FUNCTION_ERROR. */
export function toErrorRecord(err: unknown): ErrorRecord {
  if (err instanceof AutoglmError) {
    const rec: ErrorRecord = { code: err.code, message: err.message, status: err.status, retryable: err.retryable };
    if (Object.keys(err.extra).length > 0) rec.extra = { ...err.extra };
    return rec;
  }
  const message = err instanceof Error ? err.message : String(err);
  // Unknown errors from function code are treated as transient: a retry is cheap, a lost job is not.
  return { code: 'FUNCTION_ERROR', message, status: 500, retryable: true };
}

/** Rebuilds an error from its record, keeping code, status and retryability. */
export function fromErrorRecord(rec: ErrorRecord): AutoglmError {
  return new AutoglmError(rec.code, rec.message, {
    status: rec.status,
    retryable: rec.retryable,
    ...(rec.extra ? { extra: rec.extra } : {}),
  });
}
