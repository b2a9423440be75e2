import type { EnvReader } from '../../functions/sdk/index.ts';
import { parseSentinels, type SentinelSettings } from '../../queue/cluster/index.ts';

/** Where Redis is and how durable an acknowledged write must be: the variables of {@link redisSection}. */
export interface RedisSection {
  /** `REDIS_URL`. Unset, with no sentinels: the launcher runs a private redis-server. */
  readonly redisUrl: string | undefined;
  /**
   * `REDIS_SENTINELS` (`host:port,host:port`), `REDIS_SENTINEL_NAME` (the master's name, required
   * with sentinels), `REDIS_SENTINEL_PASSWORD` (the sentinels' own password, optional). Every
   * connection then asks the sentinels for the master and follows it through a failover;
   * `REDIS_URL`, if also set, gives only the data connection's user, password, db and TLS
   * (`rediss://`), its host and port are ignored. Unset: `REDIS_URL` is the one Redis.
   */
  readonly redisSentinel: SentinelSettings | undefined;
  /**
   * `AUTOGLM_REDIS_MIN_REPLICAS`, default 0 with one Redis, 1 with sentinels (0–16): replicas
   * that must hold an async job (a deploy, a secret change) before the router reports it accepted
   * (`WAIT`); fewer within the timeout: 503 `QUEUE_UNAVAILABLE`.
   */
  readonly redisMinReplicas: number;
  /** `AUTOGLM_REDIS_MIN_REPLICAS_TIMEOUT`, default 500ms: how long that `WAIT` waits for them. */
  readonly redisMinReplicasTimeoutMs: number;
}

/** Reads the Redis variables; problems go to `r.errors`. */
export function redisSection(r: EnvReader): RedisSection {
  const redisUrl = r.redisUrl('REDIS_URL');
  const redisSentinel = sentinels(r);
  return {
    redisUrl,
    redisSentinel,
    redisMinReplicas: r.int('AUTOGLM_REDIS_MIN_REPLICAS', redisSentinel ? 1 : 0, 0, 16),
    redisMinReplicasTimeoutMs: r.duration('AUTOGLM_REDIS_MIN_REPLICAS_TIMEOUT', 500, 1),
  };
}

function sentinels(r: EnvReader): SentinelSettings | undefined {
  const spec = r.string('REDIS_SENTINELS');
  const name = r.string('REDIS_SENTINEL_NAME');
  const password = r.string('REDIS_SENTINEL_PASSWORD');
  if (spec === undefined) {
    if (name !== undefined || password !== undefined) r.errors.push('REDIS_SENTINEL_NAME, REDIS_SENTINEL_PASSWORD: need REDIS_SENTINELS (host:port,host:port)');
    return undefined;
  }
  const parsed = parseSentinels(spec);
  if (!parsed.ok) r.errors.push(`REDIS_SENTINELS: ${parsed.bad.map((b) => JSON.stringify(b)).join(', ')}: expected host:port, comma-separated`);
  if (!name) r.errors.push("REDIS_SENTINEL_NAME: required with REDIS_SENTINELS (the master's name the sentinels monitor)");
  if (!parsed.ok || !name) return undefined;
  return { sentinels: parsed.sentinels, name, ...(password ? { password } : {}) };
}
