import { recordOf, servingVersions, type FunctionRecord, type FunctionState } from '../../queue/cluster/index.ts';
import { FunctionNotFoundError, NotServingError, VersionNotFoundError } from './registry-errors.ts';
import { pickVersion } from './traffic.ts';

/** What one call resolves to: the version it runs, and the shadow candidate if this call is mirrored. */
export interface Resolved {
  state: FunctionState;
  rec: FunctionRecord;
  /** Set when this call should also be sent to the shadow candidate. */
  shadow?: FunctionRecord;
}

/**
 * The router's in-memory view of deployed functions, kept current by the catalogue watch, so
 * resolving a call to a version costs a map read and a weighted draw.
 */
export class CatalogMirror {
  private byName = new Map<string, FunctionState>();

  get(name: string): FunctionState | undefined {
    return this.byName.get(name);
  }

  list(): FunctionState[] {
    return [...this.byName.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  replace(all: FunctionState[]): void {
    this.byName = new Map(all.map((s) => [s.name, s]));
  }

  /**
   * Applies one change made by this router at once, so a caller who deploys and then invokes
   * never races the catalogue broadcast; the broadcast then confirms it.
   */
  apply(name: string, state: FunctionState | undefined): void {
    if (state) this.byName.set(name, state);
    else this.byName.delete(name);
  }

  /** The namespaces of the functions with a version built from the bundle `hash` (usually one: a bundle names its function). */
  namespacesOfBundle(hash: string): string[] {
    return [...new Set(this.list().filter((s) => Object.values(s.versions).some((v) => v.hash === hash)).map((s) => s.namespace))];
  }

  /** The functions of `namespace` with a serving version that lists the secret (or the knowledge collection) `name`. */
  usersOf(namespace: string, name: string, listedIn: 'secrets' | 'knowledge' = 'secrets'): string[] {
    return this.list()
      .filter((s) => s.namespace === namespace && [...servingVersions(s.traffic)].some((v) => s.versions[v]?.manifest[listedIn]?.includes(name)))
      .map((s) => s.name);
  }

  /**
   * Resolves `name` or `name@version` to the version a call runs: the pinned one, or one drawn
   * from the traffic table (sticky per `routingKey`). The caller checks first that the function
   * may be seen: a missing version is said only of a function the caller may call.
   * @throws FunctionNotFoundError, VersionNotFoundError, NotServingError
   */
  resolve(target: string, routingKey?: string, rand: () => number = Math.random): Resolved {
    const at = target.indexOf('@');
    const name = at === -1 ? target : target.slice(0, at);
    const state = this.byName.get(name);
    if (!state) throw new FunctionNotFoundError(name);
    if (at !== -1) {
      const version = target.slice(at + 1);
      const rec = recordOf(state, version);
      if (!rec) throw new VersionNotFoundError(name, version);
      return { state, rec };
    }
    const version = pickVersion(state.traffic, routingKey, rand);
    const rec = version ? recordOf(state, version) : undefined;
    if (!rec) throw new NotServingError(name);
    const sh = state.traffic.shadow;
    if (sh && sh.version !== rec.version && rand() * 100 < sh.percent) {
      const shadow = recordOf(state, sh.version);
      if (shadow) return { state, rec, shadow };
    }
    return { state, rec };
  }
}
