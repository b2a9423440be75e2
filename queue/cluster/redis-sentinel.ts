import type { RedisOptions } from 'ioredis';

/** One Sentinel's address. */
export interface SentinelAddress {
  readonly host: string;
  readonly port: number;
}

/**
 * Where the master is found when Redis runs under Sentinel: `REDIS_SENTINELS`,
 * `REDIS_SENTINEL_NAME`, `REDIS_SENTINEL_PASSWORD` (parsed in `runtime/config/`). Plain JSON: it
 * travels to the pool inside {@link PoolConfig}.
 */
export interface SentinelSettings {
  /** `REDIS_SENTINELS=host:port,host:port`: any of them answers; ioredis learns the others from them. */
  readonly sentinels: readonly SentinelAddress[];
  /** `REDIS_SENTINEL_NAME`: the master's name, as in the sentinels' `sentinel monitor <name> …`. */
  readonly name: string;
  /** `REDIS_SENTINEL_PASSWORD`: the sentinels' own `requirepass`, when they have one. */
  readonly password?: string | undefined;
}

/**
 * A placeholder for `REDIS_URL` when only sentinels are given: its host is never dialled (the
 * sentinels name the master) and it carries no credentials, TLS or database.
 */
export const SENTINEL_ONLY_URL = 'redis://sentinel-master';

/**
 * The ioredis options that make a connection find its master through `s` and follow it: a
 * failover's new master is asked of the sentinels at every reconnect, and `failoverDetector`
 * subscribes to the sentinels' `+switch-master` so a connection drops the old master at once
 * instead of waiting for it to time out. The data connection keeps what the URL gives
 * (user, password, db, `rediss://`); with TLS the master and the sentinels are both reached over
 * TLS with the same `tls` options (a CA from `AUTOGLM_REDIS_CA`).
 */
export function sentinelOptions(s: SentinelSettings, tls: RedisOptions['tls'] | undefined): RedisOptions {
  return {
    sentinels: s.sentinels.map(({ host, port }) => ({ host, port })),
    name: s.name,
    role: 'master',
    ...(s.password ? { sentinelPassword: s.password } : {}),
    failoverDetector: true,
    ...(tls ? { enableTLSForSentinelMode: true, sentinelTLS: tls } : {}),
  };
}

/**
 * Whether a command failed because it reached a replica: a master that Sentinel demoted while
 * this connection still held it answers writes with READONLY. Reconnecting asks the sentinels
 * again and lands on the new master.
 */
export const isReadOnlyReply = (err: Error): boolean => err.message.startsWith('READONLY');

/**
 * Parses `REDIS_SENTINELS`: `host:port` items, comma-separated (IPv6 as `[addr]:port`).
 * @returns the addresses, or the items that are not `host:port`
 */
export function parseSentinels(spec: string): { ok: true; sentinels: SentinelAddress[] } | { ok: false; bad: string[] } {
  const items = spec.split(',').map((s) => s.trim()).filter(Boolean);
  const sentinels: SentinelAddress[] = [];
  const bad: string[] = [];
  for (const item of items) {
    const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^\s:[\]]+)):(\d{1,5})$/.exec(item);
    const port = m ? Number(m[3]) : 0;
    if (!m || port < 1 || port > 65535) bad.push(item);
    else sentinels.push({ host: (m[1] ?? m[2])!, port });
  }
  if (items.length === 0) bad.push(spec);
  return bad.length ? { ok: false, bad } : { ok: true, sentinels };
}
