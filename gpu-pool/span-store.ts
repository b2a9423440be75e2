import { trace } from '@opentelemetry/api';
import type { FinishedSpan } from '../queue/cluster/index.ts';

/** Where a worker's finished spans go besides a collector (the trace store). */
export interface SpanStore {
  take(spans: readonly FinishedSpan[]): Promise<void>;
}

/** What the telemetry preload installed (`PlatformTracerProvider`), as far as the pool uses it. */
interface Attachable {
  getDelegate?: () => unknown;
  attachSpanSink?: (sink: SpanStore) => () => Promise<void>;
}

/**
 * Sends this process's finished spans to `store` too. The SDK was installed by the telemetry
 * preload (the pool may not import it), so this reaches it through the API's global provider, as
 * {@link flushSpans} does; without one (a worker started with no preload) it does nothing.
 * @returns a function that writes what is buffered and detaches the store
 */
export function attachSpanStore(store: SpanStore): () => Promise<void> {
  const proxy = trace.getTracerProvider() as Attachable;
  const provider = (proxy.getDelegate?.() ?? proxy) as Attachable;
  return provider.attachSpanSink?.(store) ?? (() => Promise.resolve());
}
