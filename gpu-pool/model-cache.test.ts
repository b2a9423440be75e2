import { describe, expect, it } from 'vitest';
import { ModelTooLargeError } from './errors.ts';
import { ModelCache } from './model-cache.ts';

function setup(budget = 100) {
  const unloaded: string[] = [];
  const loads: string[] = [];
  const cache = new ModelCache<string>({ budgetBytes: budget, unload: (key) => void unloaded.push(key) });
  const load = (key: string, ms = 0) => async () => {
    loads.push(key);
    await new Promise((r) => setTimeout(r, ms));
    return `model ${key}`;
  };
  const use = async (key: string, cost = 40) => {
    const v = await cache.acquire(key, cost, load(key));
    cache.release(key);
    return v;
  };
  return { cache, unloaded, loads, load, use };
}

describe('ModelCache', () => {
  it('evicts the least recently used model when a new one does not fit', async () => {
    const { cache, unloaded, use } = setup(100);
    await use('a');
    await use('b');
    await use('a'); // a is now the most recent
    await use('c'); // 120 > 100: b goes
    await cache.settled();
    expect(unloaded).toEqual(['b']);
    expect(cache.view().map((e) => e.key)).toEqual(['a', 'c']);
    expect(cache.usedBytes).toBe(80);
  });

  it('charges a model what it was measured to hold when more than its declared cost, and makes room for it', async () => {
    const unloaded: string[] = [];
    const held: Record<string, number> = { a: 30, b: 30, c: 70 };
    const cache = new ModelCache<string>({ budgetBytes: 100, unload: (key) => void unloaded.push(key), measured: (v) => held[v] });
    for (const key of ['a', 'b', 'c']) {
      await cache.acquire(key, 40, async () => key);
      cache.release(key);
    }
    await cache.settled();
    // a and b cost their declared 40 (they hold less); c holds 70: 150 > 100, so a goes, then b.
    expect(unloaded).toEqual(['a', 'b']);
    expect(cache.view()).toEqual([{ key: 'c', bytes: 70, measuredBytes: 70, inUse: 0, loaded: true }]);
    expect(cache.usedBytes).toBe(70);
  });

  it('loads a key once when first acquires arrive together', async () => {
    const { cache, loads, load } = setup();
    const values = await Promise.all(Array.from({ length: 10 }, () => cache.acquire('a', 10, load('a', 20))));
    expect(values).toEqual(Array(10).fill('model a'));
    expect(loads).toEqual(['a']);
    expect(cache.view()[0]).toMatchObject({ key: 'a', inUse: 10, loaded: true });
  });

  it('never unloads a model while a batch uses it, running over budget until pins come off', async () => {
    const { cache, unloaded, load } = setup(100);
    await cache.acquire('a', 60, load('a'));
    await cache.acquire('b', 60, load('b')); // a is pinned, so the cache runs over budget
    await cache.settled();
    expect(unloaded).toEqual([]);
    expect(cache.usedBytes).toBe(120);
    cache.release('a'); // a is free now, and least recently used: it goes
    await cache.settled();
    expect(unloaded).toEqual(['a']);
    cache.release('b');
    expect(cache.view().map((e) => e.key)).toEqual(['b']);
    expect(cache.usedBytes).toBe(60);
  });

  it('retain unloads versions that left the catalogue, deferring those in use', async () => {
    const { cache, unloaded, load, use } = setup(1000);
    await use('f@1');
    await cache.acquire('f@2', 10, load('f@2'));
    await use('g@1');
    cache.retain(new Set(['g@1']));
    await cache.settled();
    expect(unloaded).toEqual(['f@1']);
    cache.release('f@2');
    await cache.settled();
    expect(unloaded).toEqual(['f@1', 'f@2']);
    // A straggler job of a retired version loads it, and it goes again right after.
    await use('f@1');
    await cache.settled();
    expect(unloaded).toEqual(['f@1', 'f@2', 'f@1']);
    expect(cache.view().map((e) => e.key)).toEqual(['g@1']);
  });

  it('forgets a failed load so the next acquire tries again', async () => {
    const { cache } = setup();
    await expect(cache.acquire('a', 10, async () => Promise.reject(new Error('disk on fire')))).rejects.toThrow('disk on fire');
    expect(cache.usedBytes).toBe(0);
    expect(await cache.acquire('a', 10, async () => 'ok')).toBe('ok');
  });

  it('refuses a model larger than the whole budget', async () => {
    const { cache, load } = setup(100);
    await expect(cache.acquire('huge', 101, load('huge'))).rejects.toBeInstanceOf(ModelTooLargeError);
  });

  it('clear unloads everything', async () => {
    const { cache, unloaded, use } = setup();
    await use('a', 10);
    await use('b', 10);
    await cache.clear();
    expect(unloaded.sort()).toEqual(['a', 'b']);
    expect(cache.view()).toEqual([]);
  });
});
