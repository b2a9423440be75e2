import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { versionOf } from '../../functions/sdk/bundle/index.ts';
import { keys } from '../../queue/keys.ts';
import { bundleMaker, type TestBundle } from '../harness/bundles.ts';
import { parseExposition, sampleValue } from '../harness/exposition.ts';
import { eventually, startPlatform, type TestPlatform } from '../harness/platform.ts';
import { dumpRedis } from '../harness/redis.ts';
import { redisForFile } from '../harness/redis-for-file.ts';
import { fixturePath } from './pool-helpers.ts';

// signer (a fixture) signs texts with the sign-key secret: its output depends on the input, the
// secret's value and nothing else, so it may declare `cache`.
const FIRST = 'rc1-first-value-Q7w2';
const SECOND = 'rc2-second-value-M4k9';
const sig = (key: string, text: string) => createHmac('sha256', key).update(text).digest('hex');
const FN = 'signer-cached';

const r = redisForFile();
let p: TestPlatform;
let make: Awaited<ReturnType<typeof bundleMaker>>;

const deploy = async (b: TestBundle) => p.api.deploy(b.archive, b.hash, {}).then(
  () => ({ status: 201, body: undefined as any }),
  (err: { status: number; problem: any }) => ({ status: err.status, body: err.problem }),
);
const invoke = (input: unknown) => p.call('POST', `/v1/functions/${FN}/invoke`, { input });

/**
 * Calls until the cache answers (a miss's answer is kept in the background, and not before the
 * secret's change has settled): the hit must name the job of the last miss before it.
 */
async function missThenHit(input: unknown): Promise<{ miss: Awaited<ReturnType<typeof invoke>>; hit: Awaited<ReturnType<typeof invoke>> }> {
  let miss: Awaited<ReturnType<typeof invoke>> | undefined;
  const hit = await eventually(async () => {
    const res = await invoke(input);
    expect(res.status).toBe(200);
    if (res.headers.get('x-cache') === 'hit') return res;
    expect(res.headers.get('x-cache')).toBe('miss');
    miss = res;
    return undefined;
  }, 'a call answered from the cache', 10_000);
  expect(miss, 'the first call of an input is a miss').toBeDefined();
  return { miss: miss!, hit };
}

// One platform for the file (after redisForFile's hooks: its Redis is up first).
beforeAll(async () => {
  p = await startPlatform(r.server.url);
  make = await bundleMaker(fixturePath('functions/signer'));
  expect((await p.call('PUT', '/v1/secrets/sign-key', { value: FIRST })).status).toBe(201);
  expect((await deploy(make(FN, { EDITION: '1' }, { cache: { ttl: '1m', maxEntries: 50 } }))).status).toBe(201);
}, 60_000);
afterAll(() => p?.stop());

describe('result cache', () => {
  it('answers a repeated call from the cache with the first job id, sealed in Redis, counted in the metrics; the same input in another key order hits, another input misses', async () => {
    const { miss, hit } = await missThenHit({ text: 'pay 100', ref: 'a' });
    expect(miss.json.output.sig).toBe(sig(FIRST, 'pay 100'));
    expect(hit.headers.get('x-job-id')).toBe(miss.headers.get('x-job-id'));
    expect(hit.json).toMatchObject({ id: miss.json.id, version: miss.json.version, output: miss.json.output, timings: { queuedMs: 0, runMs: 0 } });
    expect(hit.headers.get('x-function-version')).toBe(miss.headers.get('x-function-version'));

    // Canonical input: the same object with its keys in another order is the same call.
    expect((await invoke({ ref: 'a', text: 'pay 100' })).headers.get('x-cache')).toBe('hit');
    // The caller's Cache-Control: no-cache runs it again (a new job) and keeps that answer; no-store skips the cache.
    const body = { input: { text: 'pay 100', ref: 'a' } };
    const fresh = await p.call('POST', `/v1/functions/${FN}/invoke`, body, { 'cache-control': 'no-cache' });
    expect(fresh.headers.get('x-cache')).toBe('miss');
    expect(fresh.json.id).not.toBe(miss.json.id);
    await eventually(async () => (await invoke({ text: 'pay 100', ref: 'a' })).json.id === fresh.json.id, 'the fresh answer to be kept');
    const unstored = await p.call('POST', `/v1/functions/${FN}/invoke`, body, { 'cache-control': 'no-store' });
    expect(unstored.headers.get('x-cache')).toBe('bypass');
    expect(unstored.json.id).not.toBe(fresh.json.id);
    expect((await invoke({ text: 'pay 100', ref: 'a' })).json.id).toBe(fresh.json.id);

    const other = await invoke({ text: 'pay 101', ref: 'a' });
    expect(other.headers.get('x-cache')).toBe('miss');
    expect(other.json.output.sig).toBe(sig(FIRST, 'pay 101'));

    // Sealed at rest: the signature is nowhere in Redis in the clear (the job records are sealed too).
    const index = keys.resultCacheIndex(p.prefix, 'default', FN);
    await eventually(async () => (await p.redis.zcard(index)) === 2, 'both answers to be kept');
    expect(await dumpRedis(p.redis)).not.toContain(miss.json.output.sig);

    const metrics = parseExposition(await (await fetch(`${p.url}/metrics`, { headers: { authorization: `Bearer ${p.adminToken}` } })).text());
    expect(sampleValue(metrics, 'autoglm_result_cache_hits_total', { function: FN })).toBeGreaterThanOrEqual(2);
    expect(sampleValue(metrics, 'autoglm_result_cache_misses_total', { function: FN })).toBeGreaterThanOrEqual(2);
    expect(sampleValue(metrics, 'autoglm_result_cache_entries', { function: FN })).toBe(2);

    // Audited as a call, like any invocation.
    const audited = await eventually(async () => {
      const items = (await p.call('GET', `/v1/audit?action=invoke&function=${FN}&limit=50`)).json.items as { status?: number }[];
      return items.length >= 4 && items;
    }, 'the calls in the audit trail');
    expect(audited.length).toBeGreaterThanOrEqual(4);

    // Async jobs are not answered from the cache.
    const job = await p.call('POST', `/v1/functions/${FN}/jobs`, { input: { text: 'pay 100', ref: 'a' } });
    expect(job.status).toBe(202);
    expect(job.headers.get('x-cache')).toBeNull();
  });

  it('a streamed call is kept as a plain one is, and a streamed hit is the final event alone', async () => {
    const stream = async () => {
      const res = await fetch(`${p.url}/v1/functions/${FN}/invoke`, {
        method: 'POST',
        headers: { authorization: `Bearer ${p.adminToken}`, 'content-type': 'application/json', accept: 'text/event-stream' },
        body: JSON.stringify({ input: { text: 'streamed', ref: 's' } }),
      });
      const events = (await res.text()).split('\n\n').filter((b) => b !== '').map((b) => ({ event: /^event: (.*)$/m.exec(b)![1], data: JSON.parse(/^data: (.*)$/m.exec(b)![1]!) }));
      return { cache: res.headers.get('x-cache'), events };
    };
    const first = await stream();
    expect(first.cache).toBe('miss');
    const hit = await eventually(async () => {
      const again = await stream();
      return again.cache === 'hit' && again;
    }, 'a streamed call answered from the cache', 10_000);
    expect(hit.events.map((e) => e.event)).toEqual(['result']);
    expect(hit.events[0]!.data.output).toEqual(first.events.at(-1)!.data.output);
    expect(hit.events[0]!.data.id).toBe(first.events.at(-1)!.data.id);
  });

  it('a changed secret never serves the old answer', async () => {
    const input = { text: 'pay 200' };
    await missThenHit(input);
    expect((await p.call('PUT', '/v1/secrets/sign-key', { value: SECOND })).status).toBe(200);
    const after = await invoke(input);
    expect(after.headers.get('x-cache')).toBe('miss');
    // Every answer since is the new value's: a run on the old load (before the workers heard) is never kept.
    const { hit } = await eventually(async () => {
      const r = await missThenHit(input);
      return r.miss.json.output.sig === sig(SECOND, 'pay 200') && r;
    }, 'the new value to be signed with and kept', 20_000);
    expect(hit.json.output.sig).toBe(sig(SECOND, 'pay 200'));
  });

  it('a new version never serves the old version’s answer', async () => {
    const input = { text: 'pay 300' };
    const before = await missThenHit(input);
    const bundle = make(FN, { EDITION: '2' }, { cache: { ttl: '1m' } });
    expect((await deploy(bundle)).status).toBe(201);
    const after = await invoke(input);
    expect(after.headers.get('x-cache')).toBe('miss');
    expect(after.headers.get('x-function-version')).toBe(versionOf(bundle.hash));
    expect(after.headers.get('x-function-version')).not.toBe(before.hit.headers.get('x-function-version'));
    expect(after.headers.get('x-job-id')).not.toBe(before.hit.headers.get('x-job-id'));
  });

  it('refuses a bad cache section at deploy, naming the field', async () => {
    const bad = await deploy(make('signer-badcache', undefined, { cache: { ttl: '100ms' } }));
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ code: 'INVALID_BUNDLE', field: 'cache.ttl' });
    expect(bad.body.detail).toMatch(/cache\.ttl: must be between 1s and 24h/);
  });
});
