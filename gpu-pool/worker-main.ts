/**
 * A pool worker process (forked by the supervisor, one per device slot): selects the TensorFlow.js
 * backend, loads warm functions, consumes the queues of the functions its device can serve, runs
 * their code through a {@link Host}, and reports heartbeats to Redis (for /readyz and placement)
 * and to the supervisor (for hang and memory checks).
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, propagation, trace } from '@opentelemetry/api';
import { createLogger } from '../functions/sdk/index.ts';
import { FunctionLogWriter, type FunctionLogLine, FunctionCatalog, POOL_CONFIG_VARIABLE, PayloadCipher, RELEASE_REDIS_MS, SecretStore, WorkerRegistry, canServe, needsOf, connectRedis, releaseRedis, type GpuReading, type SecretChange } from '../queue/cluster/index.ts';
import { FunctionConsumer } from '../queue/jobs/index.ts';
import { flushSpans } from './span-flush.ts';
import { batchPlan } from './batcher.ts';
import { BundleCache } from './bundle-cache.ts';
import { SECRET_VARIABLES, loadWorkerIdentity, readPoolConfig } from './config.ts';
import { FunctionHost, type Host } from './function-host.ts';
import { watchGpu } from './gpu-watch.ts';
import { RecordIndex } from './record-index.ts';
import { HostThread } from './host-thread.ts';
import { whenParentGone } from './parent-link.ts';
import { SplitHost } from './split-host.ts';
import { answerDeployChecks, catalogView, type CatalogView } from './registry-link.ts';
import { beatEveryMs, type WorkerMessage } from './worker-messages.ts';
import { WorkerSecrets, readersOf } from './worker-secrets.ts';

const parsed = readPoolConfig(process.env[POOL_CONFIG_VARIABLE]);
const ident = parsed.ok ? loadWorkerIdentity(process.env, parsed.config.modelMemoryBytes) : undefined;
if (!parsed.ok || !ident?.ok) {
  const errors = [...(parsed.ok ? [] : parsed.errors), ...(ident && !ident.ok ? ident.errors : [])];
  process.stderr.write(`autoglm worker: bad configuration:\n  ${errors.join('\n  ')}\n`);
  process.exit(2);
}
const config = parsed.config;
// Bundles missing from this node are downloaded here, on the main thread, so the worker token
// never reaches the inference thread where function code runs.
const fetcher = new BundleCache(config.bundleCacheDir, { localDir: config.artifactsDir, routerUrls: async () => config.routerUrls, ...(config.workerToken ? { token: config.workerToken } : {}) });
// The tracing preload ran before this entry: the exporter has read its collector's address and headers already.
// Function code (in the inference thread, which copies this environment) must not see secrets.
for (const v of SECRET_VARIABLES) delete process.env[v];
const cipher = new PayloadCipher(parsed.keyring);
const { restarts } = ident.identity;
// The namespaces its pool serves travel with the slot: in heartbeats (placement), to the hosts (warm loads).
const slot = { ...ident.identity.slot, ...(config.namespaces ? { namespaces: config.namespaces } : {}) };
const workerId = `${hostname()}-${process.pid}`;
const log = createLogger({ component: 'worker', workerId, device: slot.id }, config.logLevel);
const tracer = trace.getTracer('autoglm-worker');
// Declared up front: the inference thread may be lost (and shutdown run) at any point of the start.
let stopping: Promise<void> | undefined;
let heartbeat: NodeJS.Timeout | undefined;
let ipcBeat: NodeJS.Timeout | undefined;
let stopWatch: () => Promise<void> = async () => undefined;
let stopSecretWatch: () => Promise<void> = async () => undefined;
let stopChecks: () => Promise<void> = async () => undefined;
// A GPU worker reports its device live (memory, utilisation, temperature) in its heartbeats.
let gpu: GpuReading | undefined;
const stopGpuWatch = slot.kind === 'gpu' ? watchGpu(slot.index, config.gpuPollMs, (r) => (gpu = r)) : () => undefined;

// What function code writes (`ctx.log`, `console.*`) goes to Redis, sealed, for `autoglm logs`;
// the `ctx.log` lines shipped (within the rate) also to this worker's log (console lines print
// as they always did).
let logs: FunctionLogWriter | undefined;
const onLog = (line: FunctionLogLine): void => {
  if (logs?.add(line) && line.source === 'log') log[line.level](line.msg, { function: line.fn, version: line.version, ...line.fields });
};

/** Every version by key: jobs look theirs up (the host resolves it the same way), and so do secrets. */
const records = new RecordIndex();
const secrets = new WorkerSecrets(records);

let host: Host;
let thread: HostThread | undefined;
try {
  if (config.inference === 'thread') {
    const { backend, gpuModule, logLevel, artifactsDir, bundleCacheDir } = config;
    thread = await HostThread.start({ slot, backend, gpuModule, logLevel, artifactsDir, bundleCacheDir, log, onLog, secrets: secrets.openFor, onLost: () => void shutdown('inference thread lost', 1) });
    // Versions whose manifest says `isolation: inline` run here, on the main thread, from the
    // bundles this thread already fetches.
    host = new SplitHost(thread, new FunctionHost({ slot, backend: thread.backend, bundles: fetcher, log, onLog, secrets: secrets.open }));
    log.info('backend selected', { backend: host.backend, simd: thread.selection.simd, skipped: thread.selection.skipped, inference: 'thread' });
  } else {
    // Imported here: in the default (thread) mode this thread never loads TensorFlow.js (~60 MB).
    const { selectBackend } = await import('../functions/sdk/tf/index.ts');
    const sel = await selectBackend({ choice: config.backend, gpuModule: config.gpuModule });
    const bundles = new BundleCache(config.bundleCacheDir, { localDir: config.artifactsDir });
    host = new FunctionHost({ slot, backend: sel.name, bundles, numTensors: sel.numTensors, numBytes: sel.numBytes, log, onLog, secrets: secrets.open });
    log.info('backend selected', { backend: sel.name, simd: sel.simd, skipped: sel.skipped, inference: 'inline' });
  }
} catch (err) {
  log.error('worker cannot start', { err });
  process.exit(3);
}

const redisTls = config.redisCaFile ? { tls: { ca: readFileSync(config.redisCaFile) } } : {};
const conn = connectRedis(config.redisUrl, 'consumer', redisTls);
const publisher = connectRedis(config.redisUrl, 'producer', redisTls);
const catalogSub = connectRedis(config.redisUrl, 'subscriber', redisTls);
for (const c of [conn, publisher, catalogSub]) c.on('error', () => undefined);
logs = new FunctionLogWriter(publisher, config.prefix, cipher, { worker: workerId, keep: config.logsKept, perSecond: config.logsPerSecond });
const secretStore = new SecretStore(publisher, config.prefix, cipher);
secrets.connect(secretStore);

const consumers = new Map<string, { consumer: FunctionConsumer; signature: string }>();
const refusedLogged = new Set<string>();
const registry = new WorkerRegistry(publisher, config.prefix);
const startedAt = Date.now();
let view: CatalogView = { records: [], serving: new Set(), byFunction: new Map() };
let accepting = false;
/** How long the inference thread may stay silent: a batch may legitimately run for its timeout. */
let threadLimitMs = config.hangLimitMs;

/** Makes sure a version's bundle is on this node before the host loads it; failures surface when it does. */
function fetchBundle(hash: string | undefined): Promise<void> {
  if (!hash) return Promise.resolve();
  return fetcher.ensure(hash).then(
    () => undefined,
    (err) => log.warn('bundle not available', { hash: hash.slice(0, 12), err }),
  );
}

function onCatalog(next: CatalogView): void {
  view = next;
  records.set(next.records, next.serving);
  for (const r of next.records) if (next.serving.has(`${r.name}@${r.version}`)) void fetchBundle(r.hash);
  host.setRecords(next.records, next.serving);
  if (!accepting) return;
  syncConsumers();
  // The router's placement and /readyz should see the new set of functions now, not in 2 s.
  beat().catch(() => undefined);
}

/** Versions that read a changed secret load again with its new value. */
function onSecretChange(c: SecretChange): void {
  const keys = readersOf(view.records, c);
  if (keys.length === 0) return;
  log.info('a secret changed; loading its functions again', { ...(c ?? {}), versions: keys });
  host.reload(keys);
}

/** Consumes the queue of every function this device can serve; sizes each consumer from its manifests. */
function syncConsumers(): void {
  const wanted = new Map<string, { concurrency: number; lockDurationMs: number }>();
  let longest = 0;
  for (const [fn, recs] of view.byFunction) {
    const servable = recs.filter((r) => canServe(needsOf(r), slot).ok);
    if (servable.length === 0) {
      const fit = canServe(needsOf(recs[0]!), slot);
      const key = `${fn}@${recs.map((r) => r.version).join(',')}`;
      if (!fit.ok && !refusedLogged.has(key)) log.info('not consuming: this device cannot serve it', { function: fn, reason: fit.reason });
      refusedLogged.add(key);
      continue;
    }
    const timeout = Math.max(...servable.map((r) => r.manifest.timeout));
    longest = Math.max(longest, timeout);
    wanted.set(fn, {
      concurrency: Math.max(...servable.map((r) => batchPlan(r.manifest).consumerConcurrency)),
      // Inline, a synchronous handler blocks lock renewal for as long as it runs (up to its
      // timeout, which cannot fire meanwhile): the lock must outlast that. On a thread it need not.
      // A version that declares `isolation: inline` promises a light handler: it keeps the short
      // lock, so a crashed worker's jobs come back as soon as for any other function.
      lockDurationMs: config.inference === 'inline' ? Math.max(config.jobLockMs, timeout + config.jobLockMs) : config.jobLockMs,
    });
  }
  threadLimitMs = Math.max(config.hangLimitMs, longest);
  for (const [fn, c] of consumers) {
    const w = wanted.get(fn);
    if (!w || JSON.stringify(w) !== c.signature) {
      consumers.delete(fn);
      void c.consumer.close();
    }
  }
  for (const [fn, w] of wanted) {
    if (consumers.has(fn)) continue;
    const consumer = new FunctionConsumer(
      fn,
      conn,
      publisher,
      (data, ctx) => {
        const parent = propagation.extract(ROOT_CONTEXT, { traceparent: data.traceparent, tracestate: data.tracestate });
        const span = tracer.startSpan(
          `execute ${data.fn}`,
          { kind: SpanKind.CONSUMER, attributes: { 'autoglm.job_id': ctx.jobId, 'autoglm.attempt': ctx.attempt, 'autoglm.device': slot.id, 'autoglm.backend': host.backend } },
          parent,
        );
        const hash = records.find(data.fn, data.version)?.hash;
        return fetchBundle(hash).then(() => host.execute({ ...data, id: ctx.jobId }, ctx.signal)).then((r) => {
          span.setAttribute('autoglm.batch_size', r.batchSize);
          if (r.error) span.setStatus({ code: SpanStatusCode.ERROR, message: r.error.code });
          span.end();
          return r;
        });
      },
      {
        prefix: config.prefix,
        concurrency: w.concurrency,
        lockDurationMs: w.lockDurationMs,
        stalledIntervalMs: config.stalledIntervalMs,
        cipher,
        // A version this device cannot run (a gpu-only canary beside a cpu-capable stable) is
        // left to another worker; an unknown function is run, and answered FUNCTION_NOT_FOUND.
        serves: (name, version) => {
          const rec = records.find(name, version);
          return !rec || canServe(needsOf(rec), slot).ok;
        },
      },
    );
    consumers.set(fn, { consumer, signature: JSON.stringify(w) });
    log.info('consuming', { function: fn, ...w });
  }
}

function inFlight(): number {
  let n = 0;
  for (const c of consumers.values()) n += c.consumer.running;
  return n;
}

async function beat(): Promise<void> {
  const s = host.stats();
  await registry.beat({
    id: workerId,
    pid: process.pid,
    host: hostname(),
    device: slot.id,
    slot,
    backend: host.backend,
    functions: [...consumers.keys()],
    models: s.models,
    inFlight: inFlight(),
    jobsDone: s.jobsDone,
    batches: s.batches,
    restarts,
    rss: process.memoryUsage().rss,
    tensors: s.tensors,
    ...(gpu ? { gpu } : {}),
    functionStats: s.functions,
    startedAt,
  });
}

function tellSupervisor(): void {
  const s = host.stats();
  const msg: WorkerMessage = {
    type: 'beat',
    rss: process.memoryUsage().rss,
    backend: host.backend,
    inFlight: inFlight(),
    batches: s.batches,
    models: s.models.map((m) => m.key),
    threadSilentMs: thread?.unresponsiveMs() ?? 0,
    threadLimitMs,
    loopLimitMs: thread ? config.hangLimitMs : threadLimitMs,
  };
  toSupervisor(msg);
}

/** Sends to the supervisor while it listens: a send on a closed channel is an unhandled error (a crash). */
function toSupervisor(msg: WorkerMessage): void {
  if (process.connected) process.send?.(msg);
}

const catalog = new FunctionCatalog(publisher, config.prefix);
stopWatch = await catalog.watch(catalogSub, (all) => onCatalog(catalogView(all)));
stopSecretWatch = await secretStore.watch(catalogSub, onSecretChange);
// Warm functions load before the first job is taken and before the worker says it is ready.
await host.warm();
accepting = true;
syncConsumers();
stopChecks = answerDeployChecks(conn, publisher, config.prefix, { workerId, slot }, (rec) => secrets.checking(rec, () => fetchBundle(rec.hash).then(() => host.probe(rec))));
await beat().catch(() => undefined);
heartbeat = setInterval(() => beat().catch(() => undefined), 2000);
ipcBeat = setInterval(tellSupervisor, beatEveryMs(config.hangLimitMs));
log.info('worker ready', { backend: host.backend, functions: [...consumers.keys()], models: host.stats().models.map((m) => m.key) });
toSupervisor({ type: 'ready', workerId, backend: host.backend });

/** Resolves once no job runs here (the supervisor kills a worker that outlives its grace period). */
async function jobsEnded(): Promise<void> {
  while ([...consumers.values()].some((c) => c.consumer.running > 0)) await new Promise((r) => setTimeout(r, 100).unref());
}

function shutdown(reason: string, code = 0): Promise<void> {
  stopping ??= (async () => {
    log.info('worker draining', { reason });
    clearInterval(heartbeat);
    clearInterval(ipcBeat);
    stopGpuWatch();
    const closing = (async () => {
      await stopWatch().catch(() => undefined);
      await stopSecretWatch().catch(() => undefined);
      // Running jobs finish; waiting ones stay queued for other workers.
      await Promise.all([...consumers.values()].map((c) => c.consumer.close()));
      await stopChecks().catch(() => undefined);
      await logs?.flush().catch(() => undefined);
      await registry.leave(workerId).catch(() => undefined);
    })();
    // Once the running jobs have ended, Redis gets a moment to take the rest: with it unreachable,
    // closing the consumers would wait for the outage. A job whose end Redis did not record is
    // still active there and runs again once its lock expires, as after a kill.
    await Promise.race([closing, jobsEnded()]);
    if (!(await releaseRedis(closing, [conn, publisher, catalogSub]))) {
      log.warn('Redis did not answer while the worker stopped; its connections were dropped', { waitedMs: RELEASE_REDIS_MS });
    }
    await host.close(); // no job runs any more
    await flushSpans();
    log.info('worker stopped');
    process.exit(code);
  })();
  return stopping;
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
// The supervisor died (also while this worker was starting): do not linger as an orphan.
whenParentGone(() => void shutdown('supervisor gone'));
