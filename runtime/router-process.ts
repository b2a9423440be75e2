import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ServerType } from '@hono/node-server';
import { createLogger, type Logger } from '../functions/sdk/index.ts';
import { TrainedVersions, Trainings } from './training/index.ts';
import { BoardQueues, CallbackConsumer, ChunkReader, TrainingFinishConsumer, TrainingJobs, DeployChecker, CallGrouper, JobLister, JobReader, JobRetrier, JobSubmitter, QueueSet, QueueStats, ResultBus, RetentionSweeper } from '../queue/jobs/index.ts';
import { AuditHeadStore, CallRollups, RolloutLeases, VersionCalls, ConsoleSessions, DriftCounts, FeedbackStore, FunctionCatalog, PayloadCipher, NamespaceLimiter, ShadowStats, RELEASE_REDIS_MS, PoolRoster, ReplicaWait, TraceStore, WorkerRoster, LoginAttempts, LoginCodes, connectRedis, placeFunction, readFunctionLogs, SecretStore, KnowledgeStore, TrainingStore, ResultCache, clearFunctionLogs, releaseRedis, type Keyring } from '../queue/cluster/index.ts';
import { AUDIT_KEYS_FILE, AuditLog, type AuditEvent, HeadSink, anchorsWithSink, auditNotes, newAuditKeySpec, openTransport, parseAuditKeys } from './audit/index.ts';
import { ConsoleOidc, TokenVerifier } from './auth/index.ts';
import { newHmacKeySpec, parseHmacKeys, persistentSecret, type Config } from './config/index.ts';
import { createApp } from './http/app.ts';
import { listenHttp } from './listen-http.ts';
import type { AppDeps } from './http/app-deps.ts';
import { InputValidator } from './http/input-validator.ts';
import { ArtifactStore } from './registry/artifact-store.ts';
import { CatalogMirror } from './registry/catalog-mirror.ts';
import { Registry } from './registry/registry.ts';
import { ShadowRunner } from './registry/shadow-runner.ts';
import { CallbackGuard, WEBHOOK_KEYS_FILE, WebhookKeys, createWebhookSender, type ResolveHost } from './webhooks/index.ts';
import { DriftWatch, alertSender } from './drift/index.ts';
import { CallRecorder, type AnsweredCall } from './metrics/index.ts';
import { RolloutControl, RolloutDriver, VersionRecorder, rolloutAlertSender } from './rollouts/index.ts';
import { attachSpanSink } from './telemetry/index.ts';

/** A running router: its URL, the token verifier (to mint tokens), and `close()`. */
export interface RouterHandle {
  url: string;
  port: number;
  verifier: TokenVerifier;
  routerId: string;
  /** Ends the hold {@link RouterOptions.starting} puts on readiness. Idempotent. */
  started(): void;
  /** Holds readiness for `reason` (as `/readyz` gives it) until {@link started} or another hold. */
  hold(reason: string): void;
  /** Stops accepting, lets in-flight requests finish within the grace period, releases Redis. Idempotent. */
  close(): Promise<void>;
}

/** What the router needs beyond {@link Config}: the resolved Redis URL and secrets. */
export interface RouterOptions {
  config: Config;
  redisUrl: string;
  jwtSecret: string;
  /** Keys sealing job payloads in Redis (shared with the pool). */
  encryptionKeys: Keyring;
  log?: Logger;
  /** How callback URLs' host names are resolved [the system resolver]; tests hand in one whose answers change. */
  resolveHost?: ResolveHost;
  /**
   * Why the node may not take traffic yet though the router is up, as `/readyz` gives it, until
   * {@link RouterHandle.started}: the launcher deploys the built-in functions through this
   * router's API, and a client that waited for readiness must find them. [none: ready at once]
   */
  starting?: string;
}

/** The keys a router signs and seals with, as {@link routerSecrets} settles them. */
export interface RouterSecrets {
  jwtSecret: string;
  webhookKeys: string;
  auditKeys: string;
}

/**
 * The router's keys: the configured ones, else those kept in the state directory (made on first
 * use). The launcher reads them once, before it forks router processes, and hands each the same:
 * processes creating a key file at once could read it empty, between its creation and its write.
 */
export function routerSecrets(config: Config): RouterSecrets {
  return {
    jwtSecret: config.jwtSecret ?? persistentSecret(config.stateDir, 'jwt-secret'),
    webhookKeys: config.webhookKeys ?? persistentSecret(config.stateDir, WEBHOOK_KEYS_FILE, () => newHmacKeySpec(`w${Date.now().toString(36)}`)),
    auditKeys: config.auditKeys ?? persistentSecret(config.stateDir, AUDIT_KEYS_FILE, newAuditKeySpec),
  };
}

/** Where bundles are stored on this node: pool workers on the node read the same directory. */
export const artifactsDir = (stateDir: string): string => join(stateDir, 'artifacts');

/** A Redis connection, as the queue layer opens it. */
type Redis = ReturnType<typeof connectRedis>;

/** The router's Redis connections: commands, result and catalogue subscriptions, callback consumer, the queue board. */
interface RouterRedis {
  producer: Redis;
  subscriber: Redis;
  catalogSubscriber: Redis;
  consumerConn: Redis;
  /** BullMQ's board polls (job counts, pages of jobs, INFO, CLIENT LIST per queue): kept off the connection invocations pipeline on. */
  board: Redis;
  /**
   * Async submissions and secret changes, which end in a `WAIT` for replicas
   * (AUTOGLM_REDIS_MIN_REPLICAS): WAIT blocks its connection until the replicas answer (up to
   * its timeout, with a replica down), and must not hold up the sync calls on `producer`.
   */
  durable: Redis;
  /** Blocked in XREAD for the chunks of every streaming call this router holds (one for all of them, see `ChunkReader`). */
  chunkReader: Redis;
}

function connectRouterRedis(redisUrl: string, config: Config): RouterRedis {
  // A private CA for `rediss://` (TLS) Redis; ACL credentials come in the URL; with sentinels,
  // every connection finds the master through them.
  const redisTls = config.redisCaFile ? { tls: { ca: readFileSync(config.redisCaFile) } } : {};
  const target = { url: redisUrl, sentinel: config.redisSentinel };
  const redis = {
    producer: connectRedis(target, 'producer', { enableAutoPipelining: true, ...redisTls }),
    subscriber: connectRedis(target, 'subscriber', redisTls),
    catalogSubscriber: connectRedis(target, 'subscriber', redisTls),
    consumerConn: connectRedis(target, 'consumer', redisTls),
    board: connectRedis(target, 'producer', redisTls),
    durable: connectRedis(target, 'producer', { enableAutoPipelining: true, ...redisTls }),
    chunkReader: connectRedis(target, 'consumer', redisTls),
  };
  for (const c of Object.values(redis)) c.on('error', () => undefined);
  return redis;
}

/** Builds the queue and control parts the API runs on; nothing is started yet. */
function wireParts(opts: RouterOptions, producer: Redis, subscriber: Redis, durable: Redis, routerId: string) {
  const { config } = opts;
  const queues = new QueueSet(producer, config.prefix);
  const durableQueues = new QueueSet(durable, config.prefix);
  // AUTOGLM_REDIS_MIN_REPLICAS: what a 202, a deploy and a secret change wait for before they are reported.
  const replicaWait = new ReplicaWait(config.redisMinReplicas, config.redisMinReplicasTimeoutMs);
  const catalog = new FunctionCatalog(producer, config.prefix, replicaWait);
  const functions = new CatalogMirror();
  const cipher = new PayloadCipher(opts.encryptionKeys);
  const jobs = new JobReader(producer, queues, config.prefix, cipher, Math.round(config.resultTtlMs / 1000));
  const traces = new TraceStore(producer, config.prefix, cipher, { keep: config.traceKeep, failedTtlMs: config.traceFailedTtlMs });
  const results = new ResultBus(subscriber, {
    prefix: config.prefix,
    routerId,
    check: (id) => jobs.check(id),
    missing: (id) => jobs.missing(id),
    open: (msg) => jobs.openMessage(msg),
    // Workers send their spans of this router's calls with the answers; written with the router's own.
    ...(config.traceStore ? { spans: (spans) => traces.carry(spans) } : {}),
  });
  const submitterOptions = {
    cipher,
    prefix: config.prefix,
    maxQueueDepth: config.maxQueueDepth,
    resultTtlSeconds: Math.round(config.resultTtlMs / 1000),
    failedTtlSeconds: Math.round(config.failedTtlMs / 1000),
  };
  const submitter = new JobSubmitter(queues, submitterOptions);
  // Async jobs: the same, on the durable connection, confirmed on replicas before the 202.
  const asyncSubmitter = new JobSubmitter(durableQueues, { ...submitterOptions, replicaWait });
  const limits = config.namespaceLimits;
  const limiter = new NamespaceLimiter(producer, config.prefix, (ns) => ({ rate: 0, concurrency: 0, ...(limits['*'] ?? {}), ...(limits[ns] ?? {}) }));
  const calls = new CallGrouper(submitter, results, limiter, { routerId, maxItems: config.groupMax, maxWaitMs: config.groupWaitMs, spansToRouter: config.traceStore });
  const verifier = new TokenVerifier({
    ...(config.builtinIssuer ? { secret: opts.jwtSecret } : {}),
    ...(config.idp ? { idp: config.idp, jwksCooldownMs: config.idp.jwksCooldownMs } : {}),
  });
  const artifacts = new ArtifactStore(artifactsDir(config.stateDir));
  const shadowStats = new ShadowStats(producer, config.prefix);
  const checker = new DeployChecker(producer, config.prefix, results, routerId);
  const workers = new WorkerRoster(producer, config.prefix, config.workerStaleMs);
  const pools = new PoolRoster(producer, config.prefix);
  const secrets = new SecretStore(durable, config.prefix, cipher, replicaWait);
  // Knowledge collections: the routes put and read them; workers open them (sealed with the same keys).
  const knowledge = new KnowledgeStore(producer, config.prefix, cipher, { maxBytes: config.knowledgeLimit });
  const registry = new Registry(catalog, artifacts, checker, queues, shadowStats, {
    loadCheckTimeoutMs: config.loadCheckTimeoutMs,
    maxBundleBytes: config.bundleLimit,
    maxBundleEntries: config.bundleMaxEntries,
    minRolloutIntervalMs: config.rollouts.minIntervalMs,
    // Refuse at deploy what no device of the live pool can run, rather than queue it forever.
    // With no live worker there is nothing to judge by; the load check then reports that.
    placement: async (bundle, namespace) => {
      const inventory = await workers.inventory();
      if (inventory.length === 0) return { ok: true };
      const placed = placeFunction({ ...bundle.manifest, namespace }, inventory);
      if (!placed.ok) return { ok: false, reason: `${bundle.manifest.name}: ${placed.reason}` };
      // Workers of pools that run only some namespaces take checks by name: pick one that fits.
      if (placed.slots.some((s) => !s.namespaces)) return { ok: true };
      return { ok: true, checkOn: placed.slots[Math.floor(Math.random() * placed.slots.length)]!.worker };
    },
    missingSecrets: (namespace, names) => secrets.missing(namespace, names),
    missingKnowledge: (namespace, names) => knowledge.missing(namespace, names),
    onChange: (name, state) => functions.apply(name, state),
  });
  // Feedback on outputs: the routes write it; describe, metrics and rollouts read its figures.
  const feedback = new FeedbackStore(producer, config.prefix, cipher, { ttlMs: config.feedbackTtlMs });
  // Trainings: datasets sealed in Redis, run by pool workers; what they make is recorded by a router (TrainedVersions).
  const trainingStore = new TrainingStore(producer, config.prefix, cipher);
  const keepS = Math.round(config.resultTtlMs / 1000);
  const trainings = new Trainings({ store: trainingStore, jobs: new TrainingJobs(queues), workers, feedback, maxBytes: config.trainingDataLimit, keepS });
  return { queues, durableQueues, catalog, functions, cipher, jobs, results, submitter, asyncSubmitter, limiter, calls, verifier, artifacts, shadowStats, checker, workers, pools, secrets, knowledge, registry, traces, feedback, trainingStore, trainings };
}

/** The router's parts, as {@link wireParts} builds them. */
type RouterParts = ReturnType<typeof wireParts>;

/** After a key rotation, secrets move to the new key, so the old one can be dropped once the jobs it sealed have expired. */
function resealSecrets({ secrets, cipher }: RouterParts, log: Logger): void {
  void secrets.reseal().then(
    (count) => count && log.info('secrets sealed again with the active key', { count, key: cipher.activeKey }),
    (err: unknown) => log.warn('could not seal secrets again with the active key', { err }),
  );
}

/** What the HTTP app is handed: the parts, and the router's own hooks (Redis ping, audit, draining). */
function appDeps(
  p: RouterParts,
  opts: RouterOptions,
  ctx: { producer: Redis; chunks: ChunkReader; boardQueues: QueueSet; routerId: string; auditLog: AuditLog; webhookKeys: WebhookKeys; callbackGuard: CallbackGuard; calls: AppDeps['callRollups']; rollouts: AppDeps['rollouts']; log: Logger; draining: () => boolean; starting: () => string | undefined },
): AppDeps {
  const { config } = opts;
  const { producer, log, auditLog } = ctx;
  return {
    functions: p.functions,
    submitter: p.asyncSubmitter,
    calls: p.calls,
    results: p.results,
    chunks: ctx.chunks,
    jobs: p.jobs,
    jobLister: new JobLister(p.queues),
    retrier: new JobRetrier(p.queues, p.limiter),
    workers: p.workers,
    pools: p.pools,
    verifier: p.verifier,
    validator: new InputValidator(),
    pingRedis: () => producer.ping().then(() => true, () => false),
    redisFull: () => redisAtMaxmemory(producer),
    routerId: ctx.routerId,
    bodyLimit: config.bodyLimit,
    maxJsonDepth: config.maxJsonDepth,
    bundleLimit: config.bundleLimit,
    registry: p.registry,
    artifacts: p.artifacts,
    shadow: new ShadowRunner(p.calls, p.shadowStats, log),
    shadowStats: p.shadowStats,
    logs: { read: (fn, q) => readFunctionLogs(producer, config.prefix, p.cipher, fn, q), clear: (fn) => clearFunctionLogs(producer, config.prefix, fn) },
    secrets: p.secrets,
    knowledge: p.knowledge,
    trainings: p.trainings,
    webhookKeys: ctx.webhookKeys,
    callbackGuard: ctx.callbackGuard,
    limiter: p.limiter,
    log,
    auditLog,
    audit: auditNotes(auditLog, log),
    draining: ctx.draining,
    starting: ctx.starting,
    queueStats: new QueueStats(p.queues),
    traces: p.traces,
    driftCounts: new DriftCounts(producer, opts.config.prefix),
    feedback: { store: p.feedback, resultTtlMs: config.resultTtlMs },
    ...(config.resultCache ? { resultCache: new ResultCache(producer, config.prefix, p.cipher, config.resultTtlMs) } : {}),
    ...(ctx.calls ? { callRollups: ctx.calls } : {}),
    ...(ctx.rollouts ? { rollouts: ctx.rollouts } : {}),
    metricsPublic: config.metricsPublic,
    queueBoard: { boardQueues: new BoardQueues(ctx.boardQueues), sessions: new ConsoleSessions(producer, config.prefix), sessionTtlMs: config.consoleSessionTtlMs, secureCookie: config.tls !== undefined },
    loginCodes: { codes: new LoginCodes(producer, config.prefix), attempts: new LoginAttempts(producer, config.prefix) },
    ...(config.idp ? { idpClaims: { roles: config.idp.rolesClaim, namespaces: config.idp.namespacesClaim } } : {}),
    ...(config.consoleOidc && config.idp ? { consoleOidc: new ConsoleOidc({ issuer: config.idp.issuer, ...config.consoleOidc }) } : {}),
  };
}

/** Stops accepting; in-flight requests (sync waits included) get the grace period to finish. */
function drainServer(server: ServerType, graceMs: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const t = setTimeout(() => {
      (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      resolve();
    }, graceMs);
    server.close(() => (clearTimeout(t), resolve()));
    (server as unknown as { closeIdleConnections?: () => void }).closeIdleConnections?.();
  });
}

/**
 * Starts the router: Hono API on `@hono/node-server`, the shared result subscription, the
 * function catalogue watch, the registry, and the webhook delivery consumer.
 */
export async function startRouter(opts: RouterOptions): Promise<RouterHandle> {
  const { config } = opts;
  const log = opts.log ?? createLogger({ component: 'router' }, config.logLevel);
  const routerId = randomBytes(6).toString('hex');
  const redis = connectRouterRedis(opts.redisUrl, config);
  const { producer } = redis;
  const parts = wireParts(opts, producer, redis.subscriber, redis.durable, routerId);
  resealSecrets(parts, log);

  // Each chain's head goes to Redis, and to the operator's append-only sink when one is set.
  // Read here, by the router only: pools are never given the keys that seal the audit trail or sign webhooks.
  const secrets = routerSecrets(config);
  const headStore = new AuditHeadStore(producer, config.prefix);
  const sink = config.auditSink ? new HeadSink(openTransport(config.auditSink.url, config.auditSink.token), log.child({ component: 'audit' })) : undefined;
  const auditLog = await AuditLog.open({
    dir: join(config.stateDir, 'audit'),
    keys: parseAuditKeys(secrets.auditKeys),
    anchors: sink ? anchorsWithSink(headStore, sink) : headStore,
    retentionMs: config.auditRetentionMs,
    verifyIntervalMs: config.auditVerifyIntervalMs,
    ...(config.auditChainId ? { chainId: config.auditChainId } : {}),
    log: log.child({ component: 'audit' }),
  });
  const stopWatch = await parts.catalog.watch(redis.catalogSubscriber, (all) => parts.functions.replace(all));
  await parts.results.start();
  const webhookKeys = new WebhookKeys(parseHmacKeys(secrets.webhookKeys));
  /** Records what the platform itself did (drift alerts, refused webhooks); a record the log cannot take is logged as lost. */
  const appendAudit = (event: AuditEvent): void => {
    try {
      auditLog.append(event);
    } catch (err) {
      log.error('audit record lost', { err, action: event.action });
    }
  };
  // One guard checks callback URLs at submission and again at delivery.
  const callbackGuard = new CallbackGuard({ ...(config.callbackAllow ? { allow: config.callbackAllow } : {}), ...(opts.resolveHost ? { resolve: opts.resolveHost } : {}) });
  const callbacks = new CallbackConsumer(redis.consumerConn, config.prefix, parts.jobs, createWebhookSender({
      keys: webhookKeys,
      guard: callbackGuard,
      ...(config.callbackCaFile ? { ca: readFileSync(config.callbackCaFile, 'utf8') } : {}),
      log: log.child({ component: 'webhooks' }),
      onRefused: ({ jobId, namespace, reason }) => appendAudit({ actor: 'system', roles: [], action: 'webhook.refused', namespace, jobId, outcome: 'error', code: 'CALLBACK_URL_REFUSED', detail: { reason } }),
    }));
  // Versions trained on the pool are recorded by one router each (the finish queue), and every training's end is audited once, by the router that took its finish job.
  const trainedVersions = new TrainedVersions({
    store: parts.trainingStore,
    artifacts: parts.artifacts,
    registry: parts.registry,
    keepS: Math.round(config.resultTtlMs / 1000),
    onEnd: (v) => appendAudit({ actor: 'system', roles: [], action: 'training.end', namespace: v.namespace, function: v.function, version: v.version, outcome: v.status === 'succeeded' ? 'ok' : 'error', ...(v.error ? { code: v.error.code } : {}), detail: { training: v.id, status: v.status } }),
  });
  const trainingFinish = new TrainingFinishConsumer(redis.consumerConn, config.prefix, (id) => trainedVersions.finish(id));
  const retention = new RetentionSweeper(parts.queues, {
    resultTtlMs: config.resultTtlMs,
    failedTtlMs: config.failedTtlMs,
    functions: () => parts.functions.list().map((f) => f.name),
    onError: (err) => log.warn('could not remove expired jobs; trying again at the next sweep', { err }),
  });
  retention.start();
  // Drift verdicts of the serving versions, announced once per change across the routers.
  const driftWatch = new DriftWatch({
    redis: producer,
    prefix: config.prefix,
    counts: new DriftCounts(producer, config.prefix),
    functions: () => parts.functions.list(),
    ...(config.alertUrl ? { send: alertSender(config.alertUrl, webhookKeys) } : {}),
    audit: appendAudit,
    log: log.child({ component: 'drift' }),
    everyMs: config.driftCheckIntervalMs,
  });
  driftWatch.start();

  // This router's spans go to the trace store (and the pool's workers write theirs), so a job's trace reads with no collector.
  const detachSpans = config.traceStore ? attachSpanSink(parts.traces) : async () => undefined;
  const detachTraces = async () => {
    await detachSpans();
    await parts.traces.flushCarried();
  };

  // What this router answers, per function and minute, for the console's charts.
  const callRollups = new CallRollups(producer, config.prefix);
  const callRecorder = new CallRecorder(callRollups);
  // Rollouts: this router counts the rolling functions' calls per version, and drives the rollouts whose lease it holds.
  const versionCalls = new VersionCalls(producer, config.prefix);
  const versionRecorder = new VersionRecorder(versionCalls, (fn) => parts.functions.get(fn)?.rollout?.state === 'progressing');
  const leases = new RolloutLeases(producer, config.prefix, routerId, config.rollouts.leaseMs);
  const sendRolloutAlert = config.alertUrl ? rolloutAlertSender(config.alertUrl, webhookKeys) : undefined;
  const rolloutDriver = new RolloutDriver({
    catalog: parts.catalog,
    functions: () => parts.functions.list(),
    leases,
    calls: versionCalls,
    shadow: parts.shadowStats,
    feedback: (fn, sinceMs, untilMs) => parts.feedback.windowScores(fn, sinceMs, untilMs),
    routerId,
    audit: appendAudit,
    ...(sendRolloutAlert ? { send: sendRolloutAlert } : {}),
    log: log.child({ component: 'rollouts' }),
    tickMs: config.rollouts.tickMs,
    settleMs: config.rollouts.settleMs,
  });
  rolloutDriver.start();
  const rolloutControl = new RolloutControl(parts.catalog, parts.shadowStats, { onChange: (name, state) => parts.functions.apply(name, state), ...(sendRolloutAlert ? { send: sendRolloutAlert } : {}) });
  // A rollout judges versions by the calls they ran: an answer from the result cache says nothing of the version's speed.
  const recordCall = { record: (c: AnsweredCall) => (callRecorder.record(c), c.cache !== 'hit' && versionRecorder.record(c)) };

  let draining = false;
  let starting = opts.starting;
  const boardQueues = new QueueSet(redis.board, config.prefix);
  const chunks = new ChunkReader(redis.chunkReader, producer, { prefix: config.prefix, routerId, cipher: parts.cipher });
  const app = createApp(appDeps(parts, opts, { producer, chunks, boardQueues, routerId, auditLog, webhookKeys, callbackGuard, calls: { recorder: recordCall, rollups: callRollups }, rollouts: { control: rolloutControl, leases }, log, draining: () => draining, starting: () => starting }));
  const { server, url, port } = await listenHttp(app.fetch, config);
  log.info('router listening', { url, routerId });

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      draining = true;
      await drainServer(server, config.shutdownGraceMs);
      parts.results.close();
      await chunks.close();
      // Handlers released by results.close() answer (and are audited) on the next ticks.
      await new Promise((r) => setTimeout(r, 50));
      await auditLog.close(); // after the server: requests finishing in the grace period are still recorded
      await sink?.close();
      const closing = (async () => {
        await parts.shadowStats.flush().catch(() => undefined);
        await detachTraces();
        await callbacks.close();
        await trainingFinish.close();
        await retention.close();
        await driftWatch.close();
        await callRecorder.close();
        await rolloutDriver.close();
        await versionRecorder.close();
        await parts.checker.close();
        await stopWatch();
        await parts.queues.close();
        await parts.durableQueues.close();
        await boardQueues.close();
      })();
      if (!(await releaseRedis(closing, Object.values(redis)))) {
        log.warn('Redis did not answer while the router stopped; its connections were dropped', { waitedMs: RELEASE_REDIS_MS });
      }
      log.info('router stopped');
    })());

  return { url, port, verifier: parts.verifier, routerId, started: () => (starting = undefined), hold: (reason: string) => (starting = reason), close };
}

/**
 * Whether Redis's used memory has reached its `maxmemory` (under `noeviction` it then refuses
 * writes), read from `INFO memory`; undefined when Redis will not say (INFO not permitted).
 */
async function redisAtMaxmemory(redis: Redis): Promise<boolean | undefined> {
  const info = await redis.info('memory').catch(() => undefined);
  if (!info) return undefined;
  const field = (name: string) => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(info)?.[1]);
  const used = field('used_memory');
  const max = field('maxmemory');
  return Number.isFinite(used) && max > 0 ? used >= max : false;
}
