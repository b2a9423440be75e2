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
  /** Records at or after this time. */
  since?: Date;
  /** Records at or before this time. */
  until?: Date;
  /** Most records returned. Default {@link DEFAULT_QUERY_LIMIT}, capped at {@link MAX_QUERY_LIMIT}. */
  limit?: number;
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

function matcher(f: AuditFilter): (r: AuditRecord) => boolean {
  const since = f.since?.getTime();
  const until = f.until?.getTime();
  return (r) => {
    if (f.actor !== undefined && r.actor !== f.actor) return false;
    if (f.function !== undefined && r.function !== f.function) return false;
    if (f.action !== undefined && r.action !== f.action) return false;
    if (f.outcome !== undefined && r.outcome !== f.outcome) return false;
    if (f.namespace !== undefined && r.namespace !== f.namespace) return false;
    if (since !== undefined || until !== undefined) {
      const t = Date.parse(r.time);
      if (since !== undefined && !(t >= since)) return false;
      if (until !== undefined && !(t <= until)) return false;
    }
    return true;
  };
}

/** The newest `limit` matches of one chain, newest first, reading segments newest first. */
async function queryChain(auditDir: string, chain: string, match: (r: AuditRecord) => boolean, f: AuditFilter, limit: number): Promise<AuditEntry[]> {
  const dir = join(auditDir, chain);
  const out: AuditEntry[] = [];
  const untilDay = f.until?.toISOString().slice(0, 10);
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
  const match = matcher(filter);
  const all: AuditEntry[] = [];
  for (const chain of await listChains(auditDir)) all.push(...(await queryChain(auditDir, chain, match, filter, limit)));
  all.sort((a, b) => Date.parse(b.time) - Date.parse(a.time) || (a.chain < b.chain ? -1 : a.chain > b.chain ? 1 : b.seq - a.seq));
  return all.slice(0, limit);
}
