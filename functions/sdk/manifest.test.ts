import { describe, expect, it } from 'vitest';
import { parseDuration } from './duration.ts';
import { parseManifest } from './manifest.ts';

describe('parseManifest', () => {
  it('compiles durations and sizes and fills defaults', () => {
    const r = parseManifest({ name: 'risk', timeout: '5s', memory: '256MiB', batching: { maxSize: 32, maxDelay: '2ms' } });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.manifest.timeout).toBe(5000);
    expect(r.manifest.memory).toBe(256 * 1024 * 1024);
    expect(r.manifest.batching).toEqual({ maxSize: 32, maxDelay: 2 });
    expect(r.manifest.retries).toBe(2);
    expect(r.manifest.entry).toBe('handler.ts');
    expect(r.manifest.device).toBe('any');
    expect(r.manifest.isolation).toBe('thread');
  });

  it('names every bad field', () => {
    const r = parseManifest({ name: 'Bad Name', timeout: 'forever', device: 'tpu', isolation: 'process', extra: 1 });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const fields = r.issues.map((i) => i.field);
    expect(fields).toEqual(expect.arrayContaining(['name', 'timeout', 'device', 'isolation']));
    expect(r.issues.some((i) => i.message.includes('extra'))).toBe(true);
  });
});

describe('manifest env', () => {
  it('takes string settings under variable names, default none', () => {
    const r = parseManifest({ name: 'risk', env: { THRESHOLD: '0.8', _mode: 'strict' } });
    expect(r.ok && r.manifest.env).toEqual({ THRESHOLD: '0.8', _mode: 'strict' });
    const none = parseManifest({ name: 'risk' });
    expect(none.ok && none.manifest.env).toEqual({});
  });

  it('refuses a bad name or a value that is not a string, naming the setting', () => {
    const r = parseManifest({ name: 'risk', env: { '1X': 'a', OK: 3 } });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.issues.map((i) => i.field)).toEqual(expect.arrayContaining(['env.1X', 'env.OK']));
  });
});

describe('manifest secrets', () => {
  it('lists secret names, default none', () => {
    const r = parseManifest({ name: 'crm', secrets: ['crm-api-key', 'db_password'] });
    expect(r.ok && r.manifest.secrets).toEqual(['crm-api-key', 'db_password']);
    const none = parseManifest({ name: 'crm' });
    expect(none.ok && none.manifest.secrets).toEqual([]);
  });

  it('refuses a bad name and a name listed twice, naming where', () => {
    const bad = parseManifest({ name: 'crm', secrets: ['ok', 'Not OK'] });
    expect(!bad.ok && bad.issues.map((i) => i.field)).toEqual(['secrets[1]']);
    const twice = parseManifest({ name: 'crm', secrets: ['a', 'a'] });
    expect(!twice.ok && twice.issues).toEqual([{ field: 'secrets', message: 'lists a secret twice' }]);
  });
});

describe('manifest knowledge', () => {
  it('lists collection names, default none', () => {
    const r = parseManifest({ name: 'reply', knowledge: ['store-policies', 'faq'] });
    expect(r.ok && r.manifest.knowledge).toEqual(['store-policies', 'faq']);
    const none = parseManifest({ name: 'reply' });
    expect(none.ok && none.manifest.knowledge).toEqual([]);
  });

  it('refuses a bad name, a name listed twice and more than 20, naming where', () => {
    const bad = parseManifest({ name: 'reply', knowledge: ['ok', 'not_ok', 'Upper'] });
    expect(!bad.ok && bad.issues.map((i) => i.field)).toEqual(['knowledge[1]', 'knowledge[2]']);
    const twice = parseManifest({ name: 'reply', knowledge: ['a', 'a'] });
    expect(!twice.ok && twice.issues).toEqual([{ field: 'knowledge', message: 'lists a collection twice' }]);
    const many = parseManifest({ name: 'reply', knowledge: Array.from({ length: 21 }, (_, i) => `c${i}`) });
    expect(!many.ok && many.issues.map((i) => i.field)).toEqual(['knowledge']);
    expect(parseManifest({ name: 'reply', knowledge: Array.from({ length: 20 }, (_, i) => `c${i}`) }).ok).toBe(true);
  });
});

describe('parseDuration', () => {
  it.each([
    ['250ms', 250],
    ['30s', 30_000],
    ['1.5s', 1500],
    ['5m', 300_000],
    ['7d', 604_800_000],
    ['42', 42],
  ])('%s → %d ms', (s, ms) => expect(parseDuration(s)).toBe(ms));
  it('rejects nonsense', () => {
    expect(parseDuration('soon')).toBeUndefined();
    expect(parseDuration('-1s')).toBeUndefined();
    expect(parseDuration(Number.NaN)).toBeUndefined();
  });
});

describe('manifest feedback', () => {
  it('takes a JSON Pointer into the output for labels', () => {
    const r = parseManifest({ name: 'reply', feedback: { label: '/intent' } });
    expect(r.ok && r.manifest.feedback).toEqual({ label: '/intent' });
    expect(parseManifest({ name: 'reply', feedback: { label: '' } }).ok).toBe(true);
  });

  it('refuses a bad pointer at deploy, naming the field', () => {
    for (const label of ['intent', '/a~2b', 3]) {
      const r = parseManifest({ name: 'reply', feedback: { label } });
      expect(r.ok).toBe(false);
      if (r.ok) continue;
      expect(r.issues.map((i) => i.field)).toEqual(['feedback.label']);
    }
    const extra = parseManifest({ name: 'reply', feedback: { label: '/intent', other: 1 } });
    expect(extra.ok).toBe(false);
  });
});

describe('manifest cache', () => {
  it('compiles the TTL to ms and fills the bounds', () => {
    const r = parseManifest({ name: 'score', cache: { ttl: '10m' } });
    expect(r.ok && r.manifest.cache).toEqual({ ttl: 600_000, maxEntries: 10_000, maxBytes: 64 * 1024 * 1024 });
    const sized = parseManifest({ name: 'score', cache: { ttl: '1s', maxEntries: 5, maxBytes: '2MiB' } });
    expect(sized.ok && sized.manifest.cache).toEqual({ ttl: 1000, maxEntries: 5, maxBytes: 2 * 1024 * 1024 });
    const none = parseManifest({ name: 'score' });
    expect(none.ok && none.manifest.cache).toBeUndefined();
  });

  it('refuses a bad section, naming the field', () => {
    const cases: [unknown, string][] = [
      [{ ttl: '500ms' }, 'cache.ttl'],
      [{ ttl: '25h' }, 'cache.ttl'],
      [{ ttl: 'soon' }, 'cache.ttl'],
      [{}, 'cache.ttl'],
      [{ ttl: '1m', maxEntries: 0 }, 'cache.maxEntries'],
      [{ ttl: '1m', maxBytes: '2TiB' }, 'cache.maxBytes'],
      [{ ttl: '1m', maxBytes: 10 }, 'cache.maxBytes'],
      [{ ttl: '1m', other: 1 }, 'cache'],
    ];
    for (const [cache, field] of cases) {
      const r = parseManifest({ name: 'score', cache });
      expect(r.ok, JSON.stringify(cache)).toBe(false);
      if (!r.ok) expect(r.issues.map((i) => i.field)).toEqual([field]);
    }
  });
});
