import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startPlatform, type TestPlatform } from '../harness/platform.ts';
import { startTestRedis, type TestRedis } from '../harness/redis.ts';
import { functionSet, lines, workers } from './pool-helpers.ts';

let redis: TestRedis;
let dir: string;
beforeAll(async () => {
  redis = await startTestRedis();
  dir = mkdtempSync(join(tmpdir(), 'autoglm-health-'));
});
afterAll(async () => {
  await redis?.destroy();
  rmSync(dir, { recursive: true, force: true });
});
let p: TestPlatform | undefined;
afterEach(async () => {
  await p?.stop();
  p = undefined;
});

let n = 0;
const countFile = () => join(dir, `runs-${++n}.txt`);
const job = async (id: string) => (await p!.call('GET', `/v1/jobs/${id}`)).json;

describe('a long synchronous handler', () => {
  // `block` busy-waits without yielding, as a big TF.js predict does. The queue lock is 1 s and
  // stalled jobs are looked for every second, by a second worker too: if the lock lapsed, the job
  // would be handed out again.
  it.each(['thread', 'inline'])('that runs longer than the queue lock runs exactly once (inference: %s)', async (inference) => {
    p = await startPlatform(redis.url, {
      workers: 2,
      env: { AUTOGLM_FUNCTIONS_DIR: functionSet('health'), AUTOGLM_JOB_LOCK: '1s', AUTOGLM_STALLED_INTERVAL: '1s', AUTOGLM_INFERENCE: inference },
    });
    const file = countFile();
    const r = await p.call('POST', '/v1/functions/block/invoke', { input: { ms: 4000, countFile: file } });
    expect(r.status).toBe(200);
    expect(r.json.output).toEqual({ runs: 1 });
    // Give a second run every chance to show up before counting.
    await new Promise((res) => setTimeout(res, 2500));
    expect(lines(file)).toHaveLength(1);
    expect((await job(r.json.id)).attempts).toBe(1);
  });
});

describe('worker crashes', () => {
  it('a worker killed with SIGKILL mid-job is replaced, and the job completes on the replacement', async () => {
    p = await startPlatform(redis.url, { env: { AUTOGLM_FUNCTIONS_DIR: functionSet('health'), AUTOGLM_JOB_LOCK: '1500ms', AUTOGLM_STALLED_INTERVAL: '1s' } });
    const file = countFile();
    const r = await p.call('POST', '/v1/functions/block/jobs', { input: { ms: 2500, countFile: file } });
    const victim = Number(await eventually(async () => lines(file)[0], 'the job to start'));
    process.kill(victim, 'SIGKILL');
    const done = await eventually(async () => {
      const j = await job(r.json.id);
      return j.status === 'succeeded' && j;
    }, 'the job to complete on a new worker', 45_000);
    const runs = lines(file).map(Number);
    expect(runs[0]).toBe(victim);
    expect(runs.at(-1)).not.toBe(victim);
    expect(done.output.runs).toBe(runs.length);
    const [w] = await eventually(async () => {
      const ws = await workers(p!);
      return ws.length === 1 && ws[0]!.pid !== victim && ws;
    }, 'the replacement in the registry');
    expect(w!.restarts).toBe(1);
    expect(w!.pid).toBe(runs.at(-1));
  });
});
