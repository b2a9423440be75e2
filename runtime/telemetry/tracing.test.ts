import { ROOT_CONTEXT, context, isSpanContextValid, propagation, trace } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { attachSpanSink, installTracing } from './tracing.ts';

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

describe('installTracing with a trace store attached', () => {
  it('records every span while a sink is attached, hands them over in a batch, and stops when it is detached', async () => {
    const provider = await installTracing({ service: 'test', env: {} });
    const tracer = provider.getTracer('test');
    const taken: string[][] = [];
    const detach = attachSpanSink({ take: async (spans) => void taken.push(spans.map((s) => s.name)) });
    // A caller's unsampled flag does not keep the span out of the store.
    const parent = propagation.extract(ROOT_CONTEXT, { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00' });
    const a = tracer.startSpan('a', {}, parent);
    expect(a.isRecording()).toBe(true);
    a.end();
    tracer.startSpan('b').end();
    expect(taken).toEqual([]); // batched: nothing on the call path
    await detach();
    expect(taken).toEqual([['a', 'b']]);
    expect(tracer.startSpan('c').isRecording()).toBe(false);
  });
});
