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

/**
 * Refusals of a removal whose detail tells how to insist in the API's terms (`force=true`); the
 * commands that get them (`secret rm`, `knowledge rm`, `functions rm`) spell it `--force`.
 */
const FORCE_HINTED: ReadonlySet<string> = new Set(['SECRET_IN_USE', 'KNOWLEDGE_IN_USE', 'FUNCTION_BUSY']);

/** The one line printed for an error, and the status to exit with. */
export function describeError(err: unknown): { line: string; code: number } {
  if (err instanceof CliError) return { line: err.message, code: err.exitCode };
  if (err instanceof ApiError) {
    if (err.status === 0) return { line: err.message, code: EXIT.unreachable };
    const field = typeof err.problem?.field === 'string' && !err.message.startsWith(String(err.problem.field)) ? ` [${err.problem.field}]` : '';
    const message = FORCE_HINTED.has(err.code) ? err.message.replaceAll('force=true', '--force') : err.message;
    return { line: `${message}${field} (${err.code}, HTTP ${err.status})`, code: EXIT.server };
  }
  return { line: (err as Error).message ?? String(err), code: 1 };
}
