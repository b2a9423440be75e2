/**
 * What keeping one trace costs each part, in-process: `npx tsx test/bench/trace-store-bench.ts`.
 * Records spans through the real provider with a `TraceStore` attached (a private Redis), flushed
 * in batches of 200 (a flush at ~400 calls/s) past the store's bound, so each flush also trims.
 * Prints CPU µs per trace of one span: recording it on the call path, the flush (convert, seal,
 * pipeline) in the writing process, and Redis (from its command statistics). No pass/fail.
 */
import { SpanKind } from '@opentelemetry/api';
import { Redis } from 'ioredis';
import { PayloadCipher, TraceStore, newKeyringSpec, parseKeyring } from '../../queue/cluster/index.ts';
import { attachSpanSink, installTracing } from '../../runtime/telemetry/index.ts';
import { startTestRedis } from '../harness/redis.ts';

const BATCH = 200;
const provider = await installTracing({ service: 'bench', env: {} });
const tracer = provider.getTracer('bench');
const redis = await startTestRedis();
const conn = new Redis(redis.url);
try {
  const ring = parseKeyring(newKeyringSpec('k'));
  if (!ring.ok) throw new Error(ring.error);
  const store = new TraceStore(conn, 'bench', new PayloadCipher(ring.ring));
  let flushUs = 0;
  let traces = 0;
  const detach = attachSpanSink({
    take: async (spans) => {
      const t0 = process.cpuUsage();
      const written = store.take(spans);
      const u = process.cpuUsage(t0);
      flushUs += u.user + u.system;
      traces += spans.length;
      await written;
    },
  });
  const call = (i: number) => {
    const s = tracer.startSpan('invoke echo', { kind: SpanKind.SERVER, attributes: { 'autoglm.namespace': 'default', 'autoglm.function': 'echo', 'autoglm.version': 'c9239294ee05', 'autoglm.mode': 'sync' } });
    s.setAttribute('autoglm.job_id', `echo.mxc2qxb9bf8c6bf803fe${i}`).end();
  };
  // Past the default bound of 10,000 first, so the measured flushes trim as they would in service.
  for (let i = 0; i < 12_000; i++) if ((call(i), i % BATCH === BATCH - 1)) await provider.forceFlush();
  await conn.config('RESETSTAT');
  [flushUs, traces] = [0, 0];
  let recordUs = 0;
  for (let r = 0; r < 50; r++) {
    const t0 = process.cpuUsage();
    for (let i = 0; i < BATCH; i++) call(r * BATCH + i);
    const u = process.cpuUsage(t0);
    recordUs += u.user + u.system;
    await provider.forceFlush();
  }
  const redisUs = [...(await conn.info('commandstats')).matchAll(/usec=(\d+)/g)].reduce((s, m) => s + Number(m[1]), 0);
  const f = (us: number) => (us / traces).toFixed(1);
  process.stdout.write(`per trace of one span (${traces} traces): recording ${f(recordUs)} µs, flush (convert, seal, pipeline) ${f(flushUs)} µs, Redis ${f(redisUs)} µs\n`);
  await detach();
} finally {
  conn.disconnect();
  await redis.destroy();
}
