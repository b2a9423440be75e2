import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPlatform, type TestPlatform } from '../harness/platform.ts';
import { startTestRedis, type TestRedis } from '../harness/redis.ts';
import { autoBackend, probeGpuModule } from '../harness/gpu-module.ts';
import { functionSet, lines, storedResult, workers } from './pool-helpers.ts';

// batch-sum: batches of up to 8, gathered for up to 200 ms, retries 0; manifest concurrency 1,
// so batches can only form because the pool raises its queue consumer's concurrency.
let redis: TestRedis;
let p: TestPlatform;
let dir: string;
beforeAll(async () => {
  redis = await startTestRedis();
  // The fixture records each handler call in a count file in this test's folder: function code
  // runs on the worker's threads (a sandbox can write no such file; see the sandbox test below).
  p = await startPlatform(redis.url, { env: { AUTOGLM_FUNCTIONS_DIR: functionSet('batching'), AUTOGLM_ISOLATION: 'thread' } });
  dir = mkdtempSync(join(tmpdir(), 'autoglm-batching-'));
});
afterAll(async () => {
  await p?.stop();
  await redis?.destroy();
  rmSync(dir, { recursive: true, force: true });
});

let n = 0;
const countFile = () => join(dir, `calls-${++n}.txt`);
const invoke = (input: unknown) => p.call('POST', '/v1/functions/batch-sum/invoke', { input });

describe('dynamic batching through the platform', () => {
  it('N concurrent sync invokes make fewer handler calls, and each gets its own correct result', async () => {
    const file = countFile();
    const rs = await Promise.all(Array.from({ length: 24 }, (_, x) => invoke({ x, countFile: file })));
    expect(rs.map((r) => r.status)).toEqual(Array(24).fill(200));
    expect(rs.map((r) => r.json.output)).toEqual(Array.from({ length: 24 }, (_, x) => ({ y: 2 * x })));
    const calls = lines(file).map(Number);
    expect(calls.reduce((a, b) => a + b, 0)).toBe(24); // every item handled exactly once
    expect(calls.length).toBeLessThan(24);
    expect(Math.max(...rs.map((r) => r.json.batchSize))).toBeGreaterThan(1);
    // Each response's batch size is the size of a handler call that really happened.
    for (const r of rs) expect(calls).toContain(r.json.batchSize);
  });

  it('one bad item fails only its own call', async () => {
    const file = countFile();
    const rs = await Promise.all([0, 1, 2, 3, 4, 5].map((x) => invoke({ x, bad: x === 4, countFile: file })));
    expect(rs.map((r) => r.status)).toEqual([200, 200, 200, 200, 500, 200]);
    expect(rs[4]!.json).toMatchObject({ code: 'BAD_ITEM', detail: 'item 4 is bad' });
    expect(rs[5]!.json.output).toEqual({ y: 10 });
    expect(lines(file).length).toBeLessThan(6);
  });

  it('an item that makes the handler throw for the whole batch fails alone', async () => {
    const rs = await Promise.all([0, 1, 2, 3].map((x) => invoke({ x, poison: x === 1 })));
    expect(rs.map((r) => r.status)).toEqual([200, 500, 200, 200]);
    expect(rs[1]!.json.detail).toBe('a poisoned item broke the batch');
    expect(rs.filter((r) => r.status === 200).map((r) => r.json.output.y)).toEqual([0, 4, 6]);
  });

  it('does not hold a lone call for companions: its batch goes at once, however long maxDelay is', async () => {
    // batch-patient gathers for up to an hour: answered at all, this call's batch did not wait.
    const r = await p.call('POST', '/v1/functions/batch-patient/invoke', { input: { x: 21 } });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ output: { y: 42 }, batchSize: 1 });
  });

  it('async jobs are batched too, each keeping its own id and result', async () => {
    const file = countFile();
    const accepted = await Promise.all(Array.from({ length: 16 }, (_, x) => p.call('POST', '/v1/functions/batch-sum/jobs', { input: { x, countFile: file } })));
    const ids = accepted.map((a) => a.json.id as string);
    expect(new Set(ids).size).toBe(16);
    const jobs = await Promise.all(ids.map((id) => p.call('GET', `/v1/jobs/${id}?wait=20s`)));
    expect(jobs.map((j) => j.json.status)).toEqual(Array(16).fill('succeeded'));
    expect(jobs.map((j) => j.json.output)).toEqual(Array.from({ length: 16 }, (_, x) => ({ y: 2 * x })));
    expect(lines(file).length).toBeLessThan(16);
    const stored = await storedResult(p, 'batch-sum', ids[0]!);
    // The backend `auto` chooses: tensorflow where the GPU package is installed and loads.
    expect(stored).toMatchObject({ backend: autoBackend(await probeGpuModule()), device: 'cpu:0' });
    expect(stored!.batchSize).toBeGreaterThan(1);
  });
});

describe('dynamic batching with function code in a sandbox', () => {
  it('N concurrent sync invokes make fewer handler calls, and each gets its own correct result', async () => {
    // The strongest level this node runs; handler calls are counted by the worker's figures.
    const sp = await startPlatform(redis.url, { env: { AUTOGLM_FUNCTIONS_DIR: functionSet('batching'), AUTOGLM_ISOLATION: 'auto' } });
    try {
      expect((await workers(sp))[0]!.isolation).not.toBe('thread');
      const rs = await Promise.all(Array.from({ length: 24 }, (_, x) => sp.call('POST', '/v1/functions/batch-sum/invoke', { input: { x } })));
      expect(rs.map((r) => r.status)).toEqual(Array(24).fill(200));
      expect(rs.map((r) => r.json.output)).toEqual(Array.from({ length: 24 }, (_, x) => ({ y: 2 * x })));
      expect(Math.max(...rs.map((r) => r.json.batchSize))).toBeGreaterThan(1);
      // Every item handled exactly once, in fewer handler calls, as the worker reports them.
      const stat = async () => (await workers(sp))[0]!.functionStats?.find((f) => f.function === 'batch-sum');
      await expect.poll(stat, { timeout: 10_000 }).toMatchObject({ ok: 24, failed: 0, batchSize: { sum: 24 } });
      expect((await stat())!.batchSize.count).toBeLessThan(24);
      // A lone call's batch goes at once here too (batch-patient gathers for up to an hour).
      const lone = await sp.call('POST', '/v1/functions/batch-patient/invoke', { input: { x: 4 } });
      expect(lone.json).toMatchObject({ output: { y: 8 }, batchSize: 1 });
    } finally {
      await sp.stop();
    }
  });
});
