import { describe, expect, it } from 'vitest';
import { parseManifest } from '../functions/sdk/index.ts';
import type { FunctionRecord, SecretStore } from '../queue/cluster/index.ts';
import { CatalogIndex } from './catalog-index.ts';
import { WorkerSecrets, readersOf } from './worker-secrets.ts';

const record = (name: string, namespace: string, secrets: string[], version = 'v1'): FunctionRecord => {
  const m = parseManifest({ name, secrets });
  if (!m.ok) throw new Error('bad manifest');
  return { name, namespace, version, hash: '0'.repeat(64), manifest: m.manifest };
};

/** A store that answers with what it was asked for, so the test sees which namespace and names were opened. */
const echoStore = { open: async (ns: string, names: readonly string[]) => Object.fromEntries(names.map((n) => [n, `${ns}/${n}`])) } as unknown as SecretStore;

describe('WorkerSecrets', () => {
  it('opens, for the inference thread, only the secrets of a catalogued version or of a candidate being checked', async () => {
    const records = new CatalogIndex();
    const crm = record('crm', 'team-a', ['crm-key']);
    records.set([crm]);
    const s = new WorkerSecrets(records);
    await expect(s.openFor('crm', 'v1')).rejects.toThrow(/not connected/);
    s.connect(echoStore);
    expect(await s.openFor('crm', 'v1')).toEqual({ 'crm-key': 'team-a/crm-key' });
    // Not another version of the function (the record index would fall back to one), nor an unknown one.
    await expect(s.openFor('crm', 'v2')).rejects.toThrow('crm@v2 is not deployed');
    await expect(s.openFor('other', 'v1')).rejects.toThrow('other@v1 is not deployed');
    const next = record('crm', 'team-a', ['crm-key', 'db'], 'v2');
    expect(await s.checking(next, () => s.openFor('crm', 'v2'))).toEqual({ 'crm-key': 'team-a/crm-key', db: 'team-a/db' });
    await expect(s.openFor('crm', 'v2')).rejects.toThrow('crm@v2 is not deployed');
  });

  it('finds the versions that read a changed secret: same namespace and name; every reader when the change is unknown', () => {
    const all = [record('crm', 'team-a', ['crm-key']), record('crm-b', 'team-b', ['crm-key']), record('db', 'team-a', ['db', 'crm-key'], 'v9'), record('echo', 'team-a', [])];
    expect(readersOf(all, { namespace: 'team-a', name: 'crm-key' })).toEqual(['crm@v1', 'db@v9']);
    expect(readersOf(all, { namespace: 'team-a', name: 'nothing' })).toEqual([]);
    expect(readersOf(all, undefined)).toEqual(['crm@v1', 'crm-b@v1', 'db@v9']);
  });
});
