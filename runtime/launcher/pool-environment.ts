import { POOL_CONFIG_VARIABLE, parseKeyring, poolKeyringSpec, type PoolConfig } from '../../queue/cluster/index.ts';
import type { Config } from '../config/index.ts';

/** What the launcher settles when it starts the pool; the rest of the pool's configuration is `config.pool`. */
export interface PoolLaunch {
  /** `REDIS_URL`, or the embedded Redis the launcher started. */
  redisUrl: string;
  /** `AUTOGLM_ENCRYPTION_KEYS`, or the keyring kept in the state directory (master keys, or a node's namespace keys). */
  encryptionKeys: string;
  /** Set when the router runs on the same node: the pool reads bundles from its artifact store, no download. */
  artifactsDir?: string | undefined;
}

/**
 * The environment a pool process starts with: what processes inherit (`config.childEnv`: PATH,
 * OTEL_*…) and the pool's validated configuration, as JSON in {@link POOL_CONFIG_VARIABLE}. No
 * variable is copied by name: the pool reads no other. Workers get what they need and no
 * router key (the JWT secret, webhook and audit keys stay in the router). A pool limited to
 * namespaces (`AUTOGLM_POOL_NAMESPACES`) gets only those namespaces' data keys, not the master
 * keyring (see `poolKeyringSpec`).
 */
export function poolEnvironment(config: Config, launch: PoolLaunch): Record<string, string> {
  const pool: PoolConfig = {
    ...config.pool,
    redisUrl: launch.redisUrl,
    ...(config.redisSentinel ? { redisSentinel: config.redisSentinel } : {}),
    encryptionKeys: keysForPool(launch.encryptionKeys, config.pool.namespaces),
    ...(launch.artifactsDir ? { artifactsDir: launch.artifactsDir } : {}),
  };
  return { ...config.childEnv, [POOL_CONFIG_VARIABLE]: JSON.stringify(pool) };
}

/**
 * The keyring spec the pool is given: for a pool limited to namespaces, only their derived keys.
 * `npm start -- --print-pool-keys` prints it, for a pool node's own `AUTOGLM_ENCRYPTION_KEYS`.
 */
export function keysForPool(spec: string, namespaces: readonly string[] | undefined): string {
  const parsed = parseKeyring(spec);
  // A bad spec is passed on as it is: the pool refuses it, naming the problem, as it always did.
  return parsed.ok ? poolKeyringSpec(parsed.ring, namespaces) : spec;
}

/**
 * The flags of the launcher's own Node the pool inherits: its CPU-profiling ones
 * (`node --cpu-prof --cpu-prof-dir=… runtime/start.mjs`, as `BENCH_CPU_PROF` runs it), so one run
 * profiles the router, the pool and every worker (the pool hands its flags to its workers).
 */
export function inheritedNodeFlags(launcherExecArgv: readonly string[]): string[] {
  return launcherExecArgv.filter((a) => a.startsWith('--cpu-prof'));
}
