import { createHmac } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { InvocationResult } from '../functions/sdk/index.ts';
import type { DeviceSlot, FunctionRecord } from '../queue/cluster/index.ts';
import type { JobData } from '../queue/jobs/index.ts';
import { buildBundle } from '../runtime/bundles/build-bundle.ts';
import { selectBackend, type BackendSelection } from '../functions/sdk/tf/index.ts';
import { BundleCache } from './bundle-cache.ts';
import { FunctionHost } from './function-host.ts';

const MIB = 1024 * 1024;
const FIXTURES = fileURLToPath(new URL('../test/fixtures/functions/', import.meta.url));

let tmp: string;
let bundles: BundleCache;
let tf: BackendSelection;
const built = new Map<string, FunctionRecord>();

/** Builds a fixture folder into a real bundle, as a deploy would, and returns its record. */
async function fixture(name: string): Promise<FunctionRecord> {
  let rec = built.get(name);
  if (!rec) {
    const b = await buildBundle(join(FIXTURES, name), { typecheck: false });
    writeFileSync(join(tmp, 'artifacts', `${b.hash}.tgz`), b.archive);
    rec = { name, namespace: 'default', version: b.version, hash: b.hash, manifest: b.manifest };
    built.set(name, rec);
  }
  return rec;
}

/** The same code deployed as another function (its own version key, its own loaded model). */
const as = (rec: FunctionRecord, name: string, manifest: Partial<FunctionRecord['manifest']> = {}): FunctionRecord => ({ ...rec, name, manifest: { ...rec.manifest, ...manifest, name } });

const slot = (memoryMiB: number): DeviceSlot => ({ id: 'cpu:0', kind: 'cpu', index: 0, name: 'cpu', memoryBytes: memoryMiB * MIB });
const host = (memoryMiB = 1024) => new FunctionHost({ slot: slot(memoryMiB), backend: tf.name, bundles, numTensors: tf.numTensors, numBytes: tf.numBytes });

const job = (rec: FunctionRecord, input: unknown): JobData => ({ fn: rec.name, version: rec.version, input, ns: 'default', by: 'test', deadline: null, timeoutMs: 10_000, enqueuedAt: Date.now() });
const run = (h: FunctionHost, rec: FunctionRecord, input: unknown): Promise<InvocationResult> => h.execute(job(rec, input), new AbortController().signal);
const features = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8];

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'autoglm-host-'));
  mkdirSync(join(tmp, 'artifacts'));
  bundles = new BundleCache(join(tmp, 'bundles'), { localDir: join(tmp, 'artifacts') });
  tf = await selectBackend({ choice: 'wasm' });
}, 60_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('model cache in the host', () => {
  it('evicts the least recently used version under a small budget, and every tensor is disposed', async () => {
    const tiny = await fixture('tiny-model'); // 40 MiB each: a 100 MiB device holds two
    const [a, b, c] = ['tiny-a', 'tiny-b', 'tiny-c'].map((n) => as(tiny, n));
    const h = host(100);
    h.setRecords([a!, b!, c!]);
    const baseline = tf.numTensors();

    expect((await run(h, a!, { features })).output).toEqual({ score: expect.any(Number) });
    const perModel = tf.numTensors() - baseline;
    expect(perModel).toBeGreaterThan(0);
    await run(h, b!, { features });
    await run(h, a!, { features }); // a is now the most recently used
    await run(h, c!, { features }); // no room for three: b goes
    await h.settled();
    expect(h.stats().models.map((m) => m.key)).toEqual([`tiny-a@${tiny.version}`, `tiny-c@${tiny.version}`]);
    expect(h.stats()).toMatchObject({ loads: 3, unloads: 1, modelBytes: 80 * MIB });
    expect(tf.numTensors()).toBe(baseline + 2 * perModel);

    // Versions that leave the catalogue are unloaded too.
    h.setRecords([c!]);
    await h.settled();
    expect(h.stats().models.map((m) => m.key)).toEqual([`tiny-c@${tiny.version}`]);
    await h.close();
    expect(tf.numTensors()).toBe(baseline);
  });

  it('budgets a model at what it holds when that is more than its manifest says, and evicts by it', async () => {
    const big = await fixture('big-model'); // declares 1 MiB, holds 16 MiB: a 40 MiB device holds two
    const [a, b, c] = ['big-a', 'big-b', 'big-c'].map((n) => as(big, n));
    const h = host(40);
    h.setRecords([a!, b!, c!]);
    const baseline = tf.numTensors();
    for (const v of [a, b, c]) expect((await run(h, v!, {})).output).toEqual({ values: 4 * MIB });
    await h.settled();
    expect(h.stats().models).toEqual([
      { key: `big-b@${big.version}`, bytes: 16 * MIB, measuredBytes: 16 * MIB },
      { key: `big-c@${big.version}`, bytes: 16 * MIB, measuredBytes: 16 * MIB },
    ]);
    expect(h.stats()).toMatchObject({ loads: 3, unloads: 1, modelBytes: 32 * MIB });
    expect(tf.numTensors()).toBe(baseline + 2);
    await h.close();
    expect(tf.numTensors()).toBe(baseline);
  });

  it('measures each of several first loads apart, loading them one at a time', async () => {
    const big = await fixture('big-model');
    const tiny = await fixture('tiny-model');
    const h = host();
    h.setRecords([big, tiny]);
    await Promise.all([run(h, big, {}), run(h, tiny, { features })]);
    const held = Object.fromEntries(h.stats().models.map((m) => [m.key.split('@')[0], m.measuredBytes]));
    expect(held['big-model']).toBe(16 * MIB);
    // Its weights (8×16 + 16 + 16 + 1 floats), not the other model's 16 MiB.
    expect(held['tiny-model']).toBe((8 * 16 + 16 + 16 + 1) * 4);
    await h.close();
  });

  it('loads a version once when its first calls arrive together', async () => {
    const single = as(await fixture('tiny-model'), 'tiny-single', { batching: { maxSize: 1, maxDelay: 0 } });
    const h = host();
    h.setRecords([single]);
    const results = await Promise.all(Array.from({ length: 20 }, () => run(h, single, { features })));
    expect(results.every((r) => typeof (r.output as { score: number }).score === 'number')).toBe(true);
    expect(h.stats()).toMatchObject({ loads: 1, batches: 20 });
    await h.close();
  });

  it('loads warm versions before warm() resolves, without any call', async () => {
    const warm = await fixture('warm-model');
    const h = host();
    h.setRecords([warm]);
    await h.warm();
    expect(h.stats().models.map((m) => m.key)).toEqual([`warm-model@${warm.version}`]);
    expect(h.stats().batches).toBe(0);
    await h.close();
  });

  it('loads a version again on reload: a batch on the old load finishes with it, later ones get a new load, the old is disposed', async () => {
    const tiny = await fixture('tiny-model');
    const h = host();
    h.setRecords([tiny]);
    const baseline = tf.numTensors();
    await run(h, tiny, { features });
    const perModel = tf.numTensors() - baseline;
    h.reload([`tiny-model@${tiny.version}`]);
    await h.settled();
    expect(h.stats()).toMatchObject({ loads: 1, unloads: 1 });
    expect(tf.numTensors()).toBe(baseline);
    expect((await run(h, tiny, { features })).output).toEqual({ score: expect.any(Number) });
    expect(h.stats()).toMatchObject({ loads: 2, unloads: 1 });
    expect(h.stats().models.map((m) => m.key)).toEqual([`tiny-model@${tiny.version}`]);
    expect(tf.numTensors()).toBe(baseline + perModel);
    await h.close();
  });

  it("gives load and handle the secrets of the version's manifest, as they were when the load began", async () => {
    const signer = await fixture('signer');
    let value = 'first';
    let opened: (() => void) | undefined;
    const h = new FunctionHost({
      slot: slot(1024),
      backend: tf.name,
      bundles,
      // The first load waits for the test, so a reload can happen while it runs.
      secrets: async (rec) => {
        const now = value;
        if (!opened) await new Promise<void>((r) => (opened = r));
        return Object.fromEntries(rec.manifest.secrets.map((n) => [n, now]));
      },
    });
    h.setRecords([signer]);
    const during = run(h, signer, { text: 't' });
    await vi.waitFor(() => expect(opened).toBeDefined());
    value = 'second';
    h.reload([`signer@${signer.version}`]);
    opened!();
    const sig = (key: string) => createHmac('sha256', key).update('t').digest('hex');
    expect((await during).output).toMatchObject({ sig: sig('first'), sameAsLoad: true, frozen: true, names: ['sign-key'] });
    expect((await run(h, signer, { text: 't' })).output).toMatchObject({ sig: sig('second'), sameAsLoad: true });
    await h.settled();
    expect(h.stats()).toMatchObject({ loads: 2, unloads: 1 });
    // A host without a secret source cannot load a version that lists secrets.
    const bare = host();
    bare.setRecords([signer]);
    expect((await run(bare, signer, { text: 't' })).error).toMatchObject({ code: 'SECRETS_UNAVAILABLE' });
    await Promise.all([h.close(), bare.close()]);
  });
});

describe('knowledge in the host', () => {
  it('gives load and handle the collections the manifest lists, frozen, names their versions in each result, and a reload reads the current ones', async () => {
    const grounded = await fixture('grounded');
    let version = 'v1';
    const opened: string[] = [];
    const h = new FunctionHost({
      slot: slot(1024),
      backend: tf.name,
      bundles,
      knowledge: async (rec) => {
        opened.push(`${rec.namespace}/${rec.manifest.knowledge.join(',')}@${version}`);
        return { policies: { name: 'policies', version, documents: [{ id: 'refunds', title: 'Refunds', text: `refunds within 30 days (${version})`, metadata: {} }] } };
      },
    });
    h.setRecords([grounded]);
    const first = await run(h, grounded, {});
    expect(first.output).toEqual({ text: 'refunds within 30 days (v1)', version: 'v1', documents: 1, names: ['policies'], sameAsLoad: true, frozen: true });
    expect(first.knowledge).toEqual({ policies: 'v1' });
    version = 'v2';
    // Loaded already: the new version is not read until the version is told to load again.
    expect((await run(h, grounded, {})).knowledge).toEqual({ policies: 'v1' });
    h.reload([`grounded@${grounded.version}`]);
    const second = await run(h, grounded, {});
    expect(second.output).toMatchObject({ text: 'refunds within 30 days (v2)', version: 'v2' });
    expect(second.knowledge).toEqual({ policies: 'v2' });
    expect(opened).toEqual(['default/policies@v1', 'default/policies@v2']);
    // A version listing no collection reads none, and its results name none.
    const sum = await fixture('batch-sum');
    h.setRecords([grounded, sum]);
    const plain = await run(h, sum, { x: 1 });
    expect(plain.output).toEqual({ y: 2 });
    expect('knowledge' in plain).toBe(false);
    // A host without a knowledge source cannot load a version that lists collections.
    const bare = host();
    bare.setRecords([grounded]);
    expect((await run(bare, grounded, {})).error).toMatchObject({ code: 'KNOWLEDGE_UNAVAILABLE' });
    await Promise.all([h.close(), bare.close()]);
  });
});

describe('dynamic batching in the host', () => {
  it('gathers concurrent calls into fewer handler calls and gives each its own result', async () => {
    const sum = await fixture('batch-sum'); // maxSize 8, maxDelay 200ms
    const h = host();
    h.setRecords([sum]);
    const results = await Promise.all(Array.from({ length: 20 }, (_, x) => run(h, sum, { x })));
    expect(results.map((r) => r.output)).toEqual(Array.from({ length: 20 }, (_, x) => ({ y: 2 * x })));
    expect(h.stats().batches).toBe(3); // 8 + 8 + 4
    expect(results.map((r) => r.batchSize).sort()).toEqual([...Array(8).fill(8), ...Array(8).fill(8), ...Array(4).fill(4)].sort());
    expect(results[0]).toMatchObject({ device: 'cpu:0', backend: 'wasm', version: sum.version });
    // The same, per version, as the worker reports it for the platform's metrics.
    const [stat, ...others] = h.stats().functions;
    expect(others).toEqual([]);
    expect(stat).toMatchObject({ function: 'batch-sum', version: sum.version, ok: 20, failed: 0 });
    expect(stat!.batchSize).toMatchObject({ count: 3, sum: 20 });
    expect(stat!.runSeconds.count).toBe(3);
    expect(stat!.queueSeconds.count).toBe(20);
    await h.close();
  });

  it('fails only the bad item of a batch', async () => {
    const sum = await fixture('batch-sum');
    const h = host();
    h.setRecords([sum]);
    const results = await Promise.all([1, 2, 3, 4].map((x) => run(h, sum, { x, bad: x === 3 })));
    expect(results.map((r) => r.output ?? r.error?.code)).toEqual([{ y: 2 }, { y: 4 }, 'BAD_ITEM', { y: 8 }]);
    expect(h.stats().batches).toBe(1);
    expect(h.stats().functions[0]).toMatchObject({ ok: 3, failed: 1 });
    await h.close();
  });

  it('when the handler throws for a whole batch, reruns its items alone so only the culprit fails', async () => {
    const sum = await fixture('batch-sum');
    const h = host();
    h.setRecords([sum]);
    const results = await Promise.all([1, 2, 3].map((x) => run(h, sum, { x, poison: x === 2 })));
    expect(results[0]!.output).toEqual({ y: 2 });
    expect(results[1]!.error).toMatchObject({ code: 'FUNCTION_ERROR', message: 'a poisoned item broke the batch' });
    expect(results[2]!.output).toEqual({ y: 6 });
    expect(h.stats().batches).toBe(4); // the failed batch, then each item alone
    await h.close();
  });

  it('reports an unknown function without running anything', async () => {
    const h = host();
    const r = await h.execute(job({ name: 'nope', version: 'abc', namespace: 'default', hash: '0'.repeat(64), manifest: (await fixture('batch-sum')).manifest }, {}), new AbortController().signal);
    expect(r.error?.code).toBe('FUNCTION_NOT_FOUND');
  });
});
