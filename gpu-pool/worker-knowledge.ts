import type { KnowledgeCollection } from '../functions/sdk/index.ts';
import type { FunctionRecord, KnowledgeStore } from '../queue/cluster/index.ts';
import type { WorkerSecrets } from './worker-secrets.ts';

/**
 * A worker's knowledge collections, opened on its main side, where the keys are (a pool holds
 * only those of the namespaces it serves), for the versions that list them as they load. As with
 * secrets, the other side of the hand-off (inference thread, sandbox) asks by version and is given
 * only the collections of a version this side knows.
 */
export class WorkerKnowledge {
  private store: Pick<KnowledgeStore, 'open'> | undefined;

  /** `versions`: which versions this side knows (the catalogue and deploy candidates), as secrets see them. */
  constructor(private readonly versions: Pick<WorkerSecrets, 'known'>) {}

  /** Once Redis is connected; opening fails before. */
  connect(store: Pick<KnowledgeStore, 'open'>): void {
    this.store = store;
  }

  /**
   * The current version of each collection `rec`'s manifest lists.
   * @throws KnowledgeMissingError naming those its namespace lacks
   */
  readonly open = (rec: FunctionRecord): Promise<Record<string, KnowledgeCollection>> => {
    if (!this.store) return Promise.reject(new Error('the worker is not connected to Redis yet'));
    return this.store.open(rec.namespace, rec.manifest.knowledge ?? []);
  };

  /** As {@link open}, for a version named by the other side; a sandbox names its `namespace`, and gets nothing of a version of another. */
  readonly openFor = (fn: string, version: string, namespace?: string): Promise<Record<string, KnowledgeCollection>> => this.versions.known(fn, version, namespace).then(this.open);
}
