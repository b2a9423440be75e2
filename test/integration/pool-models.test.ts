import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorkerState } from '../../queue/cluster/index.ts';
import { eventually, startPlatform, type TestPlatform } from '../harness/platform.ts';
import { startTestRedis, type TestRedis } from '../harness/redis.ts';
import { functionSet, workers } from './pool-helpers.ts';

// tiny-model costs 40 MiB, warm-model 8 MiB (warm: true). A 45 MiB device holds one of them.
let redis: TestRedis;
let p: TestPlatform;
beforeAll(async () => {
  redis = await startTestRedis();
  p = await startPlatform(redis.url, { env: { AUTOGLM_FUNCTIONS_DIR: functionSet('models'), AUTOGLM_DEVICES: 'cpu@45MiB' } });
});
afterAll(async () => {
  await p?.stop();
  await redis?.destroy();
});

const features = [0.5, 0.1, 0.9, 0.3, 0.7, 0.2, 0.4, 0.6];
const names = (w: WorkerState | undefined) => (w?.models ?? []).map((m) => m.key.split('@')[0]);
/** The next heartbeat (every 2 s, and the thread's state every 0.5 s) that satisfies `ok`. */
const state = (ok: (w: WorkerState) => boolean, what: string) =>
  eventually(async () => {
    const [w] = await workers(p);
    return w && ok(w) && w;
  }, what);

describe('model cache in a worker', () => {
  it('a restarted worker has its warm functions loaded by the time it reports ready', async () => {
    // The platform deployed after its pool started; a new pool finds warm-model in the catalogue.
    await p.pool!.stop();
    await p.redis.del(`${p.prefix}:workers`);
    await p.startPool();
    const [first] = await workers(p); // its first heartbeat: sent only once it was ready
    expect(names(first)).toEqual(['warm-model']);
    expect(first!.batches).toBe(0);
  });

  it('evicts the least recently used model under the device budget, and the tensor count returns to its baseline', async () => {
    const start = await state((w) => names(w).join() === 'warm-model' && w.tensors !== undefined, 'the warm model alone');
    const baseline = start.tensors!;

    expect((await p.call('POST', '/v1/functions/tiny-model/invoke', { input: { features } })).status).toBe(200);
    const afterTiny = await state((w) => names(w).join() === 'tiny-model', 'warm-model evicted for tiny-model');
    expect(afterTiny.tensors).not.toBe(baseline);

    expect((await p.call('POST', '/v1/functions/warm-model/invoke', { input: {} })).status).toBe(200);
    const back = await state((w) => names(w).join() === 'warm-model', 'tiny-model evicted for warm-model');
    expect(back.tensors).toBe(baseline);
  });

  it('unloads a function when it leaves the catalogue', async () => {
    const before = await state((w) => names(w).includes('warm-model') && w.tensors! > 0, 'warm-model loaded');
    expect((await p.call('DELETE', '/v1/functions/warm-model')).status).toBeLessThan(300);
    const after = await state((w) => !names(w).includes('warm-model') && !w.functions.includes('warm-model'), 'warm-model unloaded');
    expect(after.tensors).toBeLessThan(before.tensors!);
    expect(after.models).toEqual([]);
    expect(after.tensors).toBe(0);
  });
});
