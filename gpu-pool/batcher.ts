import type { Manifest } from '../functions/sdk/index.ts';

/** How one function version's calls are grouped into handler batches. */
export interface BatchPlan {
  /** Largest batch the handler receives (manifest `batching.maxSize`). */
  maxSize: number;
  /** Longest the first item of a batch waits for companions (manifest `batching.maxDelay`), ms. */
  maxDelayMs: number;
  /** Batches of this version running at once in one worker. */
  maxInFlight: number;
  /** Jobs the worker's queue consumer holds at once: enough for the running batches and one forming. */
  consumerConcurrency: number;
}

/**
 * Derives batching limits from a manifest. `concurrency` counts items in flight, so a batched
 * function runs `ceil(concurrency / maxSize)` batches at once: one for a CPU-bound model (the
 * next batch forms while it runs), several for a function whose handler awaits I/O. The queue
 * consumer must hold at least `maxSize` jobs or batches could never fill; it holds one more
 * batch's worth than runs.
 */
export function batchPlan(m: Pick<Manifest, 'batching' | 'concurrency'>): BatchPlan {
  const maxSize = m.batching.maxSize;
  if (maxSize <= 1) return { maxSize: 1, maxDelayMs: 0, maxInFlight: m.concurrency, consumerConcurrency: m.concurrency };
  const maxInFlight = Math.max(1, Math.ceil(m.concurrency / maxSize));
  return { maxSize, maxDelayMs: m.batching.maxDelay, maxInFlight, consumerConcurrency: maxSize * (maxInFlight + 1) };
}

interface Waiting<T, R> {
  item: T;
  at: number;
  /** Goes once this turn is over, without waiting `maxDelayMs` (see {@link Batcher.submit}). */
  solo: boolean;
  resolve: (r: R) => void;
  reject: (e: unknown) => void;
}

/**
 * A dynamic batcher in the manner of Triton's: items submitted concurrently are gathered into
 * one call of `run`, which must return one result per item, in order. A batch leaves when it is
 * full or when its oldest item has waited `maxDelayMs` (with 0: once the current turn of the
 * event loop is over, so items arriving together still go together), and only while fewer than
 * `maxInFlight` batches run: under load, items gather while the model is busy and the next batch
 * is larger, without any added delay. A full batch may leave with `maxInFlight` running, to wait
 * where the model runs rather than here (bulk work keeps the model busy back to back).
 *
 * Ownership: `submit`'s promise settles with that item's result; if `run` rejects, every item of
 * its batch rejects with the same error.
 */
export class Batcher<T, R> {
  private queue: Waiting<T, R>[] = [];
  private running = 0;
  private timer: { kind: 'timeout'; t: NodeJS.Timeout } | { kind: 'immediate'; t: NodeJS.Immediate } | undefined;

  constructor(
    private readonly plan: Pick<BatchPlan, 'maxSize' | 'maxDelayMs' | 'maxInFlight'>,
    private readonly run: (items: T[]) => Promise<R[]>,
  ) {}

  /**
   * Queues `item` for a batch. `solo`: its sender had nothing else in flight, so no companion is
   * likely within `maxDelayMs`: a batch it heads leaves once this turn is over (items that arrived
   * with it still go with it), as with a `maxDelayMs` of 0.
   */
  submit(item: T, solo = false): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, at: Date.now(), solo, resolve, reject });
      this.pump(false);
    });
  }

  /** Items waiting for a batch. */
  get waiting(): number {
    return this.queue.length;
  }

  /** Batches running now. */
  get inFlight(): number {
    return this.running;
  }

  private pump(timerFired: boolean): void {
    const { maxSize, maxDelayMs, maxInFlight } = this.plan;
    while (this.queue.length > 0) {
      const full = this.queue.length >= maxSize;
      // A full batch cannot grow by waiting, so it may go one past the limit: queued behind the
      // running batch where the model runs, it starts the moment that one ends, not a round
      // trip later. A partial batch waits for a free slot, gathering companions meanwhile.
      if (this.running >= maxInFlight + (full ? 1 : 0)) break;
      const head = this.queue[0]!;
      const due = maxDelayMs === 0 || head.solo ? timerFired : Date.now() >= head.at + maxDelayMs;
      if (!full && !due) break;
      this.dispatch(this.queue.splice(0, maxSize));
    }
    if (this.queue.length > 0 && this.running < maxInFlight) this.arm();
  }

  private arm(): void {
    if (this.timer) return;
    const fire = () => {
      this.timer = undefined;
      this.pump(true);
    };
    const head = this.queue[0]!;
    const wait = head.at + this.plan.maxDelayMs - Date.now();
    this.timer = this.plan.maxDelayMs === 0 || head.solo ? { kind: 'immediate', t: setImmediate(fire) } : { kind: 'timeout', t: setTimeout(fire, Math.max(0, wait)) };
  }

  private dispatch(batch: Waiting<T, R>[]): void {
    this.running++;
    let out: Promise<R[]>;
    try {
      out = this.run(batch.map((w) => w.item));
    } catch (err) {
      out = Promise.reject(err);
    }
    out
      .then(
        (results) => batch.forEach((w, i) => w.resolve(results[i]!)),
        (err) => batch.forEach((w) => w.reject(err)),
      )
      .finally(() => {
        this.running--;
        // After a batch, let the messages and replies that arrived meanwhile be read first, so
        // everything that queued up during the batch can join the next one.
        if (this.timer?.kind === 'timeout') clearTimeout(this.timer.t);
        if (this.timer?.kind !== 'immediate') this.timer = { kind: 'immediate', t: setImmediate(() => ((this.timer = undefined), this.pump(true))) };
      });
  }
}
