import type { FunctionRecord } from '../queue/cluster/index.ts';

/** `name@version`: the key of a version in caches and batchers. */
export const versionKey = (name: string, version: string): string => `${name}@${version}`;

/** The function versions a worker knows, and which of them serve traffic. */
export class CatalogIndex {
  private records = new Map<string, FunctionRecord>();
  private byName = new Map<string, FunctionRecord>();
  private live = new Set<string>();

  /** Replaces the versions; `serving` (keys, default all) are those with traffic. */
  set(all: FunctionRecord[], serving?: Iterable<string>): void {
    this.records = new Map(all.map((r) => [versionKey(r.name, r.version), r]));
    this.live = new Set(serving ?? this.records.keys());
    this.byName = new Map();
    for (const r of all) if (this.live.has(versionKey(r.name, r.version)) || !this.byName.has(r.name)) this.byName.set(r.name, r);
  }

  /**
   * The version a job names; failing that, one the function serves (a job queued before a
   * redeploy that replaced its version outright still runs).
   */
  find(fn: string, version: string): FunctionRecord | undefined {
    return this.records.get(versionKey(fn, version)) ?? this.byName.get(fn);
  }

  /** Exactly the version `key` names (`name@version`), or undefined. */
  get(key: string): FunctionRecord | undefined {
    return this.records.get(key);
  }

  has(key: string): boolean {
    return this.records.has(key);
  }

  all(): FunctionRecord[] {
    return [...this.records.values()];
  }

  /** Keys of the versions with traffic. */
  get serving(): ReadonlySet<string> {
    return this.live;
  }
}
