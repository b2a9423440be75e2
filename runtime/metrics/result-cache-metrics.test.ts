import { describe, expect, it } from 'vitest';
import { parseManifest } from '../../functions/sdk/index.ts';
import type { FunctionState } from '../../queue/cluster/index.ts';
import { findSamples, parseExposition } from '../../test/harness/exposition.ts';
import { formatExposition } from './exposition.ts';
import { resultCacheFamilies } from './result-cache-metrics.ts';

const state = (name: string, namespace: string, cache?: unknown): FunctionState => {
  const parsed = parseManifest({ name, ...(cache ? { cache } : {}) });
  if (!parsed.ok) throw new Error('bad manifest');
  return { name, namespace, createdAt: 0, versions: { v1: { version: 'v1', hash: 'h', manifest: parsed.manifest } as FunctionState['versions'][string] }, traffic: { routes: [{ version: 'v1', weight: 100 }] } as FunctionState['traffic'] };
};

describe('resultCacheFamilies', () => {
  it('reads the entries of the functions that declare cache, in their namespace, and names no other', async () => {
    const asked: { namespace: string; name: string }[][] = [];
    const families = await resultCacheFamilies([state('score', 'team-a', { ttl: '1m' }), state('echo', 'default'), state('rank', 'team-b', { ttl: '5m' })], {
      entries: async (fns) => (asked.push([...fns]), new Map(fns.map((f, i) => [f.name, 10 + i]))),
    });
    expect(asked).toEqual([[{ namespace: 'team-b', name: 'rank' }, { namespace: 'team-a', name: 'score' }]]);
    const p = parseExposition(formatExposition(families));
    expect(findSamples(p, 'autoglm_result_cache_entries').map((s) => [s.labels.function, s.value])).toEqual([['rank', 10], ['score', 11]]);
    expect(p.types.get('autoglm_result_cache_entries')).toBe('gauge');
  });
});
