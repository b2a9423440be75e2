/**
 * What recording and storing spans costs a process that serves calls at a steady rate, GC
 * included: `npx tsx test/bench/trace-flush-bench.ts <variant> <redis url>`, one variant per
 * process (a fresh heap): `off` (no store: spans not recorded), or `on:<flush ms>`. Each "call"
 * allocates some short-lived objects, as a request does, and makes the router's span; 1,000 calls
 * a second for 8 s. Prints CPU µs and GC pause µs per call. No pass/fail.
 */
import { PerformanceObserver } from 'node:perf_hooks';
import { SpanKind } from '@opentelemetry/api';
import { Redis } from 'ioredis';
import { PayloadCipher, TraceStore, newKeyringSpec, parseKeyring } from '../../queue/cluster/index.ts';
import { PlatformTracerProvider } from '../../runtime/telemetry/index.ts';
import { SpanStoreProcessor, StoreSampler } from '../../runtime/telemetry/span-store-processor.ts';

const [variant = 'on:100', url = 'redis://127.0.0.1:6379'] = process.argv.slice(2);
const flushMs = Number(variant.split(':')[1] ?? 500);
const store = new SpanStoreProcessor({ flushMs });
const provider = new PlatformTracerProvider({ spanProcessors: [store], sampler: new StoreSampler(store) }, store);
const tracer = provider.getTracer('x');
const conn = new Redis(url);
const ring = parseKeyring(newKeyringSpec('k'));
if (!ring.ok) throw new Error(ring.error);
if (variant !== 'off') provider.attachSpanSink(new TraceStore(conn, `gc${process.pid}`, new PayloadCipher(ring.ring)));
let gcMs = 0;
new PerformanceObserver((l) => { for (const e of l.getEntries()) gcMs += e.duration; }).observe({ entryTypes: ['gc'] });
const RATE = 1000, SECONDS = 8;
let keep: unknown[] = []; // the last call's garbage, so it is not optimised away
const t0 = process.cpuUsage(); const start = Date.now(); let n = 0;
await new Promise<void>((done) => {
  const tick = setInterval(() => {
    for (let k = 0; k < RATE / 100; k++, n++) {
      // What a request allocates besides its span, roughly: some objects and strings that die young.
      keep = Array.from({ length: 40 }, (_, i) => ({ i, s: `req ${n} ${i}`, b: Buffer.alloc(64) }));
      const s = tracer.startSpan('invoke echo', { kind: SpanKind.SERVER, attributes: { 'autoglm.namespace': 'default', 'autoglm.function': 'echo', 'autoglm.version': 'c9239294ee05', 'autoglm.mode': 'sync' } });
      s.setAttribute('autoglm.job_id', `echo.mxc2qxb9bf8c6bf803fe${n}`).end();
    }
    if (Date.now() - start >= SECONDS * 1000) { clearInterval(tick); done(); }
  }, 10);
});
const u = process.cpuUsage(t0);
console.log(`${variant}: ${(((u.user + u.system) / n)).toFixed(1)} µs CPU per call, GC ${(gcMs * 1000 / n).toFixed(1)} µs per call (${n} calls) ${keep.length}`);
await provider.forceFlush(); conn.disconnect(); process.exit(0);
