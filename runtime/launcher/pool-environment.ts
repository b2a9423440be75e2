import { POOL_CONFIG_VARIABLE, type PoolConfig } from '../../queue/cluster/index.ts';
import type { Config } from '../config/index.ts';

/** What the launcher settles when it starts the pool; the rest of the pool's configuration is `config.pool`. */
export interface PoolLaunch {
  /** `REDIS_URL`, or the embedded Redis the launcher started. */
  redisUrl: string;
  /** `AUTOGLM_ENCRYPTION_KEYS`, or the keyring kept in the state directory. */
  encryptionKeys: string;
  /** Set when the router runs on the same node: the pool reads bundles from its artifact store, no download. */
  artifactsDir?: string | undefined;
}

/**
 * The environment a pool process starts with: what processes inherit (`config.childEnv`: PATH,
 * OTEL_*…) and the pool's validated configuration, as JSON in {@link POOL_CONFIG_VARIABLE}. No
 * variable is copied by name: the pool reads no other. Workers get what they need and no
 * platform secret (the JWT and webhook keys stay in the router).
 */
export function poolEnvironment(config: Config, launch: PoolLaunch): Record<string, string> {
  const pool: PoolConfig = {
    ...config.pool,
    redisUrl: launch.redisUrl,
    encryptionKeys: launch.encryptionKeys,
    ...(launch.artifactsDir ? { artifactsDir: launch.artifactsDir } : {}),
  };
  return { ...config.childEnv, [POOL_CONFIG_VARIABLE]: JSON.stringify(pool) };
}
