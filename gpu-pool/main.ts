/**
 * The pool's entry point: one per node. Discovers devices (or reads the declared list), then
 * supervises one worker process per device slot.
 * Started by the launcher (`npm start`, `npm start -- --role pool`), which hands it its validated
 * configuration (AUTOGLM_POOL_CONFIG, see `PoolConfig`); it reads no other variable.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import { createLogger } from '../functions/sdk/index.ts';
import { POOL_CONFIG_VARIABLE, PoolRoster, RELEASE_REDIS_MS, connectRedis, formatBytes, releaseRedis, type PoolState } from '../queue/cluster/index.ts';
import { readPoolConfig } from './config.ts';
import { resolveIsolation } from './sandbox-launch.ts';
import { planSlots, probeGpus } from './devices.ts';
import { whenParentGone } from './parent-link.ts';
import { Supervisor } from './supervisor.ts';
import { servePoolHealth, type PoolHealthServer } from './pool-health.ts';

const parsed = readPoolConfig(process.env[POOL_CONFIG_VARIABLE]);
if (!parsed.ok) {
  process.stderr.write(`autoglm pool: bad configuration:\n  ${parsed.errors.join('\n  ')}\n`);
  process.exit(2);
}
const config = parsed.config;
const log = createLogger({ component: 'pool' }, config.logLevel);
const gpus = await probeGpus();
const slots = planSlots({ declared: config.devices, gpus, cpuWorkers: config.workers, cpuWorkersExplicit: config.workersExplicit, defaultMemoryBytes: config.modelMemoryBytes });
if (gpus.length > 0) {
  log.info('GPUs found', {
    gpus: gpus.map((g) => ({ index: g.index, name: g.name, memory: formatBytes(g.memoryTotalBytes), used: formatBytes(g.memoryUsedBytes), utilizationPct: g.utilizationPct, temperatureC: g.temperatureC })),
  });
}

// The isolation level is resolved once, here (a probe sandbox), and handed to every worker.
let isolation: Awaited<ReturnType<typeof resolveIsolation>>;
try {
  isolation = await resolveIsolation(config.isolation);
} catch (err) {
  log.error('function code cannot be isolated as configured', { isolation: config.isolation, err });
  process.exit(2);
}
if (isolation.level === 'thread' && isolation.passedOver.length) {
  log.error('function code runs UNSANDBOXED in the workers: no isolation level runs on this node (install bubblewrap, and let uid 65534 read the checkout: chmod o+rx on its folders; or set AUTOGLM_ISOLATION=thread to choose this)', { passedOver: isolation.passedOver });
} else if (isolation.passedOver.length) log.warn('a stronger isolation level cannot run on this node', { isolation: isolation.level, passedOver: isolation.passedOver });

const GIB = 1024 ** 3;
const supervisor = new Supervisor({
  slots,
  script: fileURLToPath(new URL('./worker-main.ts', import.meta.url)),
  // Workers run as this process does: the launcher's flags carry the TypeScript loader and tracing.
  execArgv: process.execArgv,
  // What the launcher handed this process: the inherited environment (PATH, OTEL_*…) and the
  // configuration, which workers read the same way.
  env: { ...process.env, [POOL_CONFIG_VARIABLE]: JSON.stringify({ ...config, isolation: isolation.level }) },
  graceMs: config.shutdownGraceMs,
  hangLimitMs: config.hangLimitMs,
  // Default limit: a CPU worker holds its models in its own memory, a GPU worker mostly on the card.
  maxRssBytes: (s) => config.maxRssBytes || (s.kind === 'cpu' ? s.memoryBytes + 1.5 * GIB : 4 * GIB),
  log,
});
supervisor.start();

// For a container runtime's probes (role `pool`): a port it cannot bind is a start failure, as the router's is.
let healthServer: PoolHealthServer | undefined;
if (config.healthPort !== undefined) {
  try {
    healthServer = await servePoolHealth({ host: config.healthHost, port: config.healthPort, health: () => supervisor.health() });
    log.info('pool health listening', { url: `${healthServer.url}/healthz` });
  } catch (err) {
    log.error('the pool health endpoint cannot listen (AUTOGLM_POOL_HEALTH_PORT, AUTOGLM_HOST)', { host: config.healthHost, port: config.healthPort, err });
    await supervisor.close();
    process.exit(2);
  }
}

// Every slot's state goes to Redis, so /readyz and `autoglm pool` show a slot whose worker is
// down or crash-looping too (it has no worker heartbeat of its own then).
const redis = connectRedis({ url: config.redisUrl, sentinel: config.redisSentinel }, 'producer', config.redisCaFile ? { tls: { ca: readFileSync(config.redisCaFile) } } : {});
redis.on('error', () => undefined);
const pools = new PoolRoster(redis, config.prefix);
const startedAt = Date.now();
const poolId = `${hostname()}-${process.pid}`;
const poolState = (): PoolState => ({
  id: poolId,
  host: hostname(),
  pid: process.pid,
  startedAt,
  slots: supervisor.state().map((s) => ({
    slot: s.slot,
    device: s.device.id,
    kind: s.device.kind,
    state: s.state,
    ...(s.pid !== undefined && s.state !== 'backoff' && s.state !== 'stopped' ? { pid: s.pid } : {}),
    restarts: s.restarts,
    ...(s.lastRestart ? { lastRestart: s.lastRestart, lastRestartAt: s.lastRestartAt } : {}),
  })),
});
const publish = () => void pools.beat(poolState()).catch(() => undefined);
publish();
const publisher = setInterval(publish, 2000);
log.info('pool started', { slots: slots.map((s) => `${s.id} (${s.name}, ${formatBytes(s.memoryBytes)} for models)`), backend: config.backend, inference: config.inference, isolation: isolation.level, namespaces: config.namespaces ?? '*' });

let stopping = false;
const stop = (reason: string) => {
  if (stopping) return;
  stopping = true;
  log.info('pool draining', { reason });
  clearInterval(publisher);
  // Gone first: a probe must not find a stopping pool healthy (it says so while it closes anyway).
  void healthServer?.close();
  const done = (code: number) => async () => {
    if (!(await releaseRedis(pools.leave(poolId).catch(() => undefined), [redis]))) log.warn('Redis did not answer while the pool stopped', { waitedMs: RELEASE_REDIS_MS });
    process.exit(code);
  };
  supervisor.close().then(done(0), done(1));
};
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));
whenParentGone(() => stop('launcher gone'));
