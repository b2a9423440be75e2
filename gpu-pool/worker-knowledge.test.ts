import { describe, expect, it } from 'vitest';
import { parseManifest } from '../functions/sdk/index.ts';
import type { FunctionRecord, KnowledgeStore } from '../queue/cluster/index.ts';
import { CatalogIndex } from './catalog-index.ts';
import { WorkerKnowledge } from './worker-knowledge.ts';
import { WorkerSecrets, readersOf } from './worker-secrets.ts';

const record = (name: string, namespace: string, knowledge: string[], version = 'v1'): FunctionRecord => {
  const m = parseManifest({ name, knowledge });
  if (!m.ok) throw new Error('bad manifest');
  return { name, namespace, version, hash: '0'.repeat(64), manifest: m.manifest };
};

/** A store that answers with what it was asked for, so the test sees which namespace and names were opened. */
const echoStore = {
  open: async (ns: string, names: readonly string[]) => Object.fromEntries(names.map((n) => [n, { name: n, version: `${ns}/${n}`, documents: [] }])),
} as unknown as KnowledgeStore;

describe('WorkerKnowledge', () => {
  it("opens, for the other side, only the collections of a catalogued version or of a candidate being checked, and a sandbox's only of its namespace", async () => {
    const records = new CatalogIndex();
    records.set([record('reply', 'team-a', ['policies'])]);
    const secrets = new WorkerSecrets(records);
    const k = new WorkerKnowledge(secrets);
    await expect(k.openFor('reply', 'v1')).rejects.toThrow(/not connected/);
    k.connect(echoStore);
    expect(await k.openFor('reply', 'v1')).toEqual({ policies: { name: 'policies', version: 'team-a/policies', documents: [] } });
    expect(Object.keys(await k.openFor('reply', 'v1', 'team-a'))).toEqual(['policies']);
    await expect(k.openFor('reply', 'v1', 'team-b')).rejects.toThrow('reply@v1 is not deployed in namespace team-b');
    await expect(k.openFor('reply', 'v2')).rejects.toThrow('reply@v2 is not deployed');
    const next = record('reply', 'team-a', ['policies', 'faq'], 'v2');
    expect(Object.keys(await secrets.checking(next, () => k.openFor('reply', 'v2')))).toEqual(['policies', 'faq']);
    await expect(k.openFor('reply', 'v2')).rejects.toThrow('reply@v2 is not deployed');
  });

  it('finds the versions that list a changed collection: same namespace and name; every one that lists any when the change is unknown', () => {
    const all = [record('reply', 'team-a', ['policies']), record('reply-b', 'team-b', ['policies']), record('faq', 'team-a', ['faq', 'policies'], 'v9'), record('echo', 'team-a', [])];
    expect(readersOf(all, { namespace: 'team-a', name: 'policies' }, 'knowledge')).toEqual(['reply@v1', 'faq@v9']);
    expect(readersOf(all, { namespace: 'team-a', name: 'nothing' }, 'knowledge')).toEqual([]);
    expect(readersOf(all, undefined, 'knowledge')).toEqual(['reply@v1', 'reply-b@v1', 'faq@v9']);
    // A collection is not a secret of the same name.
    expect(readersOf(all, { namespace: 'team-a', name: 'policies' })).toEqual([]);
  });
});
