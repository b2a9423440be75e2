import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sha256, type BundleLimits } from '../functions/sdk/bundle/index.ts';
import { HOSTILE_MEMBERS, decompressionBomb, manyEntries } from '../test/harness/hostile-archives.ts';
import { peakRssGrowth } from '../test/harness/peak-memory.ts';
import { BundleCache } from './bundle-cache.ts';

// A worker opens a bundle again before extracting it: its artifact directory (or a router) may
// hold an archive no deploy check saw. Each hostile archive here is placed where a worker looks
// for it, by hash, as a deployed version's bundle would be.

const MiB = 1024 * 1024;
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'autoglm-bundle-cache-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A cache over an artifact directory holding `archive`; the hash to ask it for. */
function cacheWith(archive: Buffer, limits: Partial<BundleLimits> = { maxBytes: 16 * MiB }): { cache: BundleCache; hash: string } {
  const hash = sha256(archive);
  const artifacts = mkdtempSync(join(dir, 'artifacts-'));
  writeFileSync(join(artifacts, `${hash}.tgz`), archive);
  return { cache: new BundleCache(join(dir, 'cache'), { localDir: artifacts }, limits), hash };
}

/** What the cache folder holds besides its node_modules link: extracted bundles and leftovers. */
const extracted = () => readdirSync(join(dir, 'cache')).filter((n) => n !== 'node_modules');

describe('BundleCache refuses hostile bundles before extracting anything', () => {
  for (const h of HOSTILE_MEMBERS) {
    it(`${h.what}`, async () => {
      const { cache, hash } = cacheWith(h.archive);
      await expect(cache.ensure(hash)).rejects.toThrow(h.says);
      expect(extracted()).toEqual([]);
    });
  }

  it('a decompression bomb, at its limit of content, growing by far less than it expands to', async () => {
    const bomb = decompressionBomb(4 * MiB, 256);
    const { cache, hash } = cacheWith(bomb.archive);
    const { result, growth } = await peakRssGrowth(() => cache.ensure(hash).catch((err: Error) => err));
    expect(String(result)).toMatch(/archive content exceeds 16777216 bytes/);
    expect(growth).toBeLessThan(bomb.expandsTo / 8);
    expect(extracted()).toEqual([]);
  });

  it('a tar with more members than its limit', async () => {
    const { cache, hash } = cacheWith(manyEntries(2_000), { maxBytes: 16 * MiB, maxEntries: 1_000 });
    await expect(cache.ensure(hash)).rejects.toThrow(/more than 1000 entries/);
    expect(extracted()).toEqual([]);
  });
});
