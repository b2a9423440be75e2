import { ROOT_CONTEXT, context, isSpanContextValid, propagation, trace } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { installTracing } from './tracing.ts';

describe('installTracing without span processors', () => {
  it('records no spans, but still makes trace ids and propagates them, continuing a caller trace', async () => {
    const tracer = (await installTracing({ service: 'test', env: {} })).getTracer('test');
    const root = tracer.startSpan('root');
    expect(root.isRecording()).toBe(false);
    expect(isSpanContextValid(root.spanContext())).toBe(true);
    const carrier: Record<string, string> = {};
    propagation.inject(trace.setSpan(context.active(), root), carrier);
    expect(carrier.traceparent).toBe(`00-${root.spanContext().traceId}-${root.spanContext().spanId}-00`);

    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const parent = propagation.extract(ROOT_CONTEXT, { traceparent: `00-${traceId}-00f067aa0ba902b7-01` });
    const child = tracer.startSpan('child', {}, parent);
    expect(child.isRecording()).toBe(false);
    expect(child.spanContext().traceId).toBe(traceId);
  });
});
