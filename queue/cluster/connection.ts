import { Redis, type RedisOptions } from 'ioredis';
import { isReadOnlyReply, sentinelOptions, type SentinelSettings } from './redis-sentinel.ts';
import { NoAnswerError, withTimeout } from './with-timeout.ts';

/** Who holds the connection: consumers block and must never give up; producers fail fast. */
export type ConnectionRole = 'producer' | 'consumer' | 'subscriber';

/**
 * Which Redis to connect to: a URL, or a URL whose host the sentinels replace (its user,
 * password, db and `rediss://` still apply to the data connection).
 */
export type RedisTarget = string | { readonly url: string; readonly sentinel?: SentinelSettings | undefined };

/**
 * Opens an ioredis connection for a role. Consumers and subscribers retry forever (BullMQ
 * requires `maxRetriesPerRequest: null` for blocking commands); producers give up after a few
 * retries so an HTTP caller gets a 503 instead of a hung request while Redis is down (or while
 * Sentinel elects a new master). Every connection the platform makes is opened here, so each
 * follows a Sentinel failover the same way (see `sentinelOptions`), and each reconnects when a
 * command finds it on a demoted master (READONLY), sending the command again to the new one.
 */
export function connectRedis(target: RedisTarget, role: ConnectionRole, extra: RedisOptions = {}): Redis {
  const { url, sentinel } = typeof target === 'string' ? { url: target, sentinel: undefined } : target;
  const tls = extra.tls ?? (url.startsWith('rediss://') ? {} : undefined);
  const opts: RedisOptions = {
    maxRetriesPerRequest: role === 'producer' ? 2 : null,
    enableReadyCheck: true,
    retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 6), 2000),
    // 2: reconnect, then send the failed command again.
    reconnectOnError: (err) => (isReadOnlyReply(err) ? 2 : false),
    ...(sentinel ? sentinelOptions(sentinel, tls) : {}),
    ...extra,
  };
  return new Redis(url, opts);
}

/**
 * The server's `maxmemory-policy`. BullMQ loses jobs silently when Redis evicts keys, so the
 * platform refuses to run on anything but `noeviction`. Read from INFO, which works where
 * CONFIG is disabled (managed Redis).
 */
export async function evictionPolicy(redis: Redis): Promise<string | undefined> {
  const info = await redis.info('memory');
  return /^maxmemory_policy:(\S+)/m.exec(info)?.[1];
}

/** How long a stopping node waits for Redis to take its last commands, ms. */
export const RELEASE_REDIS_MS = 5000;

/**
 * Waits up to `ms` for a stopping node's last Redis commands, `closing` and then quitting
 * `connections`, and drops the connections when they take longer. While Redis is unreachable
 * ioredis holds every command until it reconnects, so without a limit a stop would last as
 * long as the outage.
 * @returns false when Redis did not take them in time
 */
export async function releaseRedis(closing: Promise<unknown>, connections: readonly Redis[], ms = RELEASE_REDIS_MS): Promise<boolean> {
  const quit = closing.then(() => Promise.all(connections.map((c) => c.quit().catch(() => c.disconnect()))));
  try {
    await withTimeout(quit, ms);
    return true;
  } catch (err) {
    if (!(err instanceof NoAnswerError)) throw err;
    for (const c of connections) c.disconnect();
    return false;
  }
}
