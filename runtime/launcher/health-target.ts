import type { Config } from '../config/index.ts';

/** Where a node's health answers, or why a check has nothing to ask. */
export type HealthTarget = { url: string } | { none: string };

/**
 * The health URL of a node of `config.role`, as seen from inside its container: the router's
 * `/healthz` (roles `router`, `all`), or the pool's (role `pool`, `AUTOGLM_POOL_HEALTH_PORT`).
 * A wildcard bind address is asked on loopback.
 */
export function healthTarget(config: Config): HealthTarget {
  const scheme = config.tls ? 'https' : 'http';
  const host = config.host === '0.0.0.0' ? '127.0.0.1' : config.host === '::' ? '[::1]' : config.host.includes(':') ? `[${config.host}]` : config.host;
  if (config.role !== 'pool') return { url: `${scheme}://${host}:${config.port}/healthz` };
  const port = config.pool.healthPort;
  if (port === undefined) return { none: 'the pool health endpoint is off (AUTOGLM_POOL_HEALTH_PORT=off)' };
  if (port === 0) return { none: 'the pool health endpoint is on a free port (AUTOGLM_POOL_HEALTH_PORT=0): set a port to check it' };
  return { url: `http://${host}:${port}/healthz` };
}
