import type { QueueSet } from './queue-set.ts';

/** Options of a {@link RetentionSweeper}. */
export interface RetentionOptions {
  /** How long a succeeded job is kept after it finished (`AUTOGLM_RESULT_TTL`), ms. */
  resultTtlMs: number;
  /** How long a failed job is kept after it finished (`AUTOGLM_FAILED_TTL`), ms. */
  failedTtlMs: number;
  /** The functions whose queues are swept, asked at every sweep (the catalogue changes). */
  functions: () => Iterable<string>;
  /** Time between sweeps, ms. Default: the shorter TTL, at most a minute. */
  periodMs?: number;
  /** Told of a sweep that failed (Redis away, say); the next one tries again. */
  onError?: (err: unknown) => void;
}

/** Jobs removed by one `clean` call; a full batch means more may be due. */
const BATCH = 1000;

/**
 * Removes finished jobs once their retention has passed. The submitter gives every job
 * `removeOnComplete: {age}` and `removeOnFail: {age}`, but BullMQ applies those only when a later
 * job of the same queue finishes: a function's last jobs stayed, readable, for as long as no one
 * called it again. A sweep asks each function queue for its oldest finished job (one sorted-set
 * read) and has BullMQ clean the set only when one is due, so an idle queue costs one command a
 * sweep and adds nothing to its event stream. Every router sweeps; cleaning is idempotent.
 */
export class RetentionSweeper {
  private readonly periodMs: number;
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly queues: QueueSet,
    private readonly opts: RetentionOptions,
  ) {
    this.periodMs = opts.periodMs ?? Math.min(60_000, opts.resultTtlMs, opts.failedTtlMs);
  }

  /** Sweeps every `periodMs` until {@link close}. */
  start(): void {
    if (this.closed || this.timer) return;
    const tick = () => {
      this.sweeping = this.sweep().then(
        () => undefined,
        (err: unknown) => this.opts.onError?.(err),
      );
      void this.sweeping.then(() => {
        if (!this.closed) this.timer = setTimeout(tick, this.periodMs);
      });
    };
    this.timer = setTimeout(tick, this.periodMs);
  }

  /** Removes every finished job past its retention now; returns how many. */
  async sweep(now = Date.now()): Promise<number> {
    let removed = 0;
    for (const fn of this.opts.functions()) {
      removed += await this.clean(fn, 'completed', this.opts.resultTtlMs, now);
      removed += await this.clean(fn, 'failed', this.opts.failedTtlMs, now);
    }
    return removed;
  }

  private async clean(fn: string, set: 'completed' | 'failed', ttlMs: number, now: number): Promise<number> {
    const queue = this.queues.get(fn);
    // The sets are scored by finishing time.
    const due = await this.queues.connection.zrangebyscore(queue.keys[set]!, '-inf', now - ttlMs, 'LIMIT', 0, 1);
    if (due.length === 0) return 0;
    let removed = 0;
    for (let n = BATCH; n === BATCH; removed += n) n = (await queue.clean(ttlMs, BATCH, set)).length;
    return removed;
  }

  /** Stops sweeping; resolves once a sweep under way has ended. Idempotent. */
  close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    return this.sweeping;
  }
}
