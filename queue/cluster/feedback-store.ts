import type { Redis } from 'ioredis';
import { keys } from '../keys.ts';
import type { Feedback } from './feedback-score.ts';
import type { PayloadCipher } from './payload-cipher.ts';

/** One job's (or item's) feedback, as recorded: what was judged, the judgement, who gave it and when. */
export interface FeedbackRecord {
  /** The job's id, or an item's (`<job>.<index>`). */
  jobId: string;
  function: string;
  version: string;
  namespace: string;
  /** The job's input when feedback was given; absent when it was no longer stored (a large input is dropped once its job succeeds). */
  input?: unknown;
  /** The job's output, or a failed job's error record (`{code, message, …}`). */
  output: unknown;
  /** Whether the job failed (its `output` is then its error). */
  failed: boolean;
  feedback: Feedback;
  /** The record's score, 0..1 (see `feedbackScore`). */
  score: number;
  /** The token subject that gave it. */
  by: string;
  /** When it was given, epoch ms. */
  at: number;
}

/** A version's feedback: how many records, and their mean score (null with none). */
export interface FeedbackFigures {
  count: number;
  score: number | null;
}

/** Where an export page ends: the last record's time and job id. */
export interface FeedbackCursor {
  at: number;
  id: string;
}

/** Options of {@link FeedbackStore}. */
export interface FeedbackStoreOptions {
  /** How long a record is kept (`AUTOGLM_FEEDBACK_TTL`), ms. Default 180 days. */
  ttlMs?: number;
}

/** The record as stored: what counting and listing need in the clear, the rest sealed. */
interface Stored {
  v: string;
  ns: string;
  at: number;
  s: number;
  by: string;
  failed: boolean;
  sealed: unknown;
}

/** What is sealed: the job's payloads and the judgement (a label or a comment may quote them). */
interface SealedPart {
  input?: unknown;
  output: unknown;
  feedback: Feedback;
}

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
/** Per-minute buckets are kept 49 h: a rollout's windows look back up to two days. */
const BUCKET_TTL_S = 49 * 3600;
/** Longest window `windowScores` sums: what the buckets keep. */
const MAX_WINDOW_MINUTES = 49 * 60;

// Records one feedback, replacing the job's previous one: its counts move out of the totals and
// of the minute it arrived in, the new one's move in, all at once.
// KEYS: 1 the record, 2 the function's totals, 3 this minute's bucket, 4 the function's index,
//   5 the version's index.
// ARGV: 1 record JSON, 2 version, 3 score, 4 at (ms), 5 job id, 6 TTL ms, 7 bucket TTL s,
//   8 index entries before this (ms) are dropped, 9 the name of a minute's bucket without the
//   minute (the replaced record's bucket is that name and its minute: which one is known only here).
// Returns 1 recorded, 2 replaced.
const RECORD = `local old = redis.call('GET', KEYS[1])
local o = old and cjson.decode(old)
if o then
  redis.call('HINCRBY', KEYS[2], o.v .. ':n', -1)
  redis.call('HINCRBYFLOAT', KEYS[2], o.v .. ':s', -o.s)
  local bucket = ARGV[9] .. string.format('%d', math.floor(o.at / 60000))
  -- An expired minute is out of every window already: nothing to take back there.
  if redis.call('EXISTS', bucket) == 1 then
    redis.call('HINCRBY', bucket, o.v .. ':n', -1)
    redis.call('HINCRBYFLOAT', bucket, o.v .. ':s', -o.s)
  end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[6])
redis.call('HINCRBY', KEYS[2], ARGV[2] .. ':n', 1)
redis.call('HINCRBYFLOAT', KEYS[2], ARGV[2] .. ':s', ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[6])
redis.call('HINCRBY', KEYS[3], ARGV[2] .. ':n', 1)
redis.call('HINCRBYFLOAT', KEYS[3], ARGV[2] .. ':s', ARGV[3])
redis.call('EXPIRE', KEYS[3], ARGV[7])
for i = 4, 5 do
  redis.call('ZADD', KEYS[i], ARGV[4], ARGV[5])
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', '(' .. ARGV[8])
  redis.call('PEXPIRE', KEYS[i], ARGV[6])
end
if o then return 2 end
return 1`;

/** Sums `<version>:n` / `<version>:s` hashes into figures per version; versions with no records are left out. */
function figuresOf(hashes: readonly Record<string, string>[]): Map<string, FeedbackFigures> {
  const sums = new Map<string, { n: number; s: number }>();
  for (const h of hashes) {
    for (const [field, raw] of Object.entries(h)) {
      const cut = field.lastIndexOf(':');
      const version = field.slice(0, cut);
      const sum = sums.get(version) ?? { n: 0, s: 0 };
      if (field.endsWith(':n')) sum.n += Number(raw);
      else sum.s += Number(raw);
      sums.set(version, sum);
    }
  }
  const out = new Map<string, FeedbackFigures>();
  for (const [version, { n, s }] of sums) {
    // Scores are sums of floats: clamp what rounding leaves past the bounds.
    if (n > 0) out.set(version, { count: n, score: Math.min(1, Math.max(0, s / n)) });
  }
  return out;
}

/**
 * Feedback on outputs, in Redis: one record per job (or item), which keeps the job's input and
 * output as they were, sealed with the namespace's key, for `ttlMs` (so it outlives the job:
 * records are what retraining learns from); counts and score sums per version, in total and per
 * minute of arrival (what rollouts compare versions by); and an index per function and version
 * by time, for the export.
 */
export class FeedbackStore {
  private readonly ttlMs: number;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly cipher: PayloadCipher,
    opts: FeedbackStoreOptions = {},
  ) {
    this.ttlMs = opts.ttlMs ?? 180 * DAY_MS;
  }

  /**
   * Records `r`, replacing the job's previous feedback (and moving the counts accordingly).
   * @returns whether a previous record was replaced
   */
  async record(r: FeedbackRecord): Promise<{ replaced: boolean }> {
    const recKey = keys.feedback(this.prefix, r.function, r.jobId);
    const part: SealedPart = { ...(r.input === undefined ? {} : { input: r.input }), output: r.output, feedback: r.feedback };
    const stored: Stored = { v: r.version, ns: r.namespace, at: r.at, s: r.score, by: r.by, failed: r.failed, sealed: this.cipher.seal(part, this.aad(r.jobId), r.namespace) };
    const json = JSON.stringify(stored);
    const done = (await this.redis.eval(
      RECORD,
      5,
      recKey,
      keys.feedbackTotals(this.prefix, r.function),
      keys.feedbackMinute(this.prefix, r.function, Math.floor(r.at / MINUTE_MS)),
      keys.feedbackIndex(this.prefix, r.function),
      keys.feedbackIndex(this.prefix, r.function, r.version),
      json,
      r.version,
      String(r.score),
      String(r.at),
      r.jobId,
      String(this.ttlMs),
      String(BUCKET_TTL_S),
      String(r.at - this.ttlMs),
      keys.feedbackMinute(this.prefix, r.function, ''),
    )) as number;
    return { replaced: done === 2 };
  }

  /** The feedback recorded for job (or item) `jobId` of function `fn`, opened; undefined when none is kept. */
  async get(fn: string, jobId: string): Promise<FeedbackRecord | undefined> {
    const s = this.parse(await this.redis.get(keys.feedback(this.prefix, fn, jobId)));
    return s && this.open(fn, jobId, s);
  }

  /** Each version's feedback so far (a replaced record counts once): count and mean score. */
  async totals(fn: string): Promise<Map<string, FeedbackFigures>> {
    return figuresOf([await this.redis.hgetall(keys.feedbackTotals(this.prefix, fn))]);
  }

  /** {@link totals} of several functions in one round trip (for a metrics scrape). */
  async totalsOf(fns: readonly string[]): Promise<Map<string, Map<string, FeedbackFigures>>> {
    const p = this.redis.pipeline();
    for (const fn of fns) p.hgetall(keys.feedbackTotals(this.prefix, fn));
    const replies = (await p.exec()) ?? [];
    return new Map(
      fns.map((fn, i) => {
        const [err, h] = replies[i] ?? [null, {}];
        if (err) throw err;
        return [fn, figuresOf([h as Record<string, string>])];
      }),
    );
  }

  /**
   * Each version's feedback that arrived in the minutes overlapping `[sinceMs, untilMs)`: count and
   * mean score. A replaced record counts in the minute its replacement arrived. Minutes are kept
   * 49 hours; a window reaching further back sums only those.
   */
  async windowScores(fn: string, sinceMs: number, untilMs: number): Promise<Map<string, FeedbackFigures>> {
    if (!(untilMs > sinceMs)) return new Map();
    const last = Math.floor((untilMs - 1) / MINUTE_MS);
    const first = Math.max(Math.floor(sinceMs / MINUTE_MS), last - MAX_WINDOW_MINUTES + 1);
    const p = this.redis.pipeline();
    for (let m = first; m <= last; m++) p.hgetall(keys.feedbackMinute(this.prefix, fn, m));
    const replies = (await p.exec()) ?? [];
    return figuresOf(
      replies.map(([err, h]) => {
        if (err) throw err;
        return h as Record<string, string>;
      }),
    );
  }

  /**
   * A page of function `fn`'s kept records, oldest first: given at or after `sinceMs` (and of
   * `version` when given), after `after` (a previous page's `next`). `next` is set when more may follow.
   */
  async page(fn: string, q: { sinceMs: number; version?: string; after?: FeedbackCursor; limit: number }): Promise<{ items: FeedbackRecord[]; next?: FeedbackCursor }> {
    const index = keys.feedbackIndex(this.prefix, fn, q.version);
    const floor = Math.max(q.sinceMs, Date.now() - this.ttlMs);
    const min = q.after ? Math.max(q.after.at, floor) : floor;
    const ids: FeedbackCursor[] = [];
    // Members of equal score come in member order: past the cursor's time, skip those up to its id.
    for (let offset = 0; ids.length <= q.limit; ) {
      const chunk = await this.redis.zrangebyscore(index, min, '+inf', 'WITHSCORES', 'LIMIT', offset, q.limit + 1);
      if (chunk.length === 0) break;
      offset += chunk.length / 2;
      for (let i = 0; i < chunk.length && ids.length <= q.limit; i += 2) {
        const id = chunk[i]!;
        const at = Number(chunk[i + 1]);
        if (q.after && at === q.after.at && id <= q.after.id) continue;
        ids.push({ at, id });
      }
    }
    const more = ids.length > q.limit;
    const taken = ids.slice(0, q.limit);
    if (taken.length === 0) return { items: [] };
    const raws = await this.redis.mget(taken.map((c) => keys.feedback(this.prefix, fn, c.id)));
    const items: FeedbackRecord[] = [];
    taken.forEach((c, i) => {
      // Gone between the index and the read (it expired): the page is a record shorter.
      const s = this.parse(raws[i] ?? null);
      if (s) items.push(this.open(fn, c.id, s));
    });
    return more ? { items, next: taken.at(-1)! } : { items };
  }

  private aad(jobId: string): string {
    return `feedback:${jobId}`;
  }

  private parse(raw: string | null): Stored | undefined {
    return raw === null ? undefined : (JSON.parse(raw) as Stored);
  }

  private open(fn: string, jobId: string, s: Stored): FeedbackRecord {
    const part = this.cipher.open(s.sealed, this.aad(jobId)) as SealedPart;
    return {
      jobId,
      function: fn,
      version: s.v,
      namespace: s.ns,
      ...(part.input === undefined ? {} : { input: part.input }),
      output: part.output,
      failed: s.failed,
      feedback: part.feedback,
      score: s.s,
      by: s.by,
      at: s.at,
    };
  }
}

/** A cursor as the export API hands it out: opaque text. */
export const encodeFeedbackCursor = (c: FeedbackCursor): string => Buffer.from(`${c.at}/${c.id}`).toString('base64url');

/** A cursor the export API handed out, or undefined for text that is not one. */
export function decodeFeedbackCursor(text: string): FeedbackCursor | undefined {
  const m = /^(\d{1,15})\/([a-z0-9.-]{1,160})$/.exec(Buffer.from(text, 'base64url').toString('utf8'));
  return m ? { at: Number(m[1]), id: m[2]! } : undefined;
}
