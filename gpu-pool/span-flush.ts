import { trace } from '@opentelemetry/api';

/** What the API's global provider proxies to, when a preload installed an SDK provider. */
interface Flushable {
  getDelegate?: () => unknown;
  forceFlush?: () => Promise<void>;
}

/**
 * Sends the spans still buffered, on shutdown. The SDK was installed by the telemetry preload
 * (the pool may not import it), so this reaches it through the API's global provider; without
 * one it does nothing. Never throws; gives up after `timeoutMs`.
 */
export async function flushSpans(timeoutMs = 5_000): Promise<void> {
  const proxy = trace.getTracerProvider() as Flushable;
  const provider = (proxy.getDelegate?.() ?? proxy) as Flushable;
  if (!provider.forceFlush) return;
  await Promise.race([provider.forceFlush().catch(() => undefined), new Promise((r) => setTimeout(r, timeoutMs).unref())]);
}
