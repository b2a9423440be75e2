/**
 * Tracing setup for the platform's processes. Only entry points install it: the router's
 * process calls {@link installTracing}; pool and worker processes get it by preload
 * (`node --import runtime/telemetry/preload.ts`, added by the launcher), since the pool may not
 * import `runtime/`. Library code uses `@opentelemetry/api` alone and is a no-op without it.
 */
export { PlatformTracerProvider, attachSpanSink, flushTracing, installTracing, type TracingOptions } from './tracing.ts';
export type { SpanSink } from './span-store-processor.ts';
export { TELEMETRY_PRELOAD } from './preload-path.ts';
