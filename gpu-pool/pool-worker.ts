import { hostname } from 'node:os';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, propagation, trace } from '@opentelemetry/api';
import type { Redis } from 'ioredis';
import { createLogger, type InvocationResult, type LogLevel, type Logger } from '../functions/sdk/index.ts';
import type { BundleLimits } from '../functions/sdk/bundle/index.ts';
import type { BackendChoice } from '../functions/sdk/tf/index.ts';
import { DriftCounts, FunctionCatalog, FunctionLogWriter, KnowledgeStore, NAMESPACE_ATTRIBUTE, PayloadCipher, RELEASE_REDIS_MS, SecretStore, SpanCarrier, TIMING_ATTRIBUTES, TraceStore, TrainingStore, WorkerRoster, servesNamespace, connectRedis, releaseRedis, type DeviceSlot, type FinishedSpan, type FunctionLogLine, type FunctionRecord, type GpuReading, type Keyring, type KnowledgeChange, type SecretChange, type SentinelSettings, type InferenceMode, type IsolationLevel } from '../queue/cluster/index.ts';
import { QueueSet, TrainingConsumer, TrainingJobs, type Executor, type JobData } from '../queue/jobs/index.ts';
import { BundleCache } from './bundle-cache.ts';
import { ConsumerSet } from './consumer-set.ts';
import type { Host } from './function-host.ts';
import { watchGpu } from './gpu-watch.ts';
import { openHost } from './open-host.ts';
import { CatalogIndex } from './catalog-index.ts';
import { answerDeployChecks } from './answer-deploy-checks.ts';
import { catalogSnapshot, type CatalogSnapshot } from './catalog-snapshot.ts';
import { WorkerHeartbeat } from './worker-heartbeat.ts';
import type { WorkerMessage } from './worker-messages.ts';
import { WorkerKnowledge } from './worker-knowledge.ts';
import { WorkerSecrets, readersOf } from './worker-secrets.ts';
import { attachSpanStore } from './span-store.ts';
import { Trainer } from './trainer.ts';

/** Options of a {@link PoolWorker}: what the pool's configuration says, and the slot the supervisor gave it. */
export interface PoolWorkerOptions {
  /** The device slot served, with the namespaces its pool serves if not all (heartbeats carry them to placement; hosts warm only theirs). */
  slot: DeviceSlot;
  /** Times this slot's worker was replaced before [0]. */
  restarts?: number;
  redisUrl: string;
  /** Sentinels that name the master, when Redis runs under Sentinel (then `redisUrl`'s host is ignored) [none]. */
  redisSentinel?: SentinelSettings | undefined;
  /** CA to trust for a `rediss://` URL [the system's]. */
  redisCa?: Buffer;
  /** Prefix of every Redis key. */
  prefix: string;
  /** Keys that open sealed inputs and secrets and seal outputs; function code never sees them. */
  encryptionKeys: Keyring;
  /** `auto` (tensorflow → wasm → cpu) or a backend that must load. */
  backend: BackendChoice;
  /** Module providing the `tensorflow` backend. */
  gpuModule: string;
  /** Count live inputs for drift (`AUTOGLM_DRIFT_WATCH`) [true]; false: the hosts never see a baseline, so count nothing. */
  watchDrift?: boolean;
  /** `thread`: function code runs on an inference thread, so a long predict never delays lock renewal; `inline`: on the main thread. */
  inference: InferenceMode;
  /** Where function code runs: a sandbox process per namespace (`sandbox`, `process`), or this process (`thread`) [`thread`]. */
  isolation?: IsolationLevel;
  /** The router's bundle store, when on this node. */
  artifactsDir: string;
  /** Where this node extracts bundles. */
  bundleCacheDir: string;
  /** Most content a bundle may expand to, bytes (`AUTOGLM_BUNDLE_LIMIT`) [256 MiB]. */
  bundleLimit?: number;
  /** Most members of a bundle (`AUTOGLM_BUNDLE_MAX_ENTRIES`) [10,000]. */
  bundleMaxEntries?: number;
  /** Routers that serve bundles missing from `artifactsDir` [none]. */
  routerUrls?: string[];
  /** A token with the `worker` role, for those downloads. */
  workerToken?: string;
  /** How long a job's lock lasts without renewal. */
  jobLockMs: number;
  stalledIntervalMs: number;
  /** How old a heartbeat may be before the roster counts this worker gone (`AUTOGLM_WORKER_STALE`) [10 s]; it beats every fifth of it. */
  workerStaleMs?: number;
  /** How long the main loop (and the inference thread, at least) may be silent before the supervisor replaces this worker. */
  hangLimitMs: number;
  /** How often a GPU slot's device is read. */
  gpuPollMs: number;
  logLevel: LogLevel;
  /** Lines of function logs kept per function. */
  logsKept: number;
  /** Lines a second shipped per function; more are counted and dropped. */
  logsPerSecond: number;
  /**
   * Trainings this worker runs at once, from the training queue of its slot's kind
   * (`AUTOGLM_TRAINING_CONCURRENCY`) [1]; 0: it takes none.
   */
  trainingConcurrency?: number;
  /** How long the record of a training this worker ended (failed, cancelled) is kept, ms (`AUTOGLM_RESULT_TTL`) [1 day]. */
  resultTtlMs?: number;
  /** Write this worker's spans to the trace store (`AUTOGLM_TRACE_STORE`) [true]. */
  traceStore?: boolean;
  /** Traces the store keeps (`AUTOGLM_TRACE_KEEP`) [10,000]. */
  traceKeep?: number;
  /** How long the store keeps a failed trace, ms (`AUTOGLM_TRACE_FAILED_TTL`) [1 day]. */
  traceFailedTtlMs?: number;
  /** [`<hostname>-<pid>`] */
  workerId?: string;
  /** [a JSON logger to stderr, at `logLevel`] */
  log?: Logger;
  /** Sends to the supervisor [over IPC while the channel is open; a send on a closed one would crash the process]. */
  toSupervisor?: (msg: WorkerMessage) => void;
  /** Told when the inference thread dies: this worker runs no more jobs [it closes itself]. */
  onThreadLost?: () => void;
}

/** What a started worker holds; released by {@link PoolWorker.close}. */
interface Running {
  host: Host;
  connections: Redis[];
  consumers: ConsumerSet;
  heartbeat: WorkerHeartbeat;
  logs: FunctionLogWriter;
  roster: WorkerRoster;
  stopCatalogWatch?: () => Promise<void>;
  stopSecretWatch?: () => Promise<void>;
  stopKnowledgeWatch?: () => Promise<void>;
  stopChecks?: () => Promise<void>;
  /** The training consumer and what it runs with, when this worker trains. */
  training?: { consumer: TrainingConsumer; trainer: Trainer; queues: QueueSet };
  /** Writes the spans still buffered to the trace store and stops sending them there. */
  detachTraces?: () => Promise<void>;
}

/**
 * A pool worker (one process per device slot, forked by the supervisor): selects the TensorFlow.js
 * backend, loads warm functions, consumes the queues of the functions its device can serve, runs
 * their code through a {@link Host}, and reports heartbeats to Redis (for /readyz and placement)
 * and to the supervisor (for hang and memory checks).
 */
export class PoolWorker {
  readonly workerId: string;
  private readonly log: Logger;
  private readonly tracer = trace.getTracer('autoglm-worker');
  /** Every version by key: jobs look theirs up (the host resolves it the same way), and so do secrets. */
  private readonly records = new CatalogIndex();
  private readonly secrets = new WorkerSecrets(this.records);
  /** Knowledge collections, for the versions the secrets know (catalogued, or being checked). */
  private readonly knowledge = new WorkerKnowledge(this.secrets);
  /** Bundles missing from this node are downloaded here, on the main thread, so the worker token never reaches the inference thread. */
  private readonly fetcher: BundleCache;
  private view: CatalogSnapshot = { records: [], serving: new Set(), byFunction: new Map() };
  private gpu: GpuReading | undefined;
  private stopGpuWatch: () => void = () => undefined;
  private running: Running | undefined;
  private accepting = false;
  private starting: Promise<void> | undefined;
  private closing: Promise<void> | undefined;

  constructor(private readonly opts: PoolWorkerOptions) {
    this.workerId = opts.workerId ?? `${hostname()}-${process.pid}`;
    this.log = opts.log ?? createLogger({ component: 'worker', workerId: this.workerId, device: opts.slot.id }, opts.logLevel);
    const { bundleCacheDir, artifactsDir, routerUrls = [], workerToken } = opts;
    this.fetcher = new BundleCache(bundleCacheDir, { localDir: artifactsDir, routerUrls: async () => routerUrls, ...(workerToken ? { token: workerToken } : {}) }, this.bundleLimits());
  }

  /** The limits every bundle cache of this worker opens archives with. */
  private bundleLimits(): Partial<BundleLimits> {
    const { bundleLimit, bundleMaxEntries } = this.opts;
    return { ...(bundleLimit ? { maxBytes: bundleLimit } : {}), ...(bundleMaxEntries ? { maxEntries: bundleMaxEntries } : {}) };
  }

  /**
   * Starts taking jobs once the warm functions are loaded, and tells the supervisor it is ready.
   * Idempotent. When it fails, {@link close} releases what it opened.
   * @throws an error coded `BACKEND_UNAVAILABLE` when the forced backend does not load; the Redis or inference thread error otherwise
   */
  start(): Promise<void> {
    if (this.closing) return Promise.reject(new Error('the worker is closed'));
    this.starting ??= this.run();
    return this.starting;
  }

  /**
   * Stops taking jobs, lets the running ones finish (the supervisor kills a worker that outlives
   * its grace period), leaves the roster and releases Redis and the host. Waiting jobs stay
   * queued for other workers. Idempotent: every call returns the same promise.
   */
  close(reason = 'closed'): Promise<void> {
    this.closing ??= this.stop(reason);
    return this.closing;
  }

  private async run(): Promise<void> {
    const o = this.opts;
    const { slot } = o;
    const log = this.log;
    if (slot.kind === 'gpu') this.stopGpuWatch = watchGpu(slot.index, o.gpuPollMs, (r) => (this.gpu = r));
    // What function code writes (`ctx.log`, `console.*`) goes to Redis, sealed, for `autoglm logs`;
    // the `ctx.log` lines shipped (within the rate) also to this worker's log (console lines print
    // as they always did).
    const onLog = (line: FunctionLogLine): void => {
      if (this.running?.logs.add(line) && line.source === 'log') log[line.level](line.msg, { function: line.fn, version: line.version, ...line.fields });
    };
    const { host, thread } = await openHost({
      slot,
      isolation: o.isolation ?? 'thread',
      inference: o.inference,
      backend: o.backend,
      gpuModule: o.gpuModule,
      logLevel: o.logLevel,
      artifactsDir: o.artifactsDir,
      bundleCacheDir: o.bundleCacheDir,
      bundleLimits: this.bundleLimits(),
      fetcher: this.fetcher,
      secrets: this.secrets,
      knowledge: this.knowledge,
      log,
      onLog,
      onLost: o.onThreadLost ?? (() => void this.close('inference thread lost')),
      hangLimitMs: o.hangLimitMs,
    });

    const tls = o.redisCa ? { tls: { ca: o.redisCa } } : {};
    const target = { url: o.redisUrl, sentinel: o.redisSentinel };
    const conn = connectRedis(target, 'consumer', tls);
    const publisher = connectRedis(target, 'producer', tls);
    const catalogSub = connectRedis(target, 'subscriber', tls);
    for (const c of [conn, publisher, catalogSub]) c.on('error', () => undefined);
    const cipher = new PayloadCipher(o.encryptionKeys);
    const secretStore = new SecretStore(publisher, o.prefix, cipher);
    this.secrets.connect(secretStore);
    // Opened with this worker's keys: only collections of the namespaces its pool serves open.
    const knowledgeStore = new KnowledgeStore(publisher, o.prefix, cipher);
    this.knowledge.connect(knowledgeStore);
    // This worker's spans go to the trace store, but those of a synchronous call go to the router
    // that waits for it, in the done message, to be written with the router's own: one record a call.
    const traces = o.traceStore === false ? undefined : new TraceStore(publisher, o.prefix, cipher, { ...(o.traceKeep ? { keep: o.traceKeep } : {}), ...(o.traceFailedTtlMs ? { failedTtlMs: o.traceFailedTtlMs } : {}) });
    const spans = traces && new SpanCarrier(traces);
    const execute: Executor = (data, ctx) => this.execute(host, data, ctx, spans);
    const consumers = new ConsumerSet({ connection: conn, publisher, prefix: o.prefix, cipher, slot, records: this.records, execute, inference: (o.isolation ?? 'thread') === 'thread' ? o.inference : 'thread', jobLockMs: o.jobLockMs, stalledIntervalMs: o.stalledIntervalMs, log, ...(spans ? { spans } : {}) });
    const roster = new WorkerRoster(publisher, o.prefix, o.workerStaleMs);
    const toSupervisor =
      o.toSupervisor ??
      ((msg: WorkerMessage) => {
        if (process.connected) process.send?.(msg);
      });
    const heartbeat = new WorkerHeartbeat({ roster, workerId: this.workerId, slot, restarts: o.restarts ?? 0, host, isolation: o.isolation ?? 'thread', thread, consumers, gpu: () => this.gpu, hangLimitMs: o.hangLimitMs, toSupervisor, everyMs: roster.staleMs / 5, drift: new DriftCounts(publisher, o.prefix) });
    const logs = new FunctionLogWriter(publisher, o.prefix, cipher, { namespaceOf: (fn, version) => this.records.find(fn, version)?.namespace, worker: this.workerId, keep: o.logsKept, perSecond: o.logsPerSecond });
    const r: Running = { host, connections: [conn, publisher, catalogSub], consumers, heartbeat, logs, roster };
    if (traces && spans) {
      const detach = attachSpanStore({ take: (finished) => traces.take(spans.unheld(finished)) });
      r.detachTraces = async () => {
        await spans.close();
        await detach();
      };
    }
    this.running = r;

    r.stopCatalogWatch = await new FunctionCatalog(publisher, o.prefix).watch(catalogSub, (all) => this.onCatalog(r, catalogSnapshot(all)));
    r.stopSecretWatch = await secretStore.watch(catalogSub, (c) => this.onSecretChange(host, c));
    r.stopKnowledgeWatch = await knowledgeStore.watch(catalogSub, (c) => this.onKnowledgeChange(host, c));
    // Warm functions load before the first job is taken and before the worker says it is ready.
    await host.warm();
    this.accepting = true;
    consumers.sync(this.view.byFunction);
    if ((o.trainingConcurrency ?? 1) > 0) r.training = await this.startTraining(host, consumers, conn, publisher, catalogSub, cipher, onLog);
    r.stopChecks = answerDeployChecks(conn, publisher, o.prefix, { workerId: this.workerId, slot }, (rec) => this.secrets.checking(rec, () => this.fetchBundle(rec.hash).then(() => host.probe(rec))));
    await heartbeat.start();
    log.info('worker ready', { backend: host.backend, functions: consumers.functions(), models: host.stats().models.map((m) => m.key) });
    toSupervisor({ type: 'ready', workerId: this.workerId, backend: host.backend });
  }

  /**
   * Takes trainings from the queue of this slot's kind (`train.cpu`, `train.gpu`), each run by a
   * {@link Trainer} in a process of its own, so this event loop keeps renewing job locks and
   * serving calls while one runs.
   */
  private async startTraining(host: Host, consumers: ConsumerSet, conn: Redis, publisher: Redis, subscriber: Redis, cipher: PayloadCipher, onLog: (line: FunctionLogLine) => void): Promise<NonNullable<Running['training']>> {
    const o = this.opts;
    const store = new TrainingStore(publisher, o.prefix, cipher);
    const queues = new QueueSet(publisher, o.prefix);
    const trainer = new Trainer({
      slot: o.slot,
      // Live calls first: a training's steps wait while this worker runs any (ctx.giveWay).
      busy: () => consumers.inFlight() > 0,
      isolation: o.isolation ?? 'thread',
      records: this.records,
      fetcher: this.fetcher,
      secrets: this.secrets,
      knowledge: this.knowledge,
      chunk: (id, n) => store.chunk(id, n),
      onLog,
      backend: () => host.backend,
      gpuModule: o.gpuModule,
      bundleLimit: o.bundleLimit ?? 256 * 1024 * 1024,
      log: this.log,
    });
    const consumer = await TrainingConsumer.open({
      kind: o.slot.kind,
      concurrency: o.trainingConcurrency ?? 1,
      connection: conn,
      subscriber,
      prefix: o.prefix,
      store,
      jobs: new TrainingJobs(queues),
      workerId: this.workerId,
      run: trainer.run,
      keepS: Math.round((o.resultTtlMs ?? 86_400_000) / 1000),
      // A pool kept to some namespaces holds only their keys: it trains only their functions.
      serves: (view) => servesNamespace(o.slot.namespaces, view.namespace),
      lockDurationMs: o.jobLockMs,
      stalledIntervalMs: o.stalledIntervalMs,
      log: this.log,
    });
    return { consumer, trainer, queues };
  }

  /**
   * Runs one job through the host, in a span continuing the caller's trace. The span carries the
   * call's times (see `TIMING_ATTRIBUTES`): when it was queued, and from the host (an inference
   * thread or a sandbox, which has no network to send spans of its own) when it was picked for a
   * batch and when the handler ran; the trace API shows them as spans of their own.
   */
  private execute(host: Host, data: JobData, ctx: Parameters<Executor>[1], spans?: SpanCarrier): Promise<InvocationResult> {
    const parent = propagation.extract(ROOT_CONTEXT, { traceparent: data.traceparent, tracestate: data.tracestate });
    const span = this.tracer.startSpan(
      `execute ${data.fn}`,
      {
        kind: SpanKind.CONSUMER,
        attributes: {
          [NAMESPACE_ATTRIBUTE]: data.ns,
          'autoglm.job_id': ctx.jobId,
          'autoglm.version': data.version,
          'autoglm.attempt': ctx.attempt,
          'autoglm.device': this.opts.slot.id,
          'autoglm.backend': host.backend,
          'autoglm.isolation': this.opts.isolation ?? 'thread',
          ...(ctx.attempt === 1 ? { [TIMING_ATTRIBUTES.queued]: data.enqueuedAt } : {}),
        },
      },
      parent,
    );
    // Recorded (a store or an exporter takes spans) and awaited by a router that writes it: held for the done message.
    const carried = spans && data.replyTo && data.spansToRouter && span.isRecording() ? () => spans.hold(ctx.jobId, span as unknown as FinishedSpan) : undefined;
    const hash = this.records.find(data.fn, data.version)?.hash;
    return this.fetchBundle(hash)
      .then(() => host.execute({ ...data, id: ctx.jobId }, ctx.signal, ctx.onChunk))
      .then(
        (r) => {
          span.setAttribute('autoglm.batch_size', r.batchSize);
          if (r.batchSize > 0) {
            const { picked, started, finished } = r.timings;
            span.setAttributes({ [TIMING_ATTRIBUTES.picked]: picked, [TIMING_ATTRIBUTES.started]: started, [TIMING_ATTRIBUTES.finished]: finished });
          }
          if (r.error) span.setAttribute(TIMING_ATTRIBUTES.handlerError, r.error.code).setStatus({ code: SpanStatusCode.ERROR, message: r.error.code });
          span.end();
          carried?.();
          return r;
        },
        (err: unknown) => {
          span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error)?.message }).end();
          carried?.();
          throw err;
        },
      );
  }

  /** Makes sure a version's bundle is on this node before the host loads it; failures surface when it does. */
  private fetchBundle(hash: string | undefined): Promise<void> {
    if (!hash) return Promise.resolve();
    return this.fetcher.ensure(hash).then(
      () => undefined,
      (err) => this.log.warn('bundle not available', { hash: hash.slice(0, 12), err }),
    );
  }

  private onCatalog(r: Running, next: CatalogSnapshot): void {
    this.view = next;
    this.records.set(next.records, next.serving);
    for (const rec of next.records) if (next.serving.has(`${rec.name}@${rec.version}`)) void this.fetchBundle(rec.hash);
    r.host.setRecords(this.opts.watchDrift === false ? next.records.map(withoutDrift) : next.records, next.serving);
    if (!this.accepting) return;
    r.consumers.sync(next.byFunction);
    // The router's placement and /readyz should see the new set of functions now, not in 2 s.
    r.heartbeat.beat().catch(() => undefined);
  }

  /** Versions that read a changed secret load again with its new value. */
  private onSecretChange(host: Host, c: SecretChange): void {
    const keys = readersOf(this.view.records, c);
    if (keys.length === 0) return;
    this.log.info('a secret changed; loading its functions again', { ...(c ?? {}), versions: keys });
    host.reload(keys);
  }

  /**
   * Versions that list a collection put or removed load again with its current version (a removed
   * one fails their next load, saying so); batches running finish on the old load.
   */
  private onKnowledgeChange(host: Host, c: KnowledgeChange): void {
    const keys = readersOf(this.view.records, c, 'knowledge');
    if (keys.length === 0) return;
    this.log.info('a knowledge collection changed; loading its functions again', { ...(c ?? {}), versions: keys });
    host.reload(keys);
  }

  private async stop(reason: string): Promise<void> {
    // A start under way ends first (a lost inference thread fails it), so what it opened is known here.
    await this.starting?.catch(() => undefined);
    this.log.info('worker draining', { reason });
    this.accepting = false;
    this.stopGpuWatch();
    const r = this.running;
    if (!r) return;
    const closing = (async () => {
      // Off the roster first, by itself: it takes no new work, and this one cheap command must
      // not queue behind the slower closes below, which on a loaded node can outlast the time
      // Redis is given (a worker left listed looks crashed until its heartbeat goes stale).
      const left = r.heartbeat.stop().then(() => r.roster.leave(this.workerId)).catch(() => undefined);
      await r.stopCatalogWatch?.().catch(() => undefined);
      await r.stopSecretWatch?.().catch(() => undefined);
      await r.stopKnowledgeWatch?.().catch(() => undefined);
      // Running jobs finish; waiting ones stay queued for other workers. Running trainings are
      // stopped (their processes killed within 10 s) and handed back to the queue for another
      // worker, without spending an attempt: hours of training cannot wait for a drain.
      await Promise.all([r.consumers.close(), r.training?.consumer.close()]);
      r.training?.trainer.close();
      await r.training?.queues.close().catch(() => undefined);
      await r.stopChecks?.().catch(() => undefined);
      await r.logs.flush().catch(() => undefined);
      await r.detachTraces?.();
      await left;
    })();
    // Once the running jobs have ended and every training process is gone, Redis gets a moment to
    // take the rest: with it unreachable, closing the consumers would wait for the outage. A job
    // whose end Redis did not record is still active there and runs again once its lock expires,
    // as after a kill.
    await Promise.race([closing, Promise.all([r.consumers.idle(), r.training?.consumer.idle()])]);
    if (!(await releaseRedis(closing, r.connections))) {
      this.log.warn('Redis did not answer while the worker stopped; its connections were dropped', { waitedMs: RELEASE_REDIS_MS });
    }
    await r.host.close(); // no job runs any more
    this.log.info('worker stopped');
  }
}

/** A record whose version watches no drift: what hosts get with `AUTOGLM_DRIFT_WATCH=off`. */
function withoutDrift(rec: FunctionRecord): FunctionRecord {
  const { driftBaseline: _none, ...rest } = rec;
  return rest;
}
