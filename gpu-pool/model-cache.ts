import { ModelTooLargeError } from './errors.ts';

/** Options of a {@link ModelCache}. */
export interface ModelCacheOptions<T> {
  /** Bytes of models the cache may hold (the device slot's budget). */
  budgetBytes: number;
  /** Releases a value: the function's `unload` (dispose tensors). A throw is reported, not rethrown. */
  unload: (key: string, value: T) => Promise<void> | void;
  /** Told when an unload fails [ignored]. */
  onUnloadError?: (key: string, err: unknown) => void;
  /**
   * What a loaded value was measured to hold, bytes, when known [never]. An entry then costs the
   * larger of that and the cost it was acquired with (its manifest `memory`): a model that holds
   * more than it declares still counts in full, and pushes others out.
   */
  measured?: (value: T) => number | undefined;
}

/** One cached model, for state reports. */
export interface CacheEntryView {
  key: string;
  /** What it costs the budget. */
  bytes: number;
  /** What it was measured to hold, once loaded, when known. */
  measuredBytes?: number;
  /** Batches using it now: a pinned entry is never unloaded under them. */
  inUse: number;
  loaded: boolean;
}

interface Entry<T> {
  key: string;
  cost: number;
  measured?: number;
  promise: Promise<T>;
  loaded: boolean;
  refs: number;
  /** Unload as soon as nobody uses it (its version left the catalogue, or it was evicted while in use). */
  doomed: boolean;
}

/**
 * Loaded models of one worker, keyed by `function@version`, kept in least-recently-used order
 * under a memory budget (each entry costs its manifest `memory`, or what it was measured to hold
 * when that is more).
 *
 * `acquire` pins an entry for the caller until `release`: a model is never unloaded while a
 * batch runs on it. Loading makes room first by unloading unpinned entries, least recently used
 * first; when everything left is pinned the cache runs over budget briefly and evicts as the pins
 * come off. Concurrent first acquires of one key share one load; a failed load is forgotten so
 * the next acquire tries again.
 */
export class ModelCache<T> {
  /** Map order is recency: first is least recently used. */
  private readonly entries = new Map<string, Entry<T>>();
  private readonly unloading = new Set<Promise<void>>();
  private keep: ReadonlySet<string> | undefined;
  private used = 0;
  /** Loads started, and entries unloaded, since creation. */
  loads = 0;
  unloads = 0;

  constructor(private readonly opts: ModelCacheOptions<T>) {}

  /**
   * Returns the value of `key`, loading it with `load` when absent, and pins it.
   * Every successful `acquire` must be paired with one `release(key)`.
   * @throws ModelTooLargeError when `cost` exceeds the whole budget; whatever `load` throws
   */
  async acquire(key: string, cost: number, load: () => Promise<T>): Promise<T> {
    let e = this.entries.get(key);
    if (e) {
      this.entries.delete(key);
      this.entries.set(key, e);
    } else {
      if (cost > this.opts.budgetBytes) throw new ModelTooLargeError(key, cost, this.opts.budgetBytes);
      this.makeRoom(cost);
      const entry: Entry<T> = { key, cost, promise: undefined as unknown as Promise<T>, loaded: false, refs: 0, doomed: false };
      e = entry;
      this.entries.set(key, entry);
      this.used += cost;
      this.loads++;
      entry.promise = Promise.resolve().then(load);
      entry.promise.then(
        (value) => this.loaded(entry, value),
        () => this.forget(entry),
      );
    }
    e.refs++;
    try {
      return await e.promise;
    } catch (err) {
      e.refs--;
      throw err;
    }
  }

  /** Unpins `key`; unloads it now if it was doomed meanwhile, or if the cache is over budget. */
  release(key: string): void {
    const e = this.entries.get(key);
    if (!e || e.refs === 0) return;
    e.refs--;
    if (e.refs > 0) return;
    if (e.doomed || (this.keep && !this.keep.has(key))) this.drop(e);
    else if (this.used > this.opts.budgetBytes) this.makeRoom(0);
  }

  /**
   * Keeps only the keys in `keep` (the versions that serve traffic): the others are unloaded now,
   * or when their last batch releases them. Later loads of keys outside `keep` (a straggler job of
   * a retired version) are unloaded right after use.
   */
  retain(keep: ReadonlySet<string>): void {
    this.keep = keep;
    for (const e of [...this.entries.values()]) {
      if (keep.has(e.key)) continue;
      if (e.refs === 0) this.drop(e);
      else e.doomed = true;
    }
  }

  /** Entries in recency order, least recently used first. */
  view(): CacheEntryView[] {
    return [...this.entries.values()].map((e) => ({ key: e.key, bytes: e.cost, ...(e.measured === undefined ? {} : { measuredBytes: e.measured }), inUse: e.refs, loaded: e.loaded }));
  }

  /** Bytes charged to the budget now (models loading included). */
  get usedBytes(): number {
    return this.used;
  }

  /** Resolves once every unload started so far has finished. */
  async settled(): Promise<void> {
    while (this.unloading.size > 0) await Promise.all([...this.unloading]);
  }

  /** Unloads everything (pins ignored: the worker is going away) and waits for it. */
  async clear(): Promise<void> {
    for (const e of [...this.entries.values()]) this.drop(e);
    await this.settled();
  }

  private makeRoom(cost: number): void {
    for (const e of [...this.entries.values()]) {
      if (this.used + cost <= this.opts.budgetBytes) return;
      if (e.refs === 0) this.drop(e);
    }
  }

  /** Charges a new entry what it was measured to hold, when more than it was acquired with. */
  private loaded(e: Entry<T>, value: T): void {
    e.loaded = true;
    const m = this.opts.measured?.(value);
    if (m === undefined || this.entries.get(e.key) !== e) return;
    e.measured = m;
    if (m <= e.cost) return;
    this.used += m - e.cost;
    e.cost = m;
    // The new entry is pinned by whoever acquired it: the least recently used others make room.
    this.makeRoom(0);
  }

  private forget(e: Entry<T>): void {
    if (this.entries.get(e.key) === e) {
      this.entries.delete(e.key);
      this.used -= e.cost;
    }
  }

  private drop(e: Entry<T>): void {
    if (this.entries.get(e.key) !== e) return;
    this.entries.delete(e.key);
    this.used -= e.cost;
    const p = e.promise.then(
      async (value) => {
        this.unloads++;
        try {
          await this.opts.unload(e.key, value);
        } catch (err) {
          this.opts.onUnloadError?.(e.key, err);
        }
      },
      () => undefined,
    );
    this.unloading.add(p);
    void p.finally(() => this.unloading.delete(p));
  }
}
