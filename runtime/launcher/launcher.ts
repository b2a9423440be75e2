import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { RedisOptions } from 'ioredis';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../../functions/sdk/index.ts';
import { BuiltinsClaim, SENTINEL_ONLY_URL, WorkerRoster, connectRedis, randomHex, evictionPolicy, newKeyringSpec, parseKeyring, type RedisTarget } from '../../queue/cluster/index.ts';
import { TELEMETRY_PRELOAD, flushTracing, installTracing } from '../telemetry/index.ts';
import { persistentSecret, writeStateFile, type Config } from '../config/index.ts';
import { ApiClient } from '../client/api-client.ts';
import { deployBuiltins } from '../registry/builtin-functions.ts';
import { TokenVerifier } from '../auth/index.ts';
import { artifactsDir, routerSecrets, startRouter, type RouterHandle } from '../router-process.ts';
import { BuiltinInstaller } from './builtin-installer.ts';
import { RouterCluster } from './router-cluster.ts';
import { hasRedisServer, startEmbeddedRedis, type EmbeddedRedis } from './embedded-redis.ts';
import { inheritedNodeFlags, poolEnvironment } from './pool-environment.ts';

const POOL_MAIN = fileURLToPath(new URL('../../gpu-pool/main.ts', import.meta.url));
const TS_LOADER = import.meta.resolve('tsx');

/** A problem the operator must fix; printed as one line, exit code 1. */
export class LaunchError extends Error {
  override readonly name = 'LaunchError';
}

/** What {@link launch} started, and how to stop it all. */
export interface Launched {
  /** Where this node's router (or router processes) answers; none for a pool node. */
  router: { url: string } | undefined;
  redisUrl: string;
  adminToken: string | undefined;
  /** A console link signing in as the admin token, once, within 10 minutes of the start (routers only). */
  consoleLink: string | undefined;
  /** Stops the router (processes), pool and embedded Redis, in that order. Idempotent. */
  stop(): Promise<void>;
  /** Signals the pool and Redis to stop now, without waiting (the operator insisted). */
  forceStop(): void;
}

/** The start was interrupted by `signal` (Ctrl-C, SIGTERM); what had started is stopped again. */
export class LaunchAborted extends Error {
  override readonly name = 'LaunchAborted';
  constructor() {
    super('stopped during start');
  }
}

/**
 * Starts this node's share of the platform for `config.role`: the embedded Redis when neither
 * `REDIS_URL` nor `REDIS_SENTINELS` is set, the router (in this process), and the pool (a child process). Shutdown
 * runs in dependency order so accepted work drains before Redis goes away.
 *
 * When `signal` aborts before the node is up, or a step fails, everything started so far is
 * stopped before this rejects (with {@link LaunchAborted}, or the step's error): the pool and
 * the embedded Redis run detached, in process groups of their own, and would outlive us.
 */
export async function launch(config: Config, log: Logger, signal?: AbortSignal, routerEntry?: string): Promise<Launched> {
  let redis: EmbeddedRedis | undefined;
  // Sentinels name the master: REDIS_URL then gives only credentials, db and TLS, if anything.
  let redisUrl = config.redisUrl ?? (config.redisSentinel ? SENTINEL_ONLY_URL : undefined);
  if (!redisUrl) {
    if (config.role !== 'all') throw new LaunchError(`role '${config.role}' shares a Redis with other nodes: set REDIS_URL=redis://host:6379 (or REDIS_SENTINELS and REDIS_SENTINEL_NAME)`);
    if (!hasRedisServer()) {
      throw new LaunchError('no REDIS_URL and no redis-server on PATH: install Redis 7 (e.g. `apt-get install redis-server`) or set REDIS_URL=redis://host:6379');
    }
    redis = await startEmbeddedRedis(config.stateDir, persistentSecret(config.stateDir, 'redis-password'), log);
    redisUrl = redis.url;
  }
  const target: RedisTarget = { url: redisUrl, sentinel: config.redisSentinel };
  // A private CA for `rediss://`, as the router and the pool trust it.
  const tls = config.redisCaFile ? { tls: { ca: readFileSync(config.redisCaFile) } } : {};
  if (!redis) await checkExternalRedis(target, tls);

  let router: RouterHandle | undefined;
  let routers: RouterCluster | undefined;
  let pool: ChildProcess | undefined;
  let adminToken: string | undefined;
  let consoleLink: string | undefined;
  let installer: { close(): Promise<void> } | undefined;
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      await installer?.close();
      await router?.close();
      await routers?.close();
      if (pool && pool.exitCode === null) {
        const exited = new Promise((r) => pool!.once('exit', r));
        pool.kill('SIGTERM');
        await exited;
      }
      await redis?.stop();
      await flushTracing();
    })());
  // Each step runs to its end (so whatever it started is known, and stopped); the two that wait
  // on others (a worker becoming ready, the built-ins' deploy) also end early on the signal.
  const interrupted = () => {
    if (signal?.aborted) throw new LaunchAborted();
  };
  try {
    interrupted();
    await installTracing({ service: 'autoglm-router' });
    const keys = config.encryptionKeys ?? persistentSecret(config.stateDir, 'encryption-keys', newKeyringSpec);
    const ring = parseKeyring(keys);
    if (!ring.ok) throw new LaunchError(`${join(config.stateDir, 'encryption-keys')}: ${ring.error}`);
    if (config.role !== 'pool' && config.routerProcesses > 1) {
      if (!routerEntry) throw new LaunchError('AUTOGLM_ROUTER_PROCESSES above 1 needs the router process entry (start with `npm start`)');
      const secrets = routerSecrets(config);
      routers = await RouterCluster.start({
        entry: routerEntry,
        processes: config.routerProcesses,
        settings: {
          config: { ...config, ...secrets, redisUrl },
          redisUrl,
          jwtSecret: secrets.jwtSecret,
          encryptionKeys: keys,
          ...holdFor(config),
        },
        log: log.child({ component: 'launcher' }),
        ...(signal ? { signal } : {}),
      }).catch((err: unknown) => {
        throw new LaunchError((err as Error).message);
      });
      if (config.role !== 'all' && !config.builtins) routers.started();
      interrupted();
      adminToken = await new TokenVerifier(config.builtinIssuer ? { secret: secrets.jwtSecret } : {}).mint({ sub: 'admin', roles: ['admin'], namespaces: ['*'] });
      writeStateFile(config.stateDir, 'admin-token', adminToken + '\n');
    } else if (config.role !== 'pool') {
      router = await startRouter({
        config,
        redisUrl,
        jwtSecret: config.jwtSecret ?? persistentSecret(config.stateDir, 'jwt-secret'),
        encryptionKeys: ring.ring,
        log: log.child({ component: 'router' }),
        // Ready means callable: not before the built-ins this node deploys below are there.
        ...holdFor(config),
      });
      interrupted();
      adminToken = await router.verifier.mint({ sub: 'admin', roles: ['admin'], namespaces: ['*'] });
      writeStateFile(config.stateDir, 'admin-token', adminToken + '\n');
    }
    if (config.role !== 'router') {
      interrupted();
      pool = startPool(config, redisUrl, keys);
      await waitForWorker(target, tls, config, pool, signal);
    }
    const served = router ?? routers;
    if (served && config.role === 'router' && config.builtins) {
      // In the background: a split install's router must not wait at start for a pool that may not be there.
      installer = installOnce(config, redisUrl, router ?? routers!, new ApiClient({ url: served.url, token: adminToken }), log);
    }
    if (served && config.role === 'all' && config.builtins) {
      interrupted();
      // Built-ins go through the same build → upload → load check as a user's `autoglm deploy`.
      const { refused } = await untilAborted(deployBuiltins(config.functionsDir, new ApiClient({ url: served.url, token: adminToken }), log), signal);
      for (const r of refused) log.error('built-in function not deployed', r);
      // Each is in the catalogue now, a new version loaded by a worker in its deploy check: the
      // built-ins are callable. One refused is logged above; it would never come, so it does not hold readiness.
      served.started();
    }
    if (served) {
      interrupted();
      // Through the API like any client's link, so it is audited as the admin's (console.link).
      consoleLink = (await new ApiClient({ url: served.url, token: adminToken }).consoleLink()).link;
    }
    interrupted();
  } catch (err) {
    await stop();
    throw signal?.aborted ? new LaunchAborted() : err;
  }

  // The pool dying on its own (bad config, crash loop) takes the node down with a clear message.
  pool?.on('exit', (code) => {
    if (!stopping) {
      log.error('the worker pool exited; stopping', { code });
      void stop().then(() => process.exit(1));
    }
  });
  const forceStop = () => {
    routers?.kill();
    pool?.kill('SIGKILL');
    redis?.kill();
  };
  return { router: router ?? routers, redisUrl, adminToken, consoleLink, stop, forceStop };
}

/**
 * Why a router's `/readyz` is held at its start: role `all`, until this node deploys the
 * built-ins; role `router`, until they are installed once on the Redis (see {@link installOnce}).
 */
function holdFor(config: Config): { starting?: string } {
  if (!config.builtins) return {};
  if (config.role === 'all') return { starting: 'deploying the built-in functions' };
  return config.role === 'router' ? { starting: 'built-in functions not deployed yet' } : {};
}

/**
 * Starts a router's {@link BuiltinInstaller} (role `router`): the built-ins deployed once per
 * Redis, by whichever router takes the lock once a pool worker is live. A cluster of router
 * processes takes part as one (the launcher holds the claim); its processes keep the hold they
 * started with, without the installer's finer reasons, until the install is done.
 */
function installOnce(config: Config, redisUrl: string, served: RouterHandle | RouterCluster, api: ApiClient, log: Logger): { close(): Promise<void> } {
  const r = connectRedis(redisUrl, 'producer', config.redisCaFile ? { tls: { ca: readFileSync(config.redisCaFile) } } : {});
  r.on('error', () => undefined);
  const roster = new WorkerRoster(r, config.prefix, config.workerStaleMs);
  const hold = (reason: string | undefined) => {
    if (!reason) served.started();
    else if ('hold' in served) served.hold(reason);
  };
  const installer = new BuiltinInstaller({
    claim: new BuiltinsClaim(r, config.prefix, 'routerId' in served ? served.routerId : `launcher-${randomHex(6)}`),
    liveWorkers: () => roster.liveCount(),
    deploy: () => deployBuiltins(config.functionsDir, api, log),
    hold,
    log: log.child({ component: 'builtins' }),
  });
  void installer.start();
  return {
    close: async () => {
      await installer.close();
      r.disconnect();
    },
  };
}

/** `p`, or a rejection with {@link LaunchAborted} as soon as `signal` aborts (`p` itself runs on). */
function untilAborted<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return p;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new LaunchAborted());
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

function startPool(config: Config, redisUrl: string, encryptionKeys: string): ChildProcess {
  return fork(POOL_MAIN, [], {
    // Tracing by preload: the pool may not import runtime/; its workers inherit these flags, and
    // the launcher's profiling ones.
    execArgv: ['--import', TS_LOADER, '--import', TELEMETRY_PRELOAD, ...inheritedNodeFlags(process.execArgv)],
    // Own process group: a terminal Ctrl-C reaches the launcher only, which drains in order.
    detached: true,
    env: poolEnvironment(config, { redisUrl, encryptionKeys, artifactsDir: config.role === 'all' ? artifactsDir(config.stateDir) : undefined }),
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}

async function checkExternalRedis(target: RedisTarget, tls: RedisOptions): Promise<void> {
  const where = typeof target !== 'string' && target.sentinel ? `the master '${target.sentinel.name}' of REDIS_SENTINELS` : 'Redis at REDIS_URL';
  const r = connectRedis(target, 'producer', { ...tls, lazyConnect: true, retryStrategy: () => null });
  r.on('error', () => undefined);
  try {
    await r.connect();
    const policy = await evictionPolicy(r);
    if (policy !== 'noeviction') {
      throw new LaunchError(`${where} has maxmemory-policy '${policy}'; queued jobs could be evicted. Set it to noeviction (CONFIG SET maxmemory-policy noeviction, and in redis.conf)`);
    }
  } catch (err) {
    if (err instanceof LaunchError) throw err;
    throw new LaunchError(`cannot reach ${where}: ${(err as Error).message}`);
  } finally {
    r.disconnect();
  }
}

async function waitForWorker(target: RedisTarget, tls: RedisOptions, config: Pick<Config, 'prefix' | 'workerStaleMs'>, pool: ChildProcess, signal?: AbortSignal): Promise<void> {
  const r = connectRedis(target, 'producer', tls);
  r.on('error', () => undefined);
  const roster = new WorkerRoster(r, config.prefix, config.workerStaleMs);
  try {
    for (let i = 0; i < 600; i++) {
      if (signal?.aborted) throw new LaunchAborted();
      if (pool.exitCode !== null) throw new LaunchError(`the worker pool exited during start (code ${pool.exitCode}); see its messages above`);
      if ((await roster.liveCount().catch(() => 0)) > 0) return;
      await new Promise((res) => setTimeout(res, 100));
    }
    throw new LaunchError('no worker became ready within 60 s');
  } finally {
    r.disconnect();
  }
}
