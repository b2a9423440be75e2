import type { FunctionRecord, SecretChange, SecretStore } from '../queue/cluster/index.ts';
import { versionKey, type CatalogIndex } from './catalog-index.ts';

/**
 * A worker's secrets, opened on its main thread, where the keys are, for the versions that list
 * them as they load. The inference thread asks by version; it is given the secrets of a version
 * this side knows (catalogued, or a deploy candidate being checked), not whatever it names.
 */
export class WorkerSecrets {
  private store: SecretStore | undefined;
  /** Deploy candidates being loaded, by key: versions the catalogue does not have yet. */
  private readonly candidates = new Map<string, FunctionRecord>();

  constructor(private readonly records: CatalogIndex) {}

  /** Once Redis is connected; opening fails before. */
  connect(store: SecretStore): void {
    this.store = store;
  }

  /** The values of the secrets `rec`'s manifest lists. */
  readonly open = (rec: FunctionRecord): Promise<Record<string, string>> => {
    if (!this.store) return Promise.reject(new Error('the worker is not connected to Redis yet'));
    return this.store.open(rec.namespace, rec.manifest.secrets ?? []);
  };

  /**
   * As {@link open}, for a version named by the inference thread or a sandbox; a sandbox names
   * its `namespace`, and gets nothing of a version of another.
   */
  readonly openFor = (fn: string, version: string, namespace?: string): Promise<Record<string, string>> => this.known(fn, version, namespace).then(this.open);

  /**
   * Exactly the version named, catalogued or a deploy candidate being checked; when `namespace`
   * is given, only one of that namespace. What the other side of the hand-off names is checked
   * here before anything of a version (secrets, knowledge) is opened for it.
   */
  readonly known = (fn: string, version: string, namespace?: string): Promise<FunctionRecord> => {
    const key = versionKey(fn, version);
    const rec = this.candidates.get(key) ?? this.records.get(key);
    return rec && (namespace === undefined || rec.namespace === namespace) ? Promise.resolve(rec) : Promise.reject(new Error(`${key} is not deployed${namespace === undefined ? '' : ` in namespace ${namespace}`}`));
  };

  /** Runs a deploy check of `rec`, whose secrets (and knowledge) are given meanwhile. */
  async checking<T>(rec: FunctionRecord, check: () => Promise<T>): Promise<T> {
    const key = versionKey(rec.name, rec.version);
    this.candidates.set(key, rec);
    try {
      return await check();
    } finally {
      this.candidates.delete(key);
    }
  }
}

/**
 * Keys of the versions whose manifest lists (under `field`) a changed secret or knowledge
 * collection; of all that list any when the change is unknown.
 */
export function readersOf(records: readonly FunctionRecord[], c: SecretChange, field: 'secrets' | 'knowledge' = 'secrets'): string[] {
  return records.filter((r) => (r.manifest[field] ?? []).some((name) => !c || (r.namespace === c.namespace && name === c.name))).map((r) => versionKey(r.name, r.version));
}
