import { describe, expect, it } from 'vitest';
import type { FunctionState } from '../../queue/cluster/index.ts';
import { afterDeploy, emptyTraffic, pickVersion, promote, rollback, setShadow, setWeights } from './traffic.ts';

const state = (versions: string[], traffic = emptyTraffic('t')): FunctionState => ({
  name: 'f',
  namespace: 'default',
  createdAt: 0,
  versions: Object.fromEntries(versions.map((v) => [v, { version: v, hash: v, manifest: {} as never, size: 0, createdAt: 0, createdBy: 't' }])),
  traffic,
});

describe('traffic', () => {
  it('promote moves all traffic and remembers the old stable; rollback returns to it', () => {
    let s = state(['a', 'b']);
    s = { ...s, traffic: promote(s, 'a', 't') };
    s = { ...s, traffic: promote(s, 'b', 't') };
    expect(s.traffic).toMatchObject({ stable: 'b', routes: [{ version: 'b', weight: 100 }], history: ['a'] });
    const back = rollback(s, 't');
    expect(back).toMatchObject({ stable: 'a', routes: [{ version: 'a', weight: 100 }], history: [] });
  });

  it('canary splits traffic; rollback drops the canary and keeps the stable', () => {
    let s = state(['a', 'b']);
    s = { ...s, traffic: promote(s, 'a', 't') };
    s = { ...s, traffic: afterDeploy(s, 'b', { kind: 'canary', percent: 10 }, 't') };
    expect(s.traffic.routes).toEqual([{ version: 'a', weight: 90 }, { version: 'b', weight: 10 }]);
    expect(s.traffic.stable).toBe('a');
    expect(rollback(s, 't').routes).toEqual([{ version: 'a', weight: 100 }]);
  });

  it('the first deploy is promoted whatever the mode', () => {
    const s = state(['a']);
    expect(afterDeploy(s, 'a', { kind: 'canary', percent: 50 }, 't').stable).toBe('a');
  });

  it('refuses weights that do not sum to 100 or name unknown versions', () => {
    const s = state(['a', 'b']);
    expect(() => setWeights(s, [{ version: 'a', weight: 50 }], 't')).toThrow(/sum to 100/);
    expect(() => setWeights(s, [{ version: 'zz', weight: 100 }], 't')).toThrow(/no version/);
    expect(() => rollback(s, 't')).toThrow(/no earlier stable/);
  });

  it('names the field as the body sent it: the route, the shadow, or the deploy query', () => {
    const s = state(['a', 'b']);
    const fieldOf = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        const { field, in: where } = (e as { extra?: { field?: string; in?: string } }).extra ?? {};
        return `${where} ${field}`;
      }
      return 'nothing thrown';
    };
    expect(fieldOf(() => setWeights(s, [{ version: 'a', weight: 50 }, { version: 'zz', weight: 50 }], 't'))).toBe('body routes[1].version');
    expect(fieldOf(() => setWeights(s, [{ version: 'a', weight: 50 }, { version: 'a', weight: 50 }], 't'))).toBe('body routes[1].version');
    expect(fieldOf(() => setWeights(s, [{ version: 'a', weight: 150 }, { version: 'b', weight: -50 }], 't'))).toBe('body routes[0].weight');
    expect(fieldOf(() => setWeights(s, [{ version: 'a', weight: 50 }], 't'))).toBe('body routes');
    expect(fieldOf(() => setShadow(s, { version: 'zz', percent: 5 }, 't'))).toBe('body shadow.version');
    expect(fieldOf(() => afterDeploy({ ...s, traffic: { ...s.traffic, stable: 'a' } }, 'b', { kind: 'canary', percent: 100 }, 't'))).toBe('query canary');
  });

  it('weighted picks follow the weights and a routing key sticks to one version', () => {
    const t = { ...emptyTraffic('t'), stable: 'a', routes: [{ version: 'a', weight: 70 }, { version: 'b', weight: 30 }] };
    let seed = 1;
    const rand = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    const counts = { a: 0, b: 0 } as Record<string, number>;
    for (let i = 0; i < 10_000; i++) counts[pickVersion(t, undefined, rand)!]!++;
    expect(counts.a! / 10_000).toBeCloseTo(0.7, 1);
  });

  it('sticks every routing key to one version, and keys split as the weights say', () => {
    const t = { ...emptyTraffic('t'), stable: 'a', routes: [{ version: 'a', weight: 50 }, { version: 'b', weight: 30 }, { version: 'c', weight: 20 }] };
    // A keyed pick must not draw at random at all.
    const noRandom = () => {
      throw new Error('a keyed pick drew a random number');
    };
    const KEYS = 10_000;
    const counts: Record<string, number> = { a: 0, b: 0, c: 0 };
    for (let i = 0; i < KEYS; i++) {
      const key = `customer-${i}`;
      const first = pickVersion(t, key, noRandom)!;
      for (let again = 0; again < 3; again++) expect(pickVersion(t, key, noRandom)).toBe(first);
      counts[first]!++;
    }
    // Keys hash to fixed slots, so these shares are fixed too; the bound is what a fair hash
    // gives 10,000 keys (5 standard deviations: at most 0.025 for a 50% share).
    for (const r of t.routes) expect(Math.abs(counts[r.version]! / KEYS - r.weight / 100), r.version).toBeLessThan(0.025);
  });
});
