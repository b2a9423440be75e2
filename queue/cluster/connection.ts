import { Redis, type RedisOptions } from 'ioredis';
import { NoAnswerError, withTimeout } from './with-timeout.ts';

/** Who holds the connection: consumers block and must never give up; producers fail fast. */
export type ConnectionRole = 'producer' | 'consumer' | 'subscriber';

/**
 * Opens an ioredis connection for a role. Consumers and subscribers retry forever (BullMQ
 * requires `maxRetriesPerRequest: null` for blocking commands); producers give up after a few
 * retries so an HTTP caller gets a 503 instead of a hung request while Redis is down.
 */
export function connectRedis(url: string, role: ConnectionRole, extra: RedisOptions = {}): Redis {
  const opts: RedisOptions = {
    maxRetriesPerRequest: role === 'producer' ? 2 : null,
    enableReadyCheck: true,
    retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 6), 2000),
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
