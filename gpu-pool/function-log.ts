import { AsyncLocalStorage } from 'node:async_hooks';
import { format } from 'node:util';
import type { Logger, LogLevel } from '../functions/sdk/index.ts';
import type { FunctionLogLine } from '../queue/index.ts';

/** What every line of one load or handler call carries. */
export type LineBase = Pick<FunctionLogLine, 'fn' | 'version' | 'device' | 'batch' | 'jobs'>;

type Emit = (line: FunctionLogLine) => void;

/** The function code running in the current async context, and where its lines go. */
const running = new AsyncLocalStorage<{ base: LineBase; emit: Emit }>();

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
 * console still prints them). The async context, not a global "current function", says whose
 * line it is: async handlers of two versions can interleave on one thread.
 */
export function runLogged<T>(base: LineBase, emit: Emit, f: () => T): T {
  captureConsole();
  return running.run({ base, emit }, f);
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
      if (r) r.emit({ ...r.base, t: Date.now(), level, msg: format(...args), source: 'console' });
      original(...args);
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
