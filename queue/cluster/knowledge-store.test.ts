import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { redisForFile } from '../../test/harness/redis-for-file.ts';
import { KnowledgeInvalidError, KnowledgeMissingError, KnowledgeStore, type KnowledgeChange } from './knowledge-store.ts';
import { PayloadCipher, newKeyringSpec, parseKeyring } from './payload-cipher.ts';
import { eventually } from '../../test/harness/eventually.ts';

const r = redisForFile();
const ring = parseKeyring(newKeyringSpec('k1'));
if (!ring.ok) throw new Error(ring.error);
const cipher = new PayloadCipher(ring.ring);
const file = (path: string, text: string) => ({ path, data: Buffer.from(text) });
const policies = [
  file('refunds.md', '---\nregion: eu\n---\n# Refunds\n\nWithin 30 days of delivery.\n'),
  file('shipping/times.txt', 'Orders ship in 2 days.'),
  file('faq.jsonl', '{"id":"faq-1","title":"Hours","text":"We answer 9 to 5.","metadata":{"lang":"en"}}\n'),
];

describe('knowledge collections', () => {
  it('puts files as a version named by their content; opens them as documents; the same files change nothing', async () => {
    const store = new KnowledgeStore(r.conn, 'k1', cipher);
    const first = await store.put('team-a', 'store-policies', policies, 'alice');
    expect(first.changed).toBe(true);
    expect(first.info).toMatchObject({ name: 'store-policies', namespace: 'team-a', files: 3, documents: 3, updatedBy: 'alice' });
    expect(first.info.version).toMatch(/^[0-9a-f]{12}$/);
    expect((await store.put('team-a', 'store-policies', [...policies].reverse(), 'bob')).changed).toBe(false);
    const open = await store.open('team-a', ['store-policies']);
    expect(open['store-policies']!.version).toBe(first.info.version);
    expect(open['store-policies']!.documents).toEqual([
      { id: 'faq-1', title: 'Hours', text: 'We answer 9 to 5.', metadata: { lang: 'en' } },
      { id: 'refunds', title: 'Refunds', text: '# Refunds\n\nWithin 30 days of delivery.', metadata: { region: 'eu' } },
      { id: 'shipping/times', title: 'times', text: 'Orders ship in 2 days.', metadata: {} },
    ]);
    // get --out round-trips: exactly the files put took.
    const back = await store.files('team-a', 'store-policies');
    expect(back.files.map((f) => [f.path, f.data.toString()]).sort()).toEqual(policies.map((f) => [f.path, f.data.toString()]).sort());
    // Sealed at rest: the text is nowhere in Redis in the clear.
    const dump = JSON.stringify(await r.conn.get(`k1:knowledge:team-a:store-policies:${first.info.version}`));
    expect(dump).not.toContain('30 days');
    // Another namespace has none of it.
    await expect(store.open('team-b', ['store-policies'])).rejects.toBeInstanceOf(KnowledgeMissingError);
  });

  it('a new version is announced, the replaced one stays readable for an hour, removal is announced', async () => {
    const store = new KnowledgeStore(r.conn, 'k2', cipher);
    const sub = new Redis(r.server.url);
    const seen: KnowledgeChange[] = [];
    const stop = await store.watch(sub, (c) => seen.push(c));
    try {
      const v1 = (await store.put('default', 'p', [file('a.md', '# A\none')], 'x')).info.version;
      const v2 = (await store.put('default', 'p', [file('a.md', '# A\ntwo')], 'x')).info.version;
      expect(v2).not.toBe(v1);
      expect(await r.conn.ttl(`k2:knowledge:default:p:${v1}`)).toBeGreaterThan(3000);
      expect(await r.conn.ttl(`k2:knowledge:default:p:${v2}`)).toBe(-1);
      expect((await store.files('default', 'p', v1)).files[0]!.data.toString()).toBe('# A\none');
      expect(await store.remove('default', 'p')).toBe(true);
      expect(await store.remove('default', 'p')).toBe(false);
      await eventually(() => seen.length === 3, 'three announcements');
      expect(seen).toEqual([
        { namespace: 'default', name: 'p', version: v1 },
        { namespace: 'default', name: 'p', version: v2 },
        { namespace: 'default', name: 'p', version: null },
      ]);
      expect(await store.missing('default', ['p', 'q'])).toEqual(['p', 'q']);
    } finally {
      await stop();
      sub.disconnect();
    }
  });

  it('refuses what cannot be a collection, naming the file and line', async () => {
    const store = new KnowledgeStore(r.conn, 'k3', cipher, { maxBytes: 100 });
    const refusal = (files: { path: string; data: Buffer }[], name = 'c') => store.put('default', name, files, 'x').then(() => undefined, (e: KnowledgeInvalidError) => e.message);
    expect(await refusal([file('a.jsonl', '{"id":"1","text":"ok"}\n{oops}\n')])).toMatch(/^files: a\.jsonl: line 2: not JSON/);
    expect(await refusal([file('a.pdf', 'x')])).toMatch(/^files: a\.pdf: not a knowledge file/);
    expect(await refusal([file('../up.md', 'x')])).toMatch(/not a safe relative path/);
    expect(await refusal([file('a.md', 'x'.repeat(101))])).toMatch(/more than the limit of 100/);
    expect(await refusal([file('a.md', 'x')], 'Bad_Name')).toMatch(/^name: /);
    expect(await refusal([file('a.json', '[{"id":"d","text":"1"},{"id":"d","text":"2"}]')])).toMatch(/two documents have this id/);
    expect(await r.conn.exists('k3:knowledge:default')).toBe(0);
  });
});
