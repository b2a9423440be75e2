import type { Redis } from 'ioredis';
import { toErrorRecord } from '../../functions/sdk/index.ts';
import { JobLostError } from './errors.ts';
import type { DoneMessage } from './job-data.ts';
import { keys } from '../keys.ts';

type Waiter = (msg: DoneMessage | undefined) => void;

/** Options of a {@link ResultBus}. */
export interface ResultBusOptions {
  prefix: string;
  /** This router's id: synchronous jobs name it so their results come straight here. */
  routerId: string;
  /**
   * How often waiters older than this re-check the job in Redis, ms. Pub/sub drops messages
   * while a connection is down; this sweep is what makes a lost message cost a delay, not a
   * hung request. Default 1000.
   */
  sweepMs?: number;
  /** Looks a job up when a message may have been missed; undefined while it is unfinished. */
  check: (id: string) => Promise<DoneMessage | undefined>;
  /** Opens a published message (outputs travel sealed; a grouped job's as one array). */
  open?: (msg: DoneMessage) => DoneMessage;
  /**
   * Whether a job is gone from Redis (not even cancelled). Asked after a reconnect of the jobs
   * waited for since before it: one still missing a sweep period later was lost in a failover,
   * and its waiters get {@link JobLostError} (503) instead of waiting out their deadline. [never]
   */
  missing?: (id: string) => Promise<boolean>;
  /**
   * Takes the worker's spans a message carries (see `JobData.spansToRouter`), also those of
   * calls no longer waited for: the worker counted on this router to write them. Handed on as
   * received (`TraceStore.carry` checks them).
   */
  spans?: (spans: unknown) => void;
}

/**
 * One shared subscription per router process through which workers announce finished jobs.
 * Synchronous invocations and long-polls register a waiter by job id; the bus resolves it when
 * the job's message arrives (or the sweep finds it finished), or with `undefined` at the deadline.
 */
export class ResultBus {
  private readonly waiters = new Map<string, Set<Waiter>>();
  /** When each id got its first waiter: the sweep re-checks only those older than a sweep period. */
  private readonly since = new Map<string, number>();
  private readonly sweepMs: number;
  private sweepTimer: NodeJS.Timeout | undefined;
  private closed = false;
  /** When the subscription last came back after a drop (0: never dropped). */
  private reconnectedAt = 0;
  /** Jobs waited for since before the reconnect, found missing since: when first. */
  private readonly missingSince = new Map<string, number>();

  constructor(
    private readonly subscriber: Redis,
    private readonly opts: ResultBusOptions,
  ) {
    this.sweepMs = opts.sweepMs ?? 1000;
  }

  async start(): Promise<void> {
    this.subscriber.on('messageBuffer', (_ch: Buffer, payload: Buffer) => this.onMessage(payload));
    await this.subscriber.subscribe(keys.doneChannel(this.opts.prefix, this.opts.routerId), keys.doneChannel(this.opts.prefix));
    // After a reconnect, anything finished while we were away is found by the sweep at once;
    // a job lost with the old master is found missing (see `missing`).
    this.subscriber.on('ready', () => {
      this.reconnectedAt = Date.now();
      this.missingSince.clear();
      void this.sweep(0);
    });
    this.sweepTimer = setInterval(() => void this.sweep(this.sweepMs), this.sweepMs);
    this.sweepTimer.unref();
  }

  /** Number of callers currently waiting. */
  get pending(): number {
    let n = 0;
    for (const s of this.waiters.values()) n += s.size;
    return n;
  }

  /**
   * Waits for job `id` to end, until `deadline` (epoch ms). Resolves with the final message, or
   * `undefined` when the deadline passes or `signal` aborts first.
   */
  wait(id: string, deadline: number, signal?: AbortSignal): Promise<DoneMessage | undefined> {
    return new Promise((resolve) => {
      let set = this.waiters.get(id);
      if (!set) {
        this.waiters.set(id, (set = new Set()));
        this.since.set(id, Date.now());
      }
      const done: Waiter = (msg) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        const s = this.waiters.get(id);
        s?.delete(done);
        if (s?.size === 0) {
          this.waiters.delete(id);
          this.since.delete(id);
        }
        resolve(msg);
      };
      const onAbort = () => done(undefined);
      const timer = setTimeout(() => done(undefined), Math.max(0, deadline - Date.now()));
      signal?.addEventListener('abort', onAbort, { once: true });
      set.add(done);
    });
  }

  /** Releases the waiters of one job with `undefined` (its submission failed). */
  cancel(id: string): void {
    const set = this.waiters.get(id);
    if (set) for (const w of [...set]) w(undefined);
  }

  /** Stops the sweep and releases every waiter with `undefined`. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.sweepTimer);
    for (const set of this.waiters.values()) for (const w of [...set]) w(undefined);
  }

  private onMessage(payload: Buffer): void {
    let msg: DoneMessage;
    try {
      msg = JSON.parse(payload.toString('utf8')) as DoneMessage;
    } catch {
      return;
    }
    if (msg.spans) this.opts.spans?.(msg.spans);
    // A grouped job announces all its items in one message, each under its own id.
    if (!(msg.items ?? [msg]).some((m) => this.waiters.has(m.id))) return;
    let opened: DoneMessage;
    try {
      opened = this.opts.open ? this.opts.open(msg) : msg;
    } catch {
      return; /* undecryptable: the sweep reads the record instead, and reports the error there */
    }
    for (const m of opened.items ?? [opened]) this.deliver(m);
  }

  private deliver(msg: DoneMessage): void {
    const set = this.waiters.get(msg.id);
    if (set) for (const w of [...set]) w(msg);
  }

  /**
   * Re-checks in Redis the jobs waited for longer than `minAgeMs`: a message can only have been
   * missed for those (all of them after a reconnect, with 0). Younger ones are simply running.
   */
  private async sweep(minAgeMs: number): Promise<void> {
    const cutoff = Date.now() - minAgeMs;
    const ids = [...this.since].filter(([, t]) => t <= cutoff).map(([id]) => id);
    const missingNow = new Set<string>();
    const now = Date.now();
    await Promise.all(
      ids.map(async (id) => {
        try {
          const msg = await this.opts.check(id);
          if (msg) return this.deliver(msg);
          if (this.opts.missing && this.since.get(id)! < this.reconnectedAt && (await this.opts.missing(id))) missingNow.add(id);
        } catch {
          /* Redis is down; the next sweep tries again. */
        }
      }),
    );
    // Missing for a sweep period: a submission still in flight at the reconnect (ioredis sends
    // it again to the new master) has landed by then.
    for (const id of [...this.missingSince.keys()]) if (!missingNow.has(id)) this.missingSince.delete(id);
    for (const id of missingNow) {
      const first = this.missingSince.get(id);
      if (first === undefined) this.missingSince.set(id, now);
      else if (now - first >= this.sweepMs) this.deliver({ id, ok: false, error: toErrorRecord(new JobLostError()) });
    }
  }
}
