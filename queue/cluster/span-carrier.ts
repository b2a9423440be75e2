import { NAMESPACE_ATTRIBUTE, storedSpan, type CarriedSpan, type FinishedSpan } from './trace-store.ts';

/** Where a carrier writes the spans no router took: the worker's trace store. */
export interface SpanWriter {
  write(spans: readonly CarriedSpan[]): Promise<void>;
}

/**
 * A worker's spans of synchronous calls, held for the done message instead of written by the
 * worker: the router that waits writes them with its own span of the call, one sealed record a
 * call instead of two (`test/bench/ab-load.ts`, see docs/benchmarks.md). The worker writes them
 * itself when no router heard the message (it stopped, or its subscription was down), and when
 * no message took them within `holdMs` (an attempt that outlived its call: a timeout, a retry).
 */
export class SpanCarrier {
  /** Spans held, by the job (or item) id they were made for. */
  private readonly held = new Map<string, { spans: FinishedSpan[]; at: number }>();
  /** Every span ever held: the worker's own store flush leaves these out (see {@link unheld}). */
  private readonly marked = new WeakSet<FinishedSpan>();
  private readonly sweepTimer: NodeJS.Timeout;

  constructor(
    private readonly store: SpanWriter,
    private readonly holdMs = 5_000,
  ) {
    this.sweepTimer = setInterval(() => this.sweep(this.holdMs), Math.max(100, holdMs / 2)).unref();
  }

  /** Holds a finished span of call `id` (a job's id, or an item's). */
  hold(id: string, span: FinishedSpan): void {
    this.marked.add(span);
    const h = this.held.get(id);
    if (h) h.spans.push(span);
    else this.held.set(id, { spans: [span], at: Date.now() });
  }

  /** The spans of a flush this process's store writes: all but the held ones. */
  unheld<S extends FinishedSpan>(spans: readonly S[]): readonly S[] {
    return spans.some((s) => this.marked.has(s)) ? spans.filter((s) => !this.marked.has(s)) : spans;
  }

  /** Takes the spans held for calls `ids`, as a router stores them. */
  take(ids: readonly string[]): CarriedSpan[] {
    const out: CarriedSpan[] = [];
    for (const id of ids) {
      const h = this.held.get(id);
      if (!h) continue;
      this.held.delete(id);
      for (const s of h.spans) out.push(carried(s));
    }
    return out;
  }

  /** Writes spans taken for a message no router heard. Never rejects: traces are best effort. */
  write(spans: readonly CarriedSpan[]): void {
    if (spans.length) this.store.write(spans).catch(() => undefined);
  }

  /** Writes every span still held and stops the sweep (the worker is stopping). */
  close(): Promise<void> {
    clearInterval(this.sweepTimer);
    const spans = this.take([...this.held.keys()]);
    return spans.length ? this.store.write(spans).catch(() => undefined) : Promise.resolve();
  }

  /** Writes the spans held longer than `minAgeMs`: no message will take them now. */
  private sweep(minAgeMs: number): void {
    const cutoff = Date.now() - minAgeMs;
    this.write(this.take([...this.held].filter(([, h]) => h.at <= cutoff).map(([id]) => id)));
  }
}

/** A held span as it travels: its trace, the namespace whose key seals it, and the span as stored. */
function carried(s: FinishedSpan): CarriedSpan {
  return { traceId: s.spanContext().traceId, ns: String(s.attributes[NAMESPACE_ATTRIBUTE]), span: storedSpan(s) };
}
