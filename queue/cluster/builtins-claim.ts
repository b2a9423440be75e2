import type { Redis } from 'ioredis';
import { keys } from '../keys.ts';

// Takes or renews the lock on deploying the built-in functions.
// KEYS: 1 the lock. ARGV: 1 the router's id, 2 the lock's life, ms.
// Returns 1 when this router holds it (taken or renewed), 0 when another does.
const CLAIM = `local cur = redis.call('GET', KEYS[1])
if cur == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if cur then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`;

// Records the built-ins as installed and gives the lock up if this router holds it.
// KEYS: 1 the lock, 2 the installed record. ARGV: 1 the router's id, 2 the record (JSON).
// Returns 1.
const FINISH = `redis.call('SET', KEYS[2], ARGV[2])
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1`;

// Gives the lock up, only if this router holds it.
// KEYS: 1 the lock. ARGV: 1 the router's id. Returns 1 when dropped, else 0.
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/** What the router that deployed the built-in functions recorded. */
export interface InstalledBuiltins {
  /** The router's id. */
  by: string;
  /** Epoch ms. */
  at: number;
  /** `name@version` of each deployed. */
  deployed: string[];
  /** Folders refused, with the problem: an operator deploys them by hand once fixed. */
  refused: { dir: string; problem: string }[];
}

/**
 * Which router of a split install deploys the built-in functions, and whether one already has:
 * a lock (`SET NX PX`, renewed by its holder while it deploys) and a record kept for good. A
 * holder that dies mid-deploy stops renewing; the lock expires and another router takes it.
 */
export class BuiltinsClaim {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly routerId: string,
    /** How long the lock lasts unless renewed [60 s]: how soon another router takes over from a dead holder. */
    readonly ttlMs = 60_000,
  ) {}

  /** The record of the install, if a router finished one on this Redis. */
  async installed(): Promise<InstalledBuiltins | undefined> {
    const raw = await this.redis.get(keys.builtinsInstalled(this.prefix));
    return raw ? (JSON.parse(raw) as InstalledBuiltins) : undefined;
  }

  /** Takes the lock, or renews it when this router holds it; false when another router does. */
  async claim(): Promise<boolean> {
    return Number(await this.redis.eval(CLAIM, 1, keys.builtinsLock(this.prefix), this.routerId, this.ttlMs)) === 1;
  }

  /** The router holding the lock, if any. */
  holder(): Promise<string | null> {
    return this.redis.get(keys.builtinsLock(this.prefix));
  }

  /** Records the install (for every router, for good) and gives the lock up. */
  async finish(record: Omit<InstalledBuiltins, 'by' | 'at'>): Promise<InstalledBuiltins> {
    const done: InstalledBuiltins = { by: this.routerId, at: Date.now(), ...record };
    await this.redis.eval(FINISH, 2, keys.builtinsLock(this.prefix), keys.builtinsInstalled(this.prefix), this.routerId, JSON.stringify(done));
    return done;
  }

  /** Gives the lock up if this router holds it (its deploy failed, or it stops). */
  async release(): Promise<void> {
    await this.redis.eval(RELEASE, 1, keys.builtinsLock(this.prefix), this.routerId);
  }
}
