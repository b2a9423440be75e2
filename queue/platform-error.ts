import { AutoglmError } from '../functions/sdk/index.ts';
import { PROBLEM_CODES, type ProblemCode } from './problem-codes.ts';

/**
 * The base of every platform error (router, control, queue, pool): a code of the catalogue, whose
 * entry gives its HTTP status and whether it is retryable (so retries follow the code, not the call site).
 * Subclasses fix `name` and build the message; function code throws the SDK's errors instead.
 */
export class PlatformError extends AutoglmError {
  override readonly name: string = 'PlatformError';
  declare readonly code: ProblemCode;

  constructor(code: ProblemCode, message: string, opts: { extra?: Record<string, unknown>; cause?: unknown } = {}) {
    super(code, message, { ...opts, retryable: PROBLEM_CODES[code].retryable });
  }

  /** The HTTP status of the code, from the catalogue. */
  get status(): number {
    return PROBLEM_CODES[this.code].status;
  }
}
