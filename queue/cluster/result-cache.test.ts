import { describe, expect, it } from 'vitest';
import { redisForFile } from '../../test/harness/redis-for-file.ts';
import { eventually } from '../../test/harness/eventually.ts';
import { keys } from '../keys.ts';
import { PayloadCipher, newKeyringSpec, parseKeyring } from './payload-cipher.ts';
import { ResultCache, SECRET_SETTLE_MS, type CacheBounds, type CacheCall, type CacheLookup, type CachedAnswer } from './result-cache.ts';
import { SecretStore } from './secret-store.ts';
import { KnowledgeStore } from './knowledge-store.ts';

const r = redisForFile();
const ring = parseKeyring(newKeyringSpec('t'));
const cipher = new PayloadCipher(ring.ok ? ring.ring : (undefined as never));

let n = 0;
/** A fresh cache on its own prefix. */
const fresh = () => {
  const prefix = `rc${++n}`;
  return { prefix, cache: new ResultCache(r.conn, prefix, cipher) };
};

const call = (input: unknown, over: Partial<CacheCall> = {}): CacheCall => ({ namespace: 'team-a', function: 'score', version: 'v1', input: JSON.stringify(input), secrets: [], knowledge: [], ...over });
const answer = (job: string, output: unknown): CachedAnswer => ({ job, at: Date.now(), result: { output, version: 'v1', device: 'cpu:0', batchSize: 1 } });
const roomy = { ttlMs: 60_000, maxEntries: 100, maxBytes: 1 << 20 };

/** Keeps `count` answers of inputs {i}, one ms apart (the first oldest), and gives their lookups. */
async function fill(cache: ResultCache, count: number, output: (i: number) => unknown, bounds: CacheBounds): Promise<CacheLookup[]> {
  const looks: CacheLookup[] = [];
  for (let i = 0; i < count; i++) {
    const l = await cache.lookup(call({ i }));
    looks.push(l);
    await cache.store(call({}), l, answer(`score.j${i}`, output(i)), bounds, 0, Date.now() + i);
  }
  return looks;
}

describe('ResultCache', () => {
  it('misses, keeps a sealed answer, then hits with the job that computed it', async () => {
    const { prefix, cache } = fresh();
    const first = await cache.lookup(call({ card: 'secret-card-4242' }));
    expect(first.hit).toBeUndefined();
    expect(await cache.store(call({}), first, answer('score.job1', { verdict: 'plaintext-verdict' }), roomy, 0)).toEqual({ kept: true, evicted: 0 });
    const again = await cache.lookup(call({ card: 'secret-card-4242' }));
    expect(again.entry).toBe(first.entry);
    expect(again.hit).toMatchObject({ job: 'score.job1', result: { output: { verdict: 'plaintext-verdict' }, version: 'v1' } });
    const stored = (await r.conn.get(keys.resultCache(prefix, 'team-a', 'score', first.entry)))!;
    expect(stored).not.toContain('plaintext-verdict');
    expect(stored).toContain('aes-256-gcm');
    expect((await cache.entries([{ namespace: 'team-a', name: 'score' }])).get('score')).toBe(1);
  });

  it('names another entry for another version, input or namespace', async () => {
    const { cache } = fresh();
    const base = await cache.lookup(call({ a: 1 }));
    await cache.store(call({}), base, answer('score.j', 1), roomy, 0);
    expect((await cache.lookup(call({ a: 1 }, { version: 'v2' }))).hit).toBeUndefined();
    expect((await cache.lookup(call({ a: 2 }))).hit).toBeUndefined();
    expect((await cache.lookup(call({ a: 1 }, { namespace: 'team-b' }))).hit).toBeUndefined();
    expect((await cache.lookup(call({ a: 1 }))).hit?.job).toBe('score.j');
  });

  it('bounds the count, evicting the oldest first', async () => {
    const { prefix, cache } = fresh();
    const bounds = { ...roomy, maxEntries: 3 };
    const looks = await fill(cache, 5, (i) => i, bounds);
    expect(await r.conn.zcard(keys.resultCacheIndex(prefix, 'team-a', 'score'))).toBe(3);
    for (let i = 0; i < 5; i++) expect(await r.conn.exists(keys.resultCache(prefix, 'team-a', 'score', looks[i]!.entry)), `entry ${i}`).toBe(i < 2 ? 0 : 1);
  });

  it('bounds the bytes, and refuses an answer larger than the bound alone', async () => {
    const { prefix, cache } = fresh();
    const big = 'x'.repeat(2000);
    const bounds = { ...roomy, maxBytes: 7000 };
    const looks = await fill(cache, 4, () => big, bounds);
    const total = await cache.bytes('team-a', 'score');
    expect(total).toBeLessThanOrEqual(7000);
    expect(total).toBeGreaterThan(4000);
    expect(await r.conn.exists(keys.resultCache(prefix, 'team-a', 'score', looks[0]!.entry))).toBe(0);
    expect(await r.conn.exists(keys.resultCache(prefix, 'team-a', 'score', looks[3]!.entry))).toBe(1);
    const huge = await cache.lookup(call({ huge: true }));
    expect(await cache.store(call({}), huge, answer('score.h', 'y'.repeat(8000)), bounds, 0)).toEqual({ kept: false, evicted: 0 });
    expect((await cache.lookup(call({ huge: true }))).hit).toBeUndefined();
  });

  it('keeps an entry no longer than the job records it names, when they are kept for less than its TTL', async () => {
    const prefix = `rc${++n}`;
    const cache = new ResultCache(r.conn, prefix, cipher, 2000);
    const l = await cache.lookup(call({ capped: 1 }));
    await cache.store(call({}), l, answer('score.c', 1), roomy, 0);
    const pttl = await r.conn.pttl(keys.resultCache(prefix, 'team-a', 'score', l.entry));
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(2000);
  });

  it('lets Redis expire an entry at its TTL, and stops counting it', async () => {
    const { prefix, cache } = fresh();
    const l = await cache.lookup(call({ short: 1 }));
    await cache.store(call({}), l, answer('score.s', 1), { ...roomy, ttlMs: 1000 }, 0);
    const key = keys.resultCache(prefix, 'team-a', 'score', l.entry);
    const pttl = await r.conn.pttl(key);
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(1000);
    await eventually(async () => (await r.conn.exists(key)) === 0, 'the entry to expire', 5000);
    expect((await cache.lookup(call({ short: 1 }))).hit).toBeUndefined();
    expect((await cache.entries([{ namespace: 'team-a', name: 'score' }])).get('score')).toBe(0);
  });

  it('names a changed secret or collection version as another entry; keeps no answer of a run that began before a secret settled, or read another collection version', async () => {
    const { prefix, cache } = fresh();
    const secrets = new SecretStore(r.conn, prefix, cipher);
    const knowledge = new KnowledgeStore(r.conn, prefix, cipher);
    await secrets.set('team-a', 'api-key', 'one', 'alice');
    await knowledge.put('team-a', 'policies', [{ path: 'a.md', data: Buffer.from('# A\n\nfirst') }], 'alice');
    const c = call({ q: 1 }, { secrets: ['api-key'], knowledge: ['policies'] });
    const first = await cache.lookup(c);
    const version = first.knowledge.policies!;
    const settled = first.secretsChangedAt + SECRET_SETTLE_MS;
    const ran = (job: string, knowledgeRead: Record<string, string>) => ({ ...answer(job, 1), result: { ...answer(job, 1).result, knowledge: knowledgeRead } });
    expect(await cache.store(c, first, ran('score.early', { policies: version }), roomy, settled - 1)).toMatchObject({ kept: false });
    expect(await cache.store(c, first, ran('score.other', { policies: 'other' }), roomy, settled)).toMatchObject({ kept: false });
    expect(await cache.store(c, first, ran('score.k', { policies: version }), roomy, settled)).toMatchObject({ kept: true });
    expect((await cache.lookup(c)).hit?.job).toBe('score.k');

    await knowledge.put('team-a', 'policies', [{ path: 'a.md', data: Buffer.from('# A\n\nsecond') }], 'alice');
    const put = await cache.lookup(c);
    expect(put.hit).toBeUndefined();
    expect(put.knowledge.policies).not.toBe(version);

    await secrets.set('team-a', 'api-key', 'two', 'alice');
    const changed = await cache.lookup(c);
    expect(changed.entry).not.toBe(put.entry);
    expect(changed.hit).toBeUndefined();
    expect(changed.secretsChangedAt).toBeGreaterThanOrEqual(first.secretsChangedAt);
  });
});
