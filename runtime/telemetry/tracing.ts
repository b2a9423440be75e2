import { propagation, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { SpanStoreProcessor, StoreSampler, type SpanSink } from './span-store-processor.ts';

/**
 * The SDK's provider, with the platform's trace store as a place spans may go: a process attaches
 * its store once it has Redis. Pool processes reach {@link attachSpanSink} through the API's
 * global provider (the pool may not import this module; see `gpu-pool/span-store.ts`).
 */
export class PlatformTracerProvider extends BasicTracerProvider {
  constructor(
    config: ConstructorParameters<typeof BasicTracerProvider>[0],
    private readonly store: SpanStoreProcessor,
  ) {
    super(config);
  }

  /** Sends finished spans to `sink` too; the function returned flushes and detaches it. */
  attachSpanSink(sink: SpanSink): () => Promise<void> {
    return this.store.attach(sink);
  }
}

let installed: PlatformTracerProvider | undefined;

/** Options of {@link installTracing}. */
export interface TracingOptions {
  /** `service.name` of this process's spans, unless `OTEL_SERVICE_NAME` names it. */
  service: string;
  /** Where spans go. Default: {@link exportFromEnv}. */
  processors?: SpanProcessor[];
  env?: Readonly<Record<string, string | undefined>>;
}

/**
 * Installs the OpenTelemetry SDK for this process: real trace ids and W3C `traceparent`
 * propagation. Only entry points call this; library code uses `@opentelemetry/api` and stays a
 * no-op without it. Spans are exported as the standard OpenTelemetry variables say (see
 * {@link exportFromEnv}), and to the platform's trace store once one is attached
 * ({@link PlatformTracerProvider.attachSpanSink}). With an exporter, the configured sampler decides
 * (default: the caller's flag, else every span) and the store keeps what it samples. With no
 * exporter, spans are recorded only while a store is attached (otherwise nothing would read them):
 * ids are still made and propagated, with the sampled flag off. Calling it again returns the first
 * provider.
 */
export async function installTracing(opts: TracingOptions): Promise<PlatformTracerProvider> {
  if (installed) return installed;
  const env = opts.env ?? process.env;
  const processors = opts.processors ?? (await exportFromEnv(env));
  if (installed) return installed; // a concurrent call finished first
  const store = new SpanStoreProcessor();
  installed = new PlatformTracerProvider(
    {
      resource: resourceFromAttributes({ 'service.name': env.OTEL_SERVICE_NAME || opts.service }),
      spanProcessors: [...processors, store],
      ...(processors.length === 0 ? { sampler: new StoreSampler(store) } : {}),
    },
    store,
  );
  trace.setGlobalTracerProvider(installed);
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  return installed;
}

/**
 * Span export configured the way every OpenTelemetry SDK is: with `OTEL_EXPORTER_OTLP_ENDPOINT`
 * (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) set, spans go in batches to that collector over
 * OTLP/HTTP (JSON), with the exporter's own variables (`…_HEADERS`, `…_TIMEOUT`) and the batch
 * processor's (`OTEL_BSP_SCHEDULE_DELAY`, …). `OTEL_TRACES_EXPORTER=none` turns export off.
 * The exporter is loaded only then: loaded at start and unused, its modules made a sequential
 * echo call about 2.5% (0.15 ms) slower on the 2-vCPU VM (measured A/B, cause not pinned down).
 */
async function exportFromEnv(env: Readonly<Record<string, string | undefined>>): Promise<SpanProcessor[]> {
  const endpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (!endpoint || env.OTEL_TRACES_EXPORTER === 'none') return [];
  const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
  return [new BatchSpanProcessor(new OTLPTraceExporter())];
}

/**
 * Sends this process's finished spans to `sink` too (the router's trace store). Without
 * {@link installTracing} first there are no spans, and it does nothing.
 * @returns a function that writes what is buffered and detaches the sink
 */
export function attachSpanSink(sink: SpanSink): () => Promise<void> {
  return installed?.attachSpanSink(sink) ?? (() => Promise.resolve());
}

/** Sends the spans still buffered (on shutdown). Never throws; gives up after `timeoutMs`. */
export async function flushTracing(timeoutMs = 5_000): Promise<void> {
  if (!installed) return;
  await Promise.race([installed.shutdown().catch(() => undefined), new Promise((r) => setTimeout(r, timeoutMs).unref())]);
}
