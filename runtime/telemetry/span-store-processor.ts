import type { Context } from '@opentelemetry/api';
import { SamplingDecision, type ReadableSpan, type Sampler, type SamplingResult, type Span, type SpanProcessor } from '@opentelemetry/sdk-trace-base';

/** Where finished spans go besides a collector: the platform's trace store, once the process has its Redis. */
export interface SpanSink {
  /** Takes a batch of finished spans; a rejection drops the batch (traces are best effort). */
  take(spans: readonly ReadableSpan[]): Promise<void>;
}

/** Options of a {@link SpanStoreProcessor}. */
export interface SpanStoreOptions {
  /**
   * Spans wait this long, then go to the sinks together [100 ms]. Kept short: spans held 0.5 s
   * outlived V8's young generation and cost old-generation GC (`test/bench/trace-flush-bench.ts`).
   */
  flushMs?: number;
  /** Spans waiting at most; past it (Redis slow or gone) spans are dropped, so memory stays bounded [20,000]. */
  maxBuffered?: number;
}

/**
 * Hands finished spans to the attached sinks in batches. On the call path it only keeps the span
 * (one array push): converting, sealing and writing happen on a timer, one write per flush,
 * never blocking or failing a call. With no sink attached it keeps nothing.
 */
export class SpanStoreProcessor implements SpanProcessor {
  private readonly sinks = new Set<SpanSink>();
  private buffer: ReadableSpan[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private readonly flushMs: number;
  private readonly maxBuffered: number;

  constructor(opts: SpanStoreOptions = {}) {
    this.flushMs = opts.flushMs ?? 100;
    this.maxBuffered = opts.maxBuffered ?? 20_000;
  }

  /** Whether any sink takes spans: spans are recorded only then (see {@link StoreSampler}). */
  get attached(): boolean {
    return this.sinks.size > 0;
  }

  /** Adds a sink; the function returned writes what is buffered, then removes it. */
  attach(sink: SpanSink): () => Promise<void> {
    this.sinks.add(sink);
    return async () => {
      await this.flush();
      this.sinks.delete(sink);
    };
  }

  onStart(_span: Span, _parent: Context): void {}

  onEnd(span: ReadableSpan): void {
    if (this.sinks.size === 0 || this.buffer.length >= this.maxBuffered) return;
    this.buffer.push(span);
    this.timer ??= setTimeout(() => void this.flush(), this.flushMs).unref();
  }

  forceFlush(): Promise<void> {
    return this.flush();
  }

  shutdown(): Promise<void> {
    return this.flush();
  }

  /** Writes what is buffered; flushes run one after another, and resolve (never reject) once written or dropped. */
  private flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const spans = this.buffer;
    if (spans.length === 0) return this.writing;
    this.buffer = [];
    const sinks = [...this.sinks];
    this.writing = this.writing.then(() => Promise.all(sinks.map((s) => s.take(spans).catch(() => undefined))).then(() => undefined));
    return this.writing;
  }
}

/**
 * The sampler when nothing is exported: every span is recorded while a trace store takes them,
 * none otherwise (with nowhere to go, recording them would be spent for nothing). The caller's
 * sampled flag is not followed: the store keeps every invocation, whatever an upstream sampled.
 */
export class StoreSampler implements Sampler {
  constructor(private readonly store: SpanStoreProcessor) {}

  shouldSample(): SamplingResult {
    return { decision: this.store.attached ? SamplingDecision.RECORD_AND_SAMPLED : SamplingDecision.NOT_RECORD };
  }

  toString(): string {
    return 'StoreSampler';
  }
}
