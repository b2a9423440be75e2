import type { Redis } from 'ioredis';

/**
 * States that stay in Redis while their owners beat: a sorted set of ids scored by last beat,
 * plus each state with a TTL. One counts as live while its last beat is younger than `staleMs`,
 * so a killed process drops out without anyone cleaning up.
 */
export class Heartbeats<T extends { id: string }> {
  constructor(
    private readonly redis: Redis,
    private readonly setKey: string,
    private readonly stateKey: (id: string) => string,
    readonly staleMs: number,
  ) {}

  async beat(state: T): Promise<void> {
    const now = Date.now();
    await this.redis
      .multi()
      .zadd(this.setKey, now, state.id)
      .set(this.stateKey(state.id), JSON.stringify(state), 'PX', this.staleMs * 3)
      .zremrangebyscore(this.setKey, 0, now - this.staleMs * 6)
      .exec();
  }

  async leave(id: string): Promise<void> {
    await this.redis.multi().zrem(this.setKey, id).del(this.stateKey(id)).exec();
  }

  /** Number heard from within `staleMs`. */
  liveCount(): Promise<number> {
    return this.redis.zcount(this.setKey, Date.now() - this.staleMs, '+inf');
  }

  /** The live ones' last states, each with when it was last heard from (`seenAt`, epoch ms). */
  async live(): Promise<(T & { seenAt: number })[]> {
    const scored = await this.redis.zrangebyscore(this.setKey, Date.now() - this.staleMs, '+inf', 'WITHSCORES');
    if (scored.length === 0) return [];
    // Every state in one round trip; one whose TTL ran out meanwhile is left out.
    const raws = await this.redis.mget(scored.filter((_, i) => i % 2 === 0).map((id) => this.stateKey(id)));
    return raws.flatMap((raw, i) => (raw ? [{ ...(JSON.parse(raw) as T), seenAt: Number(scored[2 * i + 1]) }] : []));
  }
}
