import { CliError, EXIT } from './cli-error.ts';

/**
 * A duration as the CLI takes it (`30s`, `500ms`, `5m`; a bare number is seconds) in milliseconds.
 * @throws CliError (usage) naming `what` when it is not one
 */
export function durationMs(v: string, what?: string): number {
  const m = /^(\d+)(ms|s|m)?$/.exec(v);
  if (!m) throw new CliError(`${what ? `${what}: ` : ''}not a duration: ${v} (e.g. 30s, 500ms, 5m)`, EXIT.usage);
  return Number(m[1]) * ({ ms: 1, s: 1000, m: 60_000 } as Record<string, number>)[m[2] ?? 's']!;
}
