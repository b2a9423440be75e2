/**
 * The environment a test gives a pool it forks itself (`gpu-pool/main.ts`): built from a literal
 * environment the way the launcher builds it (`loadConfig`, then `poolEnvironment`), so the pool
 * receives its configuration as it does under `npm start`.
 */
import { loadConfig } from '../../runtime/config/index.ts';
import { poolEnvironment } from '../../runtime/launcher/pool-environment.ts';

/** `env` must set REDIS_URL and AUTOGLM_ENCRYPTION_KEYS (the launcher would otherwise supply them). */
export function poolEnv(env: Record<string, string | undefined>): Record<string, string> {
  const parsed = loadConfig(env);
  if (!parsed.ok) throw new Error(parsed.errors.join('; '));
  const { redisUrl, encryptionKeys } = parsed.config;
  if (!redisUrl || !encryptionKeys) throw new Error('poolEnv: set REDIS_URL and AUTOGLM_ENCRYPTION_KEYS');
  return poolEnvironment(parsed.config, { redisUrl, encryptionKeys });
}
