/**
 * A pool worker process (forked by the supervisor): consumes the queues of every deployed
 * function, runs their code through the {@link FunctionHost}, and reports a heartbeat.
 */
import { hostname } from 'node:os';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, propagation, trace } from '@opentelemetry/api';
import { createLogger } from '../functions/sdk/index.ts';
import { FunctionCatalog, FunctionConsumer, WorkerRegistry, connectRedis, installTracing, type FunctionRecord } from '../queue/index.ts';
import { loadPoolConfig } from './config.ts';
import { FunctionHost } from './function-host.ts';

const parsed = loadPoolConfig(process.env);
if (!parsed.ok) {
  process.stderr.write(`autoglm worker: bad configuration:\n  ${parsed.errors.join('\n  ')}\n`);
  process.exit(2);
}
const config = parsed.config;
const slot = Number(process.env.AUTOGLM_WORKER_SLOT ?? '0');
const workerId = `${hostname()}-${process.pid}`;
const device = `cpu:${slot}`;
const log = createLogger({ component: 'worker', workerId, device }, config.logLevel);
installTracing();
const tracer = trace.getTracer('autoglm-worker');

const conn = connectRedis(config.redisUrl, 'consumer');
const publisher = connectRedis(config.redisUrl, 'producer');
const catalogSub = connectRedis(config.redisUrl, 'subscriber');
for (const c of [conn, publisher, catalogSub]) c.on('error', () => undefined);

const host = new FunctionHost(device);
const consumers = new Map<string, FunctionConsumer>();
const registry = new WorkerRegistry(publisher, config.prefix);
const startedAt = Date.now();

function syncConsumers(all: FunctionRecord[]): void {
  host.setRecords(all);
  const names = new Set(all.map((r) => r.name));
  for (const rec of all) {
    if (consumers.has(rec.name)) continue;
    const consumer = new FunctionConsumer(
      rec.name,
      conn,
      publisher,
      (data, ctx) => {
        const parent = propagation.extract(ROOT_CONTEXT, { traceparent: data.traceparent, tracestate: data.tracestate });
        const span = tracer.startSpan(`execute ${data.fn}`, { kind: SpanKind.CONSUMER, attributes: { 'autoglm.job_id': ctx.jobId, 'autoglm.attempt': ctx.attempt, 'autoglm.device': device } }, parent);
        return host.execute(data, ctx.signal).then((r) => {
          if (r.error) span.setStatus({ code: SpanStatusCode.ERROR, message: r.error.code });
          span.end();
          return r;
        });
      },
      { prefix: config.prefix, concurrency: rec.manifest.concurrency, lockDurationMs: config.jobLockMs, stalledIntervalMs: config.stalledIntervalMs },
    );
    consumers.set(rec.name, consumer);
    log.info('consuming', { function: rec.name, version: rec.version });
  }
  for (const [name, c] of consumers) {
    if (!names.has(name)) {
      consumers.delete(name);
      void c.close();
    }
  }
}

async function beat(): Promise<void> {
  let inFlight = 0;
  for (const c of consumers.values()) inFlight += c.running;
  await registry.beat({
    id: workerId,
    pid: process.pid,
    host: hostname(),
    device,
    backend: 'none',
    functions: [...consumers.keys()],
    inFlight,
    jobsDone: host.jobsDone,
    startedAt,
  });
}

const catalog = new FunctionCatalog(publisher, config.prefix);
const stopWatch = await catalog.watch(catalogSub, syncConsumers);
await beat().catch(() => undefined);
const heartbeat = setInterval(() => beat().catch(() => undefined), 2000);
log.info('worker ready', { functions: [...consumers.keys()] });
process.send?.({ type: 'ready', workerId });

let stopping: Promise<void> | undefined;
function shutdown(reason: string): Promise<void> {
  stopping ??= (async () => {
    log.info('worker draining', { reason });
    clearInterval(heartbeat);
    await stopWatch().catch(() => undefined);
    // Running jobs finish; waiting ones stay queued for other workers.
    await Promise.all([...consumers.values()].map((c) => c.close()));
    await host.close();
    await registry.leave(workerId).catch(() => undefined);
    await Promise.all([conn, publisher, catalogSub].map((c) => c.quit().catch(() => c.disconnect())));
    log.info('worker stopped');
    process.exit(0);
  })();
  return stopping;
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
// The supervisor died: do not linger as an orphan.
process.on('disconnect', () => void shutdown('supervisor gone'));
