import { describe, expect, it } from 'vitest';
import { parseManifest, type Manifest } from '../functions/sdk/index.ts';
import type { FunctionState, TrafficTable } from '../queue/cluster/index.ts';
import { catalogSnapshot } from './catalog-snapshot.ts';

const manifest = (name: string): Manifest => {
  const r = parseManifest({ name });
  if (!r.ok) throw new Error('bad manifest');
  return r.manifest;
};
const state = (name: string, versions: string[], traffic: Partial<TrafficTable>): FunctionState => ({
  name,
  namespace: 'default',
  createdAt: 0,
  versions: Object.fromEntries(versions.map((v) => [v, { version: v, hash: v.padEnd(64, '0'), manifest: manifest(name), size: 1, createdAt: 0, createdBy: 't' }])),
  traffic: { stable: null, routes: [], shadow: null, history: [], updatedAt: 0, updatedBy: 't', ...traffic },
});

describe('catalogSnapshot', () => {
  it('serves routed and shadowed versions; every version stays runnable for straggler jobs', () => {
    const v = catalogSnapshot([
      state('risk', ['aaa', 'bbb', 'ccc', 'ddd'], { stable: 'aaa', routes: [{ version: 'aaa', weight: 90 }, { version: 'bbb', weight: 10 }, { version: 'ccc', weight: 0 }], shadow: { version: 'ddd', percent: 5 } }),
      state('idle', ['eee'], {}),
    ]);
    expect([...v.serving].sort()).toEqual(['risk@aaa', 'risk@bbb', 'risk@ddd']);
    expect(v.records.map((r) => `${r.name}@${r.version}`).sort()).toEqual(['idle@eee', 'risk@aaa', 'risk@bbb', 'risk@ccc', 'risk@ddd']);
    expect(v.byFunction.get('risk')!.map((r) => r.version).sort()).toEqual(['aaa', 'bbb', 'ddd']);
    // A function without traffic is still consumed (sized by all its versions), so queued jobs drain.
    expect(v.byFunction.get('idle')!.map((r) => r.version)).toEqual(['eee']);
  });
});
