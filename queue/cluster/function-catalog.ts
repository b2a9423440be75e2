import type { Redis } from 'ioredis';
import type { Manifest } from '../../functions/sdk/index.ts';
import type { DriftBaseline } from '../../functions/sdk/drift/index.ts';
import { keys } from '../keys.ts';
import { ReplicaWait } from './replica-wait.ts';
import type { RolloutRecord } from './rollout-record.ts';

/** One immutable, content-addressed version of a function. */
export interface VersionRecord {
  /** First 12 hex digits of `hash`. */
  version: string;
  /** sha256 of the bundle archive: where workers find the code. */
  hash: string;
  manifest: Manifest;
  /** Archive size, bytes. */
  size: number;
  createdAt: number;
  createdBy: string;
  /** The version's drift baseline (manifest `drift.baseline`, read from its bundle at deploy). */
  driftBaseline?: DriftBaseline;
  /** How a training made this version: from which version, on what data, and its evaluation. */
  training?: VersionTraining;
}

/** The training behind a version (`autoglm versions` shows it). */
export interface VersionTraining {
  /** The training's id. */
  id: string;
  /** The version retrained. */
  from: string;
  dataset: { hash: string; records: number; source: 'upload' | 'feedback' };
  primaryMetric: string;
  higherIsBetter: boolean;
  /** The new model's metrics on the held-out records. */
  metrics: Record<string, number>;
  /** The retrained version's metrics on the same held-out records. */
  baseline?: Record<string, number>;
  verdict: 'better' | 'within' | 'worse' | 'unmeasured';
}

/** How calls are spread over versions. Weights are percentages summing to 100 (or no routes). */
export interface TrafficTable {
  /** The version rollback returns to and `promote` replaces; null before the first promotion. */
  stable: string | null;
  routes: { version: string; weight: number }[];
  /** A candidate that receives a copy of `percent`% of calls; its outputs are only recorded. */
  shadow: { version: string; percent: number } | null;
  /** Earlier stable versions, most recent last: what rollback goes back to. */
  history: string[];
  updatedAt: number;
  updatedBy: string;
}

/** A function: its versions and its traffic table. */
export interface FunctionState {
  name: string;
  namespace: string;
  createdAt: number;
  versions: Record<string, VersionRecord>;
  traffic: TrafficTable;
  /** The version being rolled out, or the last rollout's outcome. */
  rollout?: RolloutRecord;
}

/** A function pinned to one version: what a single call runs. */
export interface FunctionRecord {
  name: string;
  namespace: string;
  version: string;
  hash: string;
  manifest: Manifest;
  driftBaseline?: DriftBaseline;
}

/** The versions of a function that take traffic (weight above 0) or a shadow's copies. */
export function servingVersions(t: TrafficTable): Set<string> {
  return new Set([...t.routes.filter((r) => r.weight > 0).map((r) => r.version), ...(t.shadow ? [t.shadow.version] : [])]);
}

/** The record of `version` of `state`, or undefined. */
export function recordOf(state: FunctionState, version: string): FunctionRecord | undefined {
  const v = state.versions[version];
  return v && { name: state.name, namespace: state.namespace, version: v.version, hash: v.hash, manifest: v.manifest, ...(v.driftBaseline ? { driftBaseline: v.driftBaseline } : {}) };
}

/** Thrown by an update function to abort a catalogue change with a reason. */
export type Mutator = (current: FunctionState | undefined) => FunctionState | undefined;

// Claims a function name for a namespace while a deploy checks its version: names are global, and
// two namespaces deploying the same new name at once must not both reach the catalogue.
// KEYS: 1 the functions hash, 2 the name's claim. ARGV: 1 name, 2 namespace, 3 claim lifetime, ms.
// Returns the namespace that holds the name: ARGV[2] when the claim is granted (or the function is
// already that namespace's); another namespace when its function or its live claim holds the name.
const CLAIM = `local cur = redis.call('HGET', KEYS[1], ARGV[1])
if cur then return cjson.decode(cur).namespace end
local holder = redis.call('GET', KEYS[2])
if holder and holder ~= ARGV[2] then return holder end
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
return ARGV[2]`;

// Drops a name's claim, only if the namespace given holds it.
// KEYS: 1 the name's claim. ARGV: 1 namespace. Returns 1 when dropped, else 0.
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/**
 * The deployed functions, one JSON document per function in a Redis hash, announced on a
 * channel when any changes. Updates are optimistic transactions (WATCH/MULTI) so two routers
 * deploying at once cannot lose each other's versions. Readers keep an in-memory copy (`watch`)
 * so the hot path never reads Redis for it.
 */
export class FunctionCatalog {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    /** Replicas an update must reach before it is reported done (a deploy, a traffic change) [none]. */
    private readonly replicaWait: ReplicaWait = ReplicaWait.none,
  ) {}

  async get(name: string): Promise<FunctionState | undefined> {
    const raw = await this.redis.hget(keys.functions(this.prefix), name);
    return raw ? (JSON.parse(raw) as FunctionState) : undefined;
  }

  async list(): Promise<FunctionState[]> {
    const all = await this.redis.hgetall(keys.functions(this.prefix));
    return Object.values(all).map((s) => JSON.parse(s) as FunctionState);
  }

  /**
   * Claims `name` for `namespace` until its deploy records a version or {@link release}s it (or
   * `ttlMs` passes: a router that died mid-deploy does not hold the name for ever). Atomic (one
   * script): of two namespaces claiming one new name at once, exactly one gets it.
   * @returns the namespace holding the name: `namespace` when the claim is granted or the function
   * is already its own, else the namespace whose function or claim holds it.
   */
  async claim(name: string, namespace: string, ttlMs: number): Promise<string> {
    return (await this.redis.eval(CLAIM, 2, keys.functions(this.prefix), keys.nameClaim(this.prefix, name), name, namespace, Math.ceil(ttlMs))) as string;
  }

  /** Drops `namespace`'s claim on `name`, if it holds one (a deploy that ended, either way). */
  async release(name: string, namespace: string): Promise<void> {
    await this.redis.eval(RELEASE, 1, keys.nameClaim(this.prefix, name), namespace);
  }

  /**
   * Applies `mutate` to the function's current state atomically and announces the change.
   * `mutate` returns the new state, or undefined to delete the function; it may throw to abort.
   * Retries when another writer got in between.
   * @throws ReplicasBehindError when the change is made but fewer replicas than required have it
   */
  async update(name: string, mutate: Mutator): Promise<FunctionState | undefined> {
    const key = keys.functions(this.prefix);
    // A dedicated connection: WATCH is per connection and the shared one is auto-pipelined.
    const conn = this.redis.duplicate();
    conn.on('error', () => undefined);
    try {
      const mark = this.replicaWait.mark(conn);
      for (let attempt = 0; attempt < 20; attempt++) {
        await conn.watch(key);
        const raw = await conn.hget(key, name);
        const next = mutate(raw ? (JSON.parse(raw) as FunctionState) : undefined);
        const tx = conn.multi();
        if (next) tx.hset(key, name, JSON.stringify(next));
        else tx.hdel(key, name);
        tx.publish(keys.catalogChannel(this.prefix), name);
        if (await tx.exec()) {
          // On the connection that wrote: WAIT counts only its own writes.
          await this.replicaWait.confirm(conn, mark);
          return next;
        }
      }
      throw new Error(`could not update function '${name}': too much concurrent change`);
    } finally {
      conn.disconnect();
    }
  }

  /**
   * Keeps `onChange` fed with the full catalogue: once now, then after every change.
   * `subscriber` must be a connection dedicated to subscriptions. Returns a stop function.
   */
  async watch(subscriber: Redis, onChange: (all: FunctionState[]) => void): Promise<() => Promise<void>> {
    const channel = keys.catalogChannel(this.prefix);
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
