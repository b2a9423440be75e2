import type { Redis } from 'ioredis';
import type { Manifest } from '../functions/sdk/index.ts';
import { keys } from './names.ts';

/** A deployed function version as the router and the pool both see it. */
export interface FunctionRecord {
  name: string;
  /** Immutable, content-addressed version id (`sha256:` prefix dropped, 12 hex chars). */
  version: string;
  manifest: Manifest;
  /** Where workers find the code: a folder on a filesystem they share with the deployer. */
  source: { kind: 'dir'; dir: string };
  deployedAt: number;
}

/**
 * The set of deployed functions, kept in one Redis hash and announced on a channel when it
 * changes. Readers keep an in-memory copy (`watch`) so the hot path never reads Redis for it.
 */
export class FunctionCatalog {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  /** Records (or replaces) a function's serving version and tells every watcher. */
  async put(rec: FunctionRecord): Promise<void> {
    await this.redis.hset(keys.functions(this.prefix), rec.name, JSON.stringify(rec));
    await this.redis.publish(keys.registryChannel(this.prefix), rec.name);
  }

  async remove(name: string): Promise<void> {
    await this.redis.hdel(keys.functions(this.prefix), name);
    await this.redis.publish(keys.registryChannel(this.prefix), name);
  }

  async list(): Promise<FunctionRecord[]> {
    const all = await this.redis.hgetall(keys.functions(this.prefix));
    return Object.values(all).map((s) => JSON.parse(s) as FunctionRecord);
  }

  /**
   * Keeps `onChange` fed with the full catalogue: once now, then after every change.
   * `subscriber` must be a connection dedicated to subscriptions. Returns a stop function.
   */
  async watch(subscriber: Redis, onChange: (all: FunctionRecord[]) => void): Promise<() => Promise<void>> {
    const channel = keys.registryChannel(this.prefix);
    const refresh = () =>
      this.list().then(onChange, () => {
        /* Redis blipped: the next change or reconnect refreshes again. */
      });
    const onMessage = (ch: string) => {
      if (ch === channel) void refresh();
    };
    subscriber.on('message', onMessage);
    // A reconnect may have hidden changes: re-read on every ready.
    subscriber.on('ready', refresh);
    await subscriber.subscribe(channel);
    onChange(await this.list());
    return async () => {
      subscriber.off('message', onMessage);
      subscriber.off('ready', refresh);
      await subscriber.unsubscribe(channel).catch(() => undefined);
    };
  }
}
