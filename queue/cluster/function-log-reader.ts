import type { Redis } from 'ioredis';
import type { LogLevel } from '../../functions/sdk/index.ts';
import { namesJob, type FunctionLogLine } from './function-log-writer.ts';
import type { PayloadCipher } from './payload-cipher.ts';
import { keys } from '../keys.ts';

/** Which lines to read: the newest (no `after`, no `sinceMs`), or forward from a point. */
export interface LogQuery {
  /** Lines after this stream id (a previous page's `next`): how a follower polls. */
  after?: string;
  /** Lines from this time on, epoch ms. */
  sinceMs?: number;
  /** At most this many lines. */
  limit: number;
  version?: string;
  /** This level and above. */
  level?: LogLevel;
  /** Lines of the handler calls that ran this job (or item): those whose `jobs` name it. */
  job?: string;
}

/** A page of lines, oldest first; `next` is where the following page starts (null: the stream is empty). */
export interface LogPage {
  lines: (FunctionLogLine & { id: string })[];
  next: string | null;
}

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };
/** Entries read per round trip; a filter can make a page scan more than its limit. */
const CHUNK = 500;

/**
 * Reads a function's log lines (see {@link FunctionLogWriter}), filtered by version and level.
 * A filtered page scans at most 20 × its limit entries (at least 2,000), so a rare match in a
 * long stream costs a bounded read; `next` then still moves past what was scanned.
 */
export async function readFunctionLogs(redis: Redis, prefix: string, cipher: PayloadCipher, fn: string, q: LogQuery): Promise<LogPage> {
  const key = keys.logs(prefix, fn);
  const wanted = (l: FunctionLogLine) =>
    (!q.version || l.version === q.version) && (!q.level || RANK[l.level] >= RANK[q.level]) && (!q.job || namesJob(l.jobs, q.job));
  const open = ([id, fields]: [string, string[]]): FunctionLogLine & { id: string } => {
    try {
      return { ...(cipher.open(JSON.parse(fields[1]!), key) as FunctionLogLine), id };
    } catch (err) {
      return { id, t: Number(id.split('-')[0]), level: 'warn', msg: `this line cannot be opened: ${(err as Error).message}`, fn, version: '', device: '', source: 'platform' };
    }
  };
  const budget = Math.max(2000, q.limit * 20);
  const lines: LogPage['lines'] = [];
  let scanned = 0;

  if (q.after === undefined && q.sinceMs === undefined) {
    // The newest lines: backwards from the end, then put in order.
    let from = '+';
    let newest: string | null = null;
    while (lines.length < q.limit && scanned < budget) {
      const chunk = (await redis.xrevrange(key, from, '-', 'COUNT', CHUNK)) as [string, string[]][];
      if (chunk.length === 0) break;
      newest ??= chunk[0]![0];
      scanned += chunk.length;
      for (const e of chunk) {
        const l = open(e);
        if (wanted(l)) lines.push(l);
        if (lines.length === q.limit) break;
      }
      from = `(${chunk.at(-1)![0]}`;
    }
    return { lines: lines.reverse(), next: newest };
  }

  let from = q.after !== undefined ? `(${q.after}` : String(q.sinceMs);
  let next: string | null = q.after ?? null;
  while (lines.length < q.limit && scanned < budget) {
    const chunk = (await redis.xrange(key, from, '+', 'COUNT', CHUNK)) as [string, string[]][];
    if (chunk.length === 0) break;
    for (const e of chunk) {
      scanned++;
      next = e[0];
      const l = open(e);
      if (wanted(l)) lines.push(l);
      if (lines.length === q.limit) break;
    }
    from = `(${next}`;
  }
  return { lines, next };
}

/** Drops every log line of function `fn` (when the function is removed). */
export async function clearFunctionLogs(redis: Redis, prefix: string, fn: string): Promise<void> {
  await redis.del(keys.logs(prefix, fn));
}
