/**
 * The bundles a deploy is having a worker load right now, with the namespace each goes to. Until
 * the check passes, the catalogue does not list the version, yet a pool node without the
 * router's disk must download the bundle to load it: this says whose it is meanwhile. Kept per
 * router: only the router holding the deploy has the bundle for sure, and a pool node asks every
 * router in turn.
 */
export class BundlesInCheck {
  private readonly byHash = new Map<string, string[]>();

  /** Runs `check` with `hash` known as `namespace`'s bundle, and forgets it after, however it ends. */
  async during<T>(hash: string, namespace: string, check: () => Promise<T>): Promise<T> {
    const list = this.byHash.get(hash) ?? [];
    this.byHash.set(hash, [...list, namespace]);
    try {
      return await check();
    } finally {
      const now = [...(this.byHash.get(hash) ?? [])];
      now.splice(now.indexOf(namespace), 1);
      if (now.length) this.byHash.set(hash, now);
      else this.byHash.delete(hash);
    }
  }

  /** The namespaces deploys of `hash` are checking it for (usually none or one). */
  namespacesOf(hash: string): readonly string[] {
    return this.byHash.get(hash) ?? [];
  }
}
