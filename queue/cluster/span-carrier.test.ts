import { describe, expect, it } from 'vitest';
import { eventually } from '../../test/harness/eventually.ts';
import { SpanCarrier } from './span-carrier.ts';
import { NAMESPACE_ATTRIBUTE, type CarriedSpan, type FinishedSpan } from './trace-store.ts';

/** A worker's finished span of trace `traceId`, in namespace `team-a`. */
const span = (traceId: string): FinishedSpan => ({
  name: 'execute echo',
  spanContext: () => ({ traceId, spanId: traceId.slice(16) }),
  parentSpanContext: { spanId: traceId.slice(0, 16) },
  startTime: [1_800_000_000, 0],
  endTime: [1_800_000_000, 2_000_000],
  status: { code: 1 },
  attributes: { [NAMESPACE_ATTRIBUTE]: 'team-a', 'autoglm.job_id': 'j1', 'http.method': 'POST' },
  resource: { attributes: { 'service.name': 'autoglm-worker' } },
});
const id = (n: number) => n.toString(16).padStart(32, '0');

/** Records what the carrier writes itself. */
function writer() {
  const written: CarriedSpan[] = [];
  return { written, write: async (spans: readonly CarriedSpan[]) => void written.push(...spans) };
}

describe('SpanCarrier', () => {
  it("holds a call's spans out of the worker's own flush and hands them, as stored, to its done message", async () => {
    const w = writer();
    const carrier = new SpanCarrier(w);
    try {
      const [a, b, other] = [span(id(1)), span(id(2)), span(id(3))];
      carrier.hold('j1:0', a);
      carrier.hold('j1:1', b);
      expect(carrier.unheld([a, other, b])).toEqual([other]);
      const taken = carrier.take(['j1:0', 'j1:1', 'j9']);
      expect(taken).toEqual([
        { traceId: id(1), ns: 'team-a', span: { spanId: id(1).slice(16), parentId: id(1).slice(0, 16), name: 'execute echo', service: 'autoglm-worker', start: 1_800_000_000_000, durationMs: 2, status: 'ok', attributes: { job_id: 'j1' } } },
        { traceId: id(2), ns: 'team-a', span: expect.objectContaining({ spanId: id(2).slice(16) }) },
      ]);
      // Taken once: a second message (or the sweep) finds nothing, and the flush still leaves them out.
      expect(carrier.take(['j1:0'])).toEqual([]);
      expect(carrier.unheld([a])).toEqual([]);
      expect(w.written).toEqual([]);
    } finally {
      await carrier.close();
    }
  });

  it('writes the spans of a message no router heard', async () => {
    const w = writer();
    const carrier = new SpanCarrier(w);
    try {
      carrier.hold('j2', span(id(4)));
      carrier.write(carrier.take(['j2']));
      expect(w.written.map((c) => c.traceId)).toEqual([id(4)]);
    } finally {
      await carrier.close();
    }
  });

  it('writes spans no message took within holdMs (an attempt that outlived its call), and the rest on close', async () => {
    const w = writer();
    const carrier = new SpanCarrier(w, 100);
    carrier.hold('late', span(id(5)));
    await eventually(() => w.written.length === 1, 'the held span swept to the store');
    expect(w.written[0]!.traceId).toBe(id(5));
    carrier.hold('stopping', span(id(6)));
    await carrier.close();
    expect(w.written.map((c) => c.traceId)).toEqual([id(5), id(6)]);
  });
});
