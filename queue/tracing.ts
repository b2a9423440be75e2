import { propagation, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { AlwaysOffSampler, BasicTracerProvider, type SpanProcessor } from '@opentelemetry/sdk-trace-base';

let installed: BasicTracerProvider | undefined;

/**
 * Installs the OpenTelemetry SDK for this process: real trace ids and W3C `traceparent`
 * propagation. Only entry points call this; library code uses `@opentelemetry/api` and stays a
 * no-op without it. Span export is added by passing processors (an OTLP exporter in production,
 * an in-memory one in tests). With none, spans are not recorded (nothing would read them): ids
 * are still made and propagated, with the sampled flag off. Calling it again returns the first
 * provider.
 */
export function installTracing(processors: SpanProcessor[] = []): BasicTracerProvider {
  if (installed) return installed;
  installed = new BasicTracerProvider({ spanProcessors: processors, ...(processors.length === 0 ? { sampler: new AlwaysOffSampler() } : {}) });
  trace.setGlobalTracerProvider(installed);
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  return installed;
}
