/** The pure part of following a function's logs: which page to read next, and which lines to keep. */

/** A line as `GET /v1/functions/{name}/logs` gives it (the fields the console shows). */
export interface LogLine {
  id: string;
  t: number;
  level: 'debug' | 'info' | 'warn' | 'error';
  msg: string;
  version: string;
  jobs?: string[];
}

/** The filters the panel offers; empty means all. */
export interface LogFilters {
  level: '' | LogLine['level'];
  version: string;
}

/** Lines the page keeps: a followed log drops its oldest lines past this, so a busy function cannot grow the tab without bound. */
export const KEPT_LINES = 500;

/**
 * The query of the next read: the newest `limit` lines to start (or while the log is still
 * empty and has no cursor), then those after `next`, the cursor the last page returned.
 */
export function logQuery(f: LogFilters, next: string | null, limit: number): string {
  const q = new URLSearchParams({ limit: String(limit) });
  if (next !== null) q.set('after', next);
  if (f.level) q.set('level', f.level);
  if (f.version) q.set('version', f.version);
  return q.toString();
}

/** `kept` followed by `more`, without lines already kept (by id), trimmed to the newest `max`. */
export function appendKept(kept: readonly LogLine[], more: readonly LogLine[], max = KEPT_LINES): LogLine[] {
  const seen = new Set(kept.map((l) => l.id));
  const all = [...kept, ...more.filter((l) => !seen.has(l.id))];
  return all.length > max ? all.slice(all.length - max) : all;
}
