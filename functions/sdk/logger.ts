/** Severity levels, lowest first. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** A structured logger writing one JSON object per line to stderr. */
export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

/**
 * Creates a JSON-lines logger. Errors in `fields` are flattened to message and stack so they
 * survive serialisation; these lines are where stack traces go, never HTTP responses.
 */
const RESERVED = { t: true, level: true, msg: true } as const;

export function createLogger(
  base: Record<string, unknown> = {},
  level: LogLevel = 'info',
  write: (line: string) => void = (l) => process.stderr.write(l + '\n'),
): Logger {
  const min = ORDER[level];
  const emit = (lvl: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    if (ORDER[lvl] < min) return;
    const rec: Record<string, unknown> = { t: new Date().toISOString(), level: lvl, msg };
    for (const [k, v] of [...Object.entries(base), ...Object.entries(fields ?? {})]) {
      // A field named like the line's own (`level`, `msg`, `t`) must not pass for it: a reader filters by them.
      rec[k in RESERVED ? `${k}_` : k] = v instanceof Error ? { name: v.name, message: v.message, stack: v.stack } : v;
    }
    write(JSON.stringify(rec));
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (f) => createLogger({ ...base, ...f }, level, write),
  };
}
