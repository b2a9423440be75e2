import { join } from 'node:path';
import { parseDuration } from '../../functions/sdk/index.ts';
import type { AuditOutcome, AuditRecord } from './audit-record.ts';
import { listChains, listSegments, parseSegmentName, readLines } from './segment-files.ts';

/** Which records to return. Every field given must match; all unset returns the newest records. */
export interface AuditFilter {
  /** Exact `actor` (token `sub`). */
  actor?: string;
  /** Exact function name. */
  function?: string;
  /** Exact action, e.g. `function.deploy`. */
  action?: string;
  outcome?: AuditOutcome;
  namespace?: string;
  /** Exact job id: what was done to one job (its submission, reads, cancel, retry). */
  jobId?: string;
  /** Exact request id: the record of one request (a response's `X-Request-Id`, a problem's `instance`). */
  requestId?: string;
  /** Records at or after this time. */
  since?: Date;
  /** Records at or before this time. */
  until?: Date;
  /** Only records listed after this one (older, or as old and later in the order below): the previous page's last record. */
  before?: AuditCursor;
  /** Most records returned. Default {@link DEFAULT_QUERY_LIMIT}, capped at {@link MAX_QUERY_LIMIT}. */
  limit?: number;
}

/**
 * A place in the query's order (time, newest first; then chain id; then seq, highest first): the
 * record a page ended with. Paging by it neither repeats nor skips records that share a
 * millisecond, which paging by `until` (inclusive) would.
 */
export interface AuditCursor {
  /** The record's time, ms since the epoch. */
  timeMs: number;
  chain: string;
  seq: number;
}

const CURSOR_RE = /^(\d{1,15})-(\d{1,15})-([A-Za-z0-9][A-Za-z0-9._-]{0,255})$/;

/** The cursor of the page that follows `r`, as text: `<timeMs>-<seq>-<chain>`. */
export const auditCursor = (r: Pick<AuditEntry, 'time' | 'chain' | 'seq'>): string => `${Date.parse(r.time)}-${r.seq}-${r.chain}`;

/** The cursor `text` names, or undefined when it is not one {@link auditCursor} writes. */
export function parseAuditCursor(text: string): AuditCursor | undefined {
  const m = CURSOR_RE.exec(text);
  return m ? { timeMs: Number(m[1]), seq: Number(m[2]), chain: m[3]! } : undefined;
}

/** Whether `r` of `chain` is listed after the cursor (the order of {@link queryAuditDir}). */
function listedAfter(c: AuditCursor, t: number, chain: string, seq: number): boolean {
  if (t !== c.timeMs) return t < c.timeMs;
  if (chain !== c.chain) return chain > c.chain;
  return seq < c.seq;
}

/** A record with the chain it came from. */
export interface AuditEntry extends AuditRecord {
  chain: string;
}

export const DEFAULT_QUERY_LIMIT = 100;
export const MAX_QUERY_LIMIT = 10_000;

/**
 * A point in time from a query argument: ISO 8601 (`2024-05-01`, `2024-05-01T12:00:00Z`) or an
 * age with a unit (`30m`, `24h`, `7d`) meaning that long before `now`. Undefined when neither.
 */
export function parseAuditTime(value: string, now: Date = new Date()): Date | undefined {
  if (/^\s*\d+(\.\d+)?\s*(ms|s|m|h|d)\s*$/.test(value)) return new Date(now.getTime() - parseDuration(value)!);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value)) return undefined;
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : new Date(t);
}

function matcher(f: AuditFilter, chain: string): (r: AuditRecord) => boolean {
  const since = f.since?.getTime();
  const until = f.until?.getTime();
  const before = f.before;
  return (r) => {
    if (f.actor !== undefined && r.actor !== f.actor) return false;
    if (f.function !== undefined && r.function !== f.function) return false;
    if (f.action !== undefined && r.action !== f.action) return false;
    if (f.outcome !== undefined && r.outcome !== f.outcome) return false;
    if (f.namespace !== undefined && r.namespace !== f.namespace) return false;
    if (f.jobId !== undefined && r.jobId !== f.jobId) return false;
    if (f.requestId !== undefined && r.requestId !== f.requestId) return false;
    if (since !== undefined || until !== undefined || before !== undefined) {
      const t = Date.parse(r.time);
      if (since !== undefined && !(t >= since)) return false;
      if (until !== undefined && !(t <= until)) return false;
      if (before !== undefined && !listedAfter(before, t, chain, r.seq)) return false;
    }
    return true;
  };
}

/** The newest `limit` matches of one chain, newest first, reading segments newest first. */
async function queryChain(auditDir: string, chain: string, f: AuditFilter, limit: number): Promise<AuditEntry[]> {
  const dir = join(auditDir, chain);
  const match = matcher(f, chain);
  const out: AuditEntry[] = [];
  // Nothing after the cursor's time is wanted either: segments starting later are skipped.
  const untilMs = Math.min(f.until?.getTime() ?? Infinity, f.before?.timeMs ?? Infinity);
  const untilDay = Number.isFinite(untilMs) ? new Date(untilMs).toISOString().slice(0, 10) : undefined;
  const since = f.since?.getTime();
  const segments = await listSegments(dir);
  for (let i = segments.length - 1; i >= 0 && out.length < limit; i--) {
    const name = segments[i]!;
    // A segment starts on the day in its name: one starting after `until` holds nothing wanted.
    if (untilDay && (parseSegmentName(name)?.day ?? '') > untilDay) continue;
    const room = limit - out.length;
    let found: AuditEntry[] = [];
    let firstTime: number | undefined;
    try {
      for await (const l of readLines(join(dir, name))) {
        if (!l.complete) break;
        let r: AuditRecord;
        try {
          r = JSON.parse(l.text) as AuditRecord;
        } catch {
          continue; // a query shows what is readable; `verify` is what judges the files
        }
        firstTime ??= Date.parse(r.time);
        if (!match(r)) continue;
        found.push({ ...r, chain });
        // Keep the newest `room` only, trimming in bulk so long segments stay linear.
        if (found.length >= 2 * room) found = found.slice(-room);
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue; // deleted by retention meanwhile
      throw err;
    }
    out.push(...found.slice(-room).reverse());
    if (since !== undefined && firstTime !== undefined && firstTime < since) break;
  }
  return out;
}

/**
 * Records matching `filter` across every chain under `auditDir`, newest first. Each chain is in
 * time order, so the newest `limit` of all are among the newest `limit` of each.
 */
export async function queryAuditDir(auditDir: string, filter: AuditFilter = {}): Promise<AuditEntry[]> {
  const limit = Math.min(Math.max(1, Math.floor(filter.limit ?? DEFAULT_QUERY_LIMIT)), MAX_QUERY_LIMIT);
  const all: AuditEntry[] = [];
  for (const chain of await listChains(auditDir)) all.push(...(await queryChain(auditDir, chain, filter, limit)));
  all.sort((a, b) => Date.parse(b.time) - Date.parse(a.time) || (a.chain < b.chain ? -1 : a.chain > b.chain ? 1 : b.seq - a.seq));
  return all.slice(0, limit);
}
