import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256 } from '../../functions/sdk/bundle/index.ts';
import { HOSTILE_MEMBERS, decompressionBomb, manyEntries } from '../harness/hostile-archives.ts';
import { peakRssGrowth } from '../harness/peak-memory.ts';
import { startPlatform, type TestPlatform } from '../harness/platform.ts';
import { startTestRedis, type TestRedis } from '../harness/redis.ts';

// Hostile bundles POSTed to the real router's deploy route: each is refused with a 4xx problem
// saying why, the router's memory stays far below what the archive expands to, and it keeps
// serving calls.

const MiB = 1024 * 1024;
const LIMIT = 16 * MiB;

let redis: TestRedis;
let p: TestPlatform;
beforeAll(async () => {
  redis = await startTestRedis();
  p = await startPlatform(redis.url, { env: { AUTOGLM_BUNDLE_LIMIT: '16MiB' } });
});
afterAll(async () => {
  await p?.stop();
  await redis?.destroy();
});

/** Uploads an archive as `autoglm deploy` does; the raw answer. */
async function deploy(archive: Buffer) {
  const res = await fetch(`${p.url}/v1/functions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${p.adminToken}`, 'content-type': 'application/gzip', 'x-bundle-sha256': sha256(archive) },
    body: new Uint8Array(archive),
  });
  return { status: res.status, type: res.headers.get('content-type'), body: (await res.json()) as Record<string, unknown> };
}

/** The router still serves: a call to the built-in echo answers. */
async function stillServes(): Promise<void> {
  const r = await p.call('POST', '/v1/functions/echo/invoke', { input: { message: 'still here' } });
  expect(r.status).toBe(200);
  expect(r.json.output).toEqual({ echo: { message: 'still here' } });
}

describe('hostile bundles are refused at deploy', () => {
  it('a decompression bomb (1 KiB : 1 MiB) is refused at AUTOGLM_BUNDLE_LIMIT of content, the router growing by far less than it expands to', async () => {
    const bomb = decompressionBomb(4 * MiB, 256);
    expect(bomb.expandsTo).toBeGreaterThanOrEqual(1024 * MiB);
    expect(bomb.archive.length).toBeLessThan(LIMIT / 8); // the upload limit alone lets it in
    const { result: r, growth } = await peakRssGrowth(() => deploy(bomb.archive));
    expect(r.status).toBe(413);
    expect(r.type).toMatch(/^application\/problem\+json/);
    expect(r.body).toMatchObject({ code: 'BUNDLE_TOO_LARGE', limit: 'bytes', max: LIMIT, field: 'body' });
    expect(String(r.body.detail)).toMatch(/archive content exceeds 16777216 bytes at artifacts\/zeros-\d+\.bin \(AUTOGLM_BUNDLE_LIMIT\)/);
    // Inflating it whole would take the 1 GiB it expands to; read as a stream, it holds at most
    // the limit. An eighth of the expansion leaves room for the heap's own movements.
    expect(growth).toBeLessThan(bomb.expandsTo / 8);
    await stillServes();
  });

  it('a tar of 100,000 entries is refused at AUTOGLM_BUNDLE_MAX_ENTRIES (default 10,000)', async () => {
    const archive = manyEntries(100_000);
    expect(archive.length).toBeLessThan(LIMIT);
    const r = await deploy(archive);
    expect(r.status).toBe(413);
    expect(r.body).toMatchObject({ code: 'BUNDLE_TOO_LARGE', limit: 'entries', max: 10_000 });
    expect(String(r.body.detail)).toBe('archive has more than 10000 entries (AUTOGLM_BUNDLE_MAX_ENTRIES)');
    await stillServes();
  });

  for (const h of HOSTILE_MEMBERS) {
    it(`an archive with ${h.what} is refused as INVALID_BUNDLE, saying so`, async () => {
      const r = await deploy(h.archive);
      expect(r.status).toBe(400);
      expect(r.type).toMatch(/^application\/problem\+json/);
      expect(r.body.code).toBe('INVALID_BUNDLE');
      expect(String(r.body.detail)).toMatch(h.says);
      await stillServes();
    });
  }

  it('…and none of them was recorded', async () => {
    const names = (await p.call('GET', '/v1/functions')).json.items.map((f: { name: string }) => f.name);
    expect(names).not.toContain('hostile');
  });
});
