import { ApiError } from '../client/api-client.ts';

/** Exit statuses, distinct per kind of failure so scripts can tell them apart. */
export const EXIT = {
  ok: 0,
  /** The job ran and failed (or was cancelled). */
  jobFailed: 1,
  /** Bad command line. */
  usage: 2,
  /** The server refused the request (a problem response). */
  server: 3,
  /** The server could not be reached. */
  unreachable: 4,
  /** The function folder could not be built. */
  build: 5,
  /** `audit verify` found a bad record. */
  auditFailed: 6,
} as const;

/** A failure to report as one line and exit with `exitCode`. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

/** The one line printed for an error, and the status to exit with. */
export function describeError(err: unknown): { line: string; code: number } {
  if (err instanceof CliError) return { line: err.message, code: err.exitCode };
  if (err instanceof ApiError) {
    if (err.status === 0) return { line: err.message, code: EXIT.unreachable };
    const field = typeof err.problem?.field === 'string' && !err.message.startsWith(String(err.problem.field)) ? ` [${err.problem.field}]` : '';
    return { line: `${err.message}${field} (${err.code}, HTTP ${err.status})`, code: EXIT.server };
  }
  return { line: (err as Error).message ?? String(err), code: 1 };
}
