import { timeOfJobId } from '../cluster/index.ts';
import type { JobView } from './job-data.ts';
import type { QueueSet } from './queue-set.ts';

/** The statuses a listing can ask for (a cancelled job leaves only a tombstone, in no set). */
export type ListedStatus = 'queued' | 'running' | 'succeeded' | 'failed';

/** Where a page ends: the next page lists what comes after this (time, then id, both descending). */
export interface ListCursor {
  at: number;
  id: string;
}

/** One page to list. */
export interface ListRequest {
  /** The function queues to merge. */
  functions: readonly string[];
  statuses: readonly ListedStatus[];
  /** Most jobs on the page. */
  limit: number;
  after?: ListCursor;
}

/** A page of jobs; `next` when more may follow. */
export interface ListPage {
  items: JobView[];
  next?: ListCursor;
}

/**
 * BullMQ's sets behind each status. Finished sets are sorted sets scored by finishing time, so a
 * page reads only its range of each. The live ones (waiting, prioritized, delayed, active) are
 * read whole: they hold only unfinished jobs, at most `AUTOGLM_MAX_QUEUE_DEPTH` a function, and
 * their ids carry their queuing time (`timeOfJobId`).
 */
const SETS: Record<ListedStatus, readonly { key: 'completed' | 'failed' | 'wait' | 'paused' | 'prioritized' | 'delayed' | 'active'; kind: 'scored' | 'list' | 'zset' }[]> = {
  queued: [
    { key: 'wait', kind: 'list' },
    { key: 'paused', kind: 'list' },
    { key: 'prioritized', kind: 'zset' },
    { key: 'delayed', kind: 'zset' },
  ],
  running: [{ key: 'active', kind: 'list' }],
  succeeded: [{ key: 'completed', kind: 'scored' }],
  failed: [{ key: 'failed', kind: 'scored' }],
};

/**
 * A page of the caller's readable jobs takes at most this many reads of candidates: when most
 * candidates are not the caller's (an invoker among many callers), a page comes back short, with
 * `next`, rather than reading on through every job.
 */
const MAX_ROUNDS = 5;

/** Newest first: later time, then the greater id (the order Redis gives equal scores, reversed). */
const newer = (a: ListCursor, b: ListCursor): number => b.at - a.at || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
const before = (c: ListCursor, after: ListCursor | undefined): boolean => !after || newer(after, c) < 0;

/**
 * Lists jobs across function queues, newest first: a finished job at its finishing time, an
 * unfinished one at its queuing time. Merges each queue's range of BullMQ's own sets, so a page
 * costs the same with 100 jobs in Redis or 100,000; pages follow a cursor (time and id), which
 * stays valid as jobs come and go (a job that changes state between pages may show on both or
 * neither, as in any live listing).
 */
export class JobLister {
  constructor(private readonly queues: QueueSet) {}

  /**
   * A page of `req`: candidates read by `read` (undefined when the job is gone), kept when `keep`
   * says so (the caller's access).
   */
  async page(req: ListRequest, read: (id: string) => Promise<JobView | undefined>, keep: (v: JobView) => boolean): Promise<ListPage> {
    const items: JobView[] = [];
    let after = req.after;
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const { found, more } = await this.candidates(req, req.limit - items.length, after);
      const views = await Promise.all(found.map((c) => read(c.id)));
      views.forEach((v) => v && keep(v) && items.push(v));
      after = found.at(-1) ?? after;
      if (!more) return { items };
      if (items.length >= req.limit) break;
    }
    return { items, ...(after ? { next: after } : {}) };
  }

  /** The newest `n` jobs after `after` in the requested sets, and whether more follow. */
  private async candidates(req: ListRequest, n: number, after: ListCursor | undefined): Promise<{ found: ListCursor[]; more: boolean }> {
    // One transaction: a job moving from one set to another is seen in exactly one of them.
    const pipe = this.queues.connection.multi();
    const reads: ('scored' | 'ids')[] = [];
    for (const fn of req.functions) {
      const keys = this.queues.get(fn).keys;
      for (const status of req.statuses) {
        for (const set of SETS[status]) {
          const key = keys[set.key]!;
          if (set.kind === 'list') pipe.lrange(key, 0, -1);
          else if (set.kind === 'zset') pipe.zrange(key, '0', '-1');
          else {
            // One more than the page, so that a full source says more follow.
            pipe.zrevrangebyscore(key, after ? `(${after.at}` : '+inf', '-inf', 'WITHSCORES', 'LIMIT', 0, n + 1);
            reads.push('scored');
            if (!after) continue;
            // Jobs that finished in the cursor's very millisecond: the part after it (few, in practice).
            pipe.zrangebyscore(key, after.at, after.at, 'WITHSCORES');
            reads.push('scored');
            continue;
          }
          reads.push('ids');
        }
      }
    }
    const replies = (await pipe.exec()) ?? [];
    const all: ListCursor[] = [];
    replies.forEach(([err, reply], i) => {
      if (err) throw err;
      const r = reply as string[];
      if (reads[i] === 'scored') for (let j = 0; j < r.length; j += 2) all.push({ id: r[j]!, at: Number(r[j + 1]) });
      else for (const id of r) all.push({ id, at: timeOfJobId(id) ?? 0 });
    });
    const sorted = all.filter((c) => before(c, after)).sort(newer);
    return { found: sorted.slice(0, n), more: sorted.length > n };
  }
}

/** A cursor as the API hands it out: opaque, URL-safe. */
export const encodeCursor = (c: ListCursor): string => Buffer.from(`${c.at}:${c.id}`, 'utf8').toString('base64url');

/** A cursor the API handed out, or undefined when `s` is not one. */
export function decodeCursor(s: string): ListCursor | undefined {
  const m = /^(\d{1,16}):([a-z0-9.-]{1,120})$/.exec(Buffer.from(s, 'base64url').toString('utf8'));
  return m ? { at: Number(m[1]), id: m[2]! } : undefined;
}
