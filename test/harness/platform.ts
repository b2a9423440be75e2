import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';
import { createLogger } from '../../functions/sdk/index.ts';
import { TS_EXEC_ARGV } from '../../gpu-pool/supervisor.ts';
import { WorkerRoster, connectRedis, newKeyringSpec, parseKeyring } from '../../queue/cluster/index.ts';
import { TELEMETRY_PRELOAD, installTracing } from '../../runtime/telemetry/index.ts';
import { loadConfig } from '../../runtime/config/index.ts';
import { ApiClient } from '../../runtime/client/api-client.ts';
import { deployBuiltins } from '../../runtime/registry/builtin-functions.ts';
import { startRouter, type RouterHandle } from '../../runtime/router-process.ts';
import type { ResolveHost } from '../../runtime/webhooks/index.ts';
import { poolEnv } from './pool-env.ts';
import { eventually } from './eventually.ts';

/** Re-exported: tests import it from here. */
export { eventually };

const POOL_MAIN = fileURLToPath(new URL('../../gpu-pool/main.ts', import.meta.url));
export const JWT_SECRET = 'test-secret-test-secret-test-secret-0123';
/** The router's webhook master keys (`AUTOGLM_WEBHOOK_KEYS`); a test may set its own. */
export const WEBHOOK_KEYS = 'w1:webhook-secret-webhook-secret-0123456789';

/**
 * Environment for a platform whose webhook receivers listen on 127.0.0.1: loopback is refused
 * unless `AUTOGLM_CALLBACK_ALLOW` lists it by address.
 */
export const LOOPBACK_CALLBACKS: Readonly<Record<string, string>> = { AUTOGLM_CALLBACK_ALLOW: '127.0.0.1' };

/** A pool started as a real child process (`gpu-pool/main.ts`), as the launcher runs it. */
export interface TestPool {
  proc: ChildProcess;
  /** The environment it was started with (its configuration: `AUTOGLM_POOL_CONFIG`). */
  env: Record<string, string>;
  /** Live worker pids, from the registry. */
  workerPids(): Promise<number[]>;
  /** What the pool and its workers wrote (their log lines), so far; it also goes to this process's output. */
  output(): string;
  stop(): Promise<void>;
}

/** A router (in the test process, on a real port) plus a real pool, sharing a test Redis. */
export interface TestPlatform {
  url: string;
  /** `AUTOGLM_STATE_DIR` of the router and its pools (a fresh temporary folder). */
  stateDir: string;
  router: RouterHandle;
  pool: TestPool | undefined;
  prefix: string;
  redis: Redis;
  /** The worker roster as the platform's router reads it (its `AUTOGLM_WORKER_STALE`). */
  roster: WorkerRoster;
  /** A token with these roles (default admin), of these namespaces (default: none named, which the API reads as `default`). */
  token(roles?: string[], sub?: string, namespaces?: string[]): Promise<string>;
  /** fetch against the router with a bearer token and JSON body. */
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; headers: Headers; json: any }>;
  startPool(env?: Record<string, string>): Promise<TestPool>;
  /** An API client with an admin token. */
  api: ApiClient;
  /** The admin token the harness uses. */
  adminToken: string;
  stop(): Promise<void>;
}

const REPO = fileURLToPath(new URL('../..', import.meta.url));
/** Function folders deployed by default: the smoke-test function only, to keep tests fast. */
const DEFAULT_FUNCTIONS = join(REPO, 'test', 'fixtures', 'default-functions');

let seq = 0;

/**
 * Starts a platform against `redisUrl` under a fresh key prefix. Environment overrides go to
 * both the router's config and the pool (e.g. `AUTOGLM_JOB_LOCK`; `REDIS_SENTINELS` and
 * `REDIS_SENTINEL_NAME` make every connection, the harness's too, find the master through
 * sentinels, `redisUrl` then naming only the first master).
 */
export async function startPlatform(
  redisUrl: string,
  opts: {
    env?: Record<string, string>;
    pool?: boolean;
    workers?: number;
    /** Deploy the function folders in AUTOGLM_FUNCTIONS_DIR (default: echo). Default true. */
    deploy?: boolean;
    /** The router's resolver of callback host names [the system's]. */
    resolveHost?: ResolveHost;
  } = {},
): Promise<TestPlatform> {
  await installTracing({ service: 'autoglm-router' });
  const prefix = opts.env?.AUTOGLM_REDIS_PREFIX ?? `t${process.pid}x${++seq}x${Date.now().toString(36)}`;
  const stateDir = mkdtempSync(join(tmpdir(), 'autoglm-state-'));
  const env: Record<string, string> = {
    REDIS_URL: redisUrl,
    AUTOGLM_REDIS_PREFIX: prefix,
    AUTOGLM_PORT: '0',
    AUTOGLM_STATE_DIR: stateDir,
    AUTOGLM_WORKERS: String(opts.workers ?? 1),
    AUTOGLM_SHUTDOWN_GRACE: '5s',
    AUTOGLM_LOG_LEVEL: 'warn',
    AUTOGLM_ENCRYPTION_KEYS: newKeyringSpec('test'),
    AUTOGLM_WEBHOOK_KEYS: WEBHOOK_KEYS,
    ...opts.env,
  };
  const parsed = loadConfig(env);
  if (!parsed.ok) throw new Error(parsed.errors.join('; '));
  const ring = parseKeyring(env.AUTOGLM_ENCRYPTION_KEYS!);
  if (!ring.ok) throw new Error(ring.error);
  const router = await startRouter({
    config: parsed.config,
    redisUrl,
    jwtSecret: JWT_SECRET,
    encryptionKeys: ring.ring,
    log: createLogger({ test: true }, 'error'),
    ...(opts.resolveHost ? { resolveHost: opts.resolveHost } : {}),
  });
  const redis = connectRedis({ url: redisUrl, sentinel: parsed.config.redisSentinel }, 'consumer', env.AUTOGLM_REDIS_CA ? { tls: { ca: readFileSync(env.AUTOGLM_REDIS_CA) } } : {});
  redis.on('error', () => undefined);
  // The worker roster as the router reads it (the platform's AUTOGLM_WORKER_STALE), for the pool's start and the tests.
  const roster = new WorkerRoster(redis, prefix, parsed.config.workerStaleMs);
  const adminToken = await router.verifier.mint({ sub: 'test-admin', roles: ['admin'] });

  // A worker token lets the pool download bundles from the router when its artifact directory lacks them.
  const workerToken = await router.verifier.mint({ sub: 'pool', roles: ['worker'] });
  const startPool = async (extra: Record<string, string> = {}): Promise<TestPool> => {
    const processEnv = poolEnv({ PATH: process.env.PATH, AUTOGLM_ROUTER_URL: router.url, AUTOGLM_WORKER_TOKEN: workerToken, ...env, ...extra });
    const proc = fork(POOL_MAIN, [], { execArgv: [...TS_EXEC_ARGV, '--import', TELEMETRY_PRELOAD], env: processEnv, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    let output = '';
    proc.stdout!.on('data', (d: Buffer) => ((output += d), process.stdout.write(d)));
    proc.stderr!.on('data', (d: Buffer) => ((output += d), process.stderr.write(d)));
    const want = Number(extra.AUTOGLM_WORKERS ?? env.AUTOGLM_WORKERS);
    await eventually(async () => {
      if (proc.exitCode !== null) throw new Error(`pool exited with ${proc.exitCode}`);
      return (await roster.liveCount()) >= want;
    }, `${want} live worker(s)`);
    const pool: TestPool = {
      proc,
      env: processEnv,
      workerPids: async () => (await roster.live()).map((w) => w.pid),
      output: () => output,
      stop: () =>
        new Promise<void>((resolve) => {
          if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
          proc.once('exit', () => resolve());
          proc.kill('SIGTERM');
        }),
    };
    platform.pool = pool;
    return pool;
  };

  const platform: TestPlatform = {
    url: router.url,
    stateDir,
    router,
    pool: undefined,
    prefix,
    redis,
    roster,
    token: (roles = ['admin'], sub = 'tester', namespaces) => router.verifier.mint({ sub, roles, ...(namespaces ? { namespaces } : {}) }),
    async call(method, path, body, headers = {}) {
      const res = await fetch(router.url + path, {
        method,
        headers: { authorization: `Bearer ${adminToken}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
        ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
      });
      const text = await res.text();
      let json: unknown;
      try {
        json = text ? JSON.parse(text) : undefined;
      } catch {
        json = text;
      }
      return { status: res.status, headers: res.headers, json };
    },
    startPool,
    api: new ApiClient({ url: router.url, token: adminToken }),
    adminToken,
    async stop() {
      await platform.pool?.stop();
      await router.close();
      redis.disconnect();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
  if (opts.pool ?? true) await startPool();
  if (opts.deploy ?? true) {
    // Deploys go through the real path (build → upload → load check on a worker), so a pool must
    // run while they do; a test that wants no pool gets a temporary one.
    const temporary = !platform.pool;
    if (temporary) await startPool();
    const { refused } = await deployBuiltins(env.AUTOGLM_FUNCTIONS_DIR ?? DEFAULT_FUNCTIONS, platform.api, createLogger({}, 'error'));
    if (refused.length) throw new Error(`deploy failed: ${JSON.stringify(refused)}`);
    await eventually(async () => (await platform.call('GET', '/v1/functions')).json.items.length > 0, 'functions to be visible');
    if (temporary) {
      await platform.pool!.stop();
      platform.pool = undefined;
      // Let the stopped workers' heartbeats lapse from the count used by the next startPool.
      await redis.del(`${prefix}:workers`);
    }
  }
  return platform;
}

