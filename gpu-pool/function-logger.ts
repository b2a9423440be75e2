import { AsyncLocalStorage } from 'node:async_hooks';
import { format } from 'node:util';
import { AutoglmError, fromErrorRecord, toErrorRecord, type ErrorRecord, type Logger, type LogLevel } from '../functions/sdk/index.ts';
import type { FunctionLogLine } from '../queue/cluster/index.ts';

/** What every line of one load or handler call carries. */
export type LineBase = Pick<FunctionLogLine, 'fn' | 'version' | 'device' | 'batch' | 'jobs'>;

export type Emit = (line: FunctionLogLine) => void;

/** The function code running in the current async context, and where its lines go. */
const running = new AsyncLocalStorage<{ base: LineBase; emit: Emit; mask: ((text: string) => string) | undefined }>();

/** The logger a function's `load` or `handle` gets as `ctx.log`. */
export function functionLogger(base: LineBase, emit: Emit, fields: Record<string, unknown> = {}): Logger {
  const line = (level: LogLevel) => (msg: string, more?: Record<string, unknown>) => {
    const all = { ...fields, ...more };
    emit({ ...base, t: Date.now(), level, msg: String(msg), ...(Object.keys(all).length ? { fields: plain(all) } : {}), source: 'log' });
  };
  return { debug: line('debug'), info: line('info'), warn: line('warn'), error: line('error'), child: (f) => functionLogger(base, emit, { ...fields, ...f }) };
}

/**
 * Runs function code so that what it writes with `console.*` becomes its log lines too (the
 * console still prints them, through `mask` when given). The async context, not a global "current function", says whose
 * line it is: async handlers of two versions can interleave on one thread.
 */
export function runLogged<T>(base: LineBase, emit: Emit, f: () => T, mask?: (text: string) => string): T {
  captureConsole();
  return running.run({ base, emit, mask }, f);
}

const CONSOLE_LEVELS = { debug: 'debug', log: 'info', info: 'info', warn: 'warn', error: 'error' } as const;
let captured = false;

/** Wraps this thread's console once; outside function code it behaves as before. */
function captureConsole(): void {
  if (captured) return;
  captured = true;
  for (const [method, level] of Object.entries(CONSOLE_LEVELS) as [keyof typeof CONSOLE_LEVELS, LogLevel][]) {
    const original = console[method].bind(console);
    console[method] = (...args: unknown[]) => {
      const r = running.getStore();
      if (!r) return original(...args);
      const msg = format(...args);
      r.emit({ ...r.base, t: Date.now(), level, msg, source: 'console' });
      // The worker's own output must not show a secret either.
      if (r.mask) original(r.mask(msg));
      else original(...args);
    };
  }
}

/**
 * Fields as JSON keeps them (errors as name, message and stack, bigints as text): a line must
 * cross threads and be sealed, and a field that cannot (a cycle) must not lose the line.
 */
function plain(fields: Record<string, unknown>): Record<string, unknown> {
  try {
    return JSON.parse(JSON.stringify(fields, (_, v: unknown) => (v instanceof Error ? { name: v.name, message: v.message, stack: v.stack } : typeof v === 'bigint' ? String(v) : v)));
  } catch (err) {
    return { unserializable: (err as Error).message };
  }
}

/** What a secret is replaced with in log lines. */
export const MASK = '***';

/** Shorter pieces are not masked: they would hide ordinary text. */
const MASK_MIN = 4;

/**
 * Replaces every secret value with {@link MASK}, as CI systems mask theirs: a value a function
 * logs by mistake must not reach whoever reads its logs (viewers may read logs, never secrets).
 * Each line of a multi-line value (a PEM key) is masked too, and a value as JSON escapes it (in
 * fields). Worked out once per load, from its `ctx.secrets`. Undefined when there is nothing to mask.
 */
export function secretMask(secrets: Readonly<Record<string, string>>): ((text: string) => string) | undefined {
  const raw = Object.values(secrets).flatMap((v) => [v, ...v.split(/\r?\n/)]);
  const all = raw.flatMap((v) => [v, JSON.stringify(v).slice(1, -1)]).filter((v) => v.length >= MASK_MIN);
  const find = [...new Set(all)].sort((a, b) => b.length - a.length);
  return find.length ? (text: string) => find.reduce((t, p) => (t.includes(p) ? t.split(p).join(MASK) : t), text) : undefined;
}

/** Lines with {@link secretMask} applied to their message and fields. */
export function masked(emit: Emit, mask: ((text: string) => string) | undefined): Emit {
  if (!mask) return emit;
  return (line) => emit({ ...line, msg: mask(line.msg), ...(line.fields ? { fields: JSON.parse(mask(JSON.stringify(line.fields))) as Record<string, unknown> } : {}) });
}

/**
 * An error record with {@link secretMask} applied to its code, message and extras: a function's
 * error goes to its caller (sync `detail`, a job's `error`, a bulk item's) and, sealed, into
 * Redis; a secret in it must reach neither.
 */
export function maskedRecord(rec: ErrorRecord, mask: ((text: string) => string) | undefined): ErrorRecord {
  if (!mask) return rec;
  const out: ErrorRecord = { code: mask(rec.code), message: mask(rec.message), retryable: rec.retryable };
  if (rec.extra) {
    try {
      out.extra = JSON.parse(mask(JSON.stringify(rec.extra))) as Record<string, unknown>;
    } catch {
      // A secret spanning the JSON's structure: the extras go rather than the secret with them.
    }
  }
  return out;
}

/**
 * A thrown error with its secrets masked, of the same kind for the caller's checks: a platform or
 * function error keeps its code and extras, anything else stays a plain `Error`.
 */
export function maskedError(err: unknown, mask: ((text: string) => string) | undefined): unknown {
  if (!mask) return err;
  if (err instanceof AutoglmError) return fromErrorRecord(maskedRecord(toErrorRecord(err), mask));
  return new Error(mask(err instanceof Error ? err.message : String(err)));
}
