import { ApiError } from '../client/api-client.ts';
import type { Target } from './cli-config.ts';

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

/**
 * What to set up, when the CLI itself left it out: a refusal of a call that carried no token, or a
 * refused connection to the built-in default URL (no AUTOGLM_URL, no saved login).
 */
function setupHint(err: ApiError, target: Target | undefined): string {
  if (!target) return '';
  const login = `\`autoglm login --url ${target.defaultUrl ? '<url>' : target.url} --token <token>\``;
  if (err.status === 401 && !target.token) return `; no token was sent: set AUTOGLM_TOKEN, or run ${login}`;
  if (err.code === 'UNREACHABLE' && target.defaultUrl && err.message.endsWith('ECONNREFUSED')) return `; ${target.url} is the default: set AUTOGLM_URL, or run ${login}`;
  return '';
}

/** The one line printed for an error, and the status to exit with; `target`: where and as whom the failed call went, if known. */
export function describeError(err: unknown, target?: Target): { line: string; code: number } {
  if (err instanceof CliError) return { line: err.message, code: err.exitCode };
  if (err instanceof ApiError) {
    const hint = setupHint(err, target);
    if (err.status === 0) return { line: `${err.message}${hint}`, code: EXIT.unreachable };
    const field = typeof err.problem?.field === 'string' && !err.message.startsWith(String(err.problem.field)) ? ` [${err.problem.field}]` : '';
    const message = FORCE_HINTED.has(err.code) ? err.message.replaceAll('force=true', '--force') : err.message;
    return { line: `${message}${field} (${err.code}, HTTP ${err.status})${hint}`, code: EXIT.server };
  }
  return { line: (err as Error).message ?? String(err), code: 1 };
}
